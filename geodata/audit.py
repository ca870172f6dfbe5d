"""The audit trail: who did what, with the values before and after, in the same
transaction as the change itself (so an audit record exists exactly when the change does)."""

from sqlalchemy.orm import Session

from geodata.models import AuditEvent, User


def audit(
    session: Session,
    actor: User | None,
    action: str,
    object_type: str | None = None,
    object_id: str | None = None,
    before: dict | None = None,
    after: dict | None = None,
    details: dict | None = None,
    message: str | None = None,
) -> AuditEvent:
    """Record an action; `actor` None means the command line."""
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_name=actor.username if actor else "cli",
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=before,
        after=after,
        details=details,
        message=message,
    )
    session.add(event)
    return event
