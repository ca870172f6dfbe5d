"""Every table of the product, one module per noun. Alembic reads `Base.metadata`."""

from geodata.models.accounts import ApiToken, AuditEvent, User
from geodata.models.areas import AdminArea, AdminLevel
from geodata.models.base import Base, Counter
from geodata.models.sites import Site

__all__ = [
    "AdminArea",
    "AdminLevel",
    "ApiToken",
    "AuditEvent",
    "Base",
    "Counter",
    "Site",
    "User",
]
