"""Every table of the product, one module per noun. Alembic reads `Base.metadata`."""

from geodata.models.accounts import ApiToken, AuditEvent, User
from geodata.models.areas import AdminArea, AdminLevel
from geodata.models.assessments import (
    Assessment,
    AssessmentOrigin,
    RegionNeedTotal,
    RegionTotal,
    Round,
)
from geodata.models.base import Base, Counter
from geodata.models.forms import Form, FormVersion
from geodata.models.sites import Site
from geodata.models.submissions import QuarantinedSubmission, Submission, SubmissionAttachment

__all__ = [
    "AdminArea",
    "AdminLevel",
    "ApiToken",
    "Assessment",
    "AssessmentOrigin",
    "AuditEvent",
    "Base",
    "Counter",
    "Form",
    "FormVersion",
    "QuarantinedSubmission",
    "RegionNeedTotal",
    "RegionTotal",
    "Round",
    "Site",
    "Submission",
    "SubmissionAttachment",
    "User",
]
