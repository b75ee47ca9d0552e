"""Aid households (脱贫户/帮扶对象) and cooperatives with such members: private marks on producers.

Kept by administrators; read by inspectors, administrators and the organization itself; never in a
record in clear (a sale seals its producer's status at the time: services/records/private.py).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from trace.db import utcnow
from trace.errors import NotFoundError, PermissionDeniedError, ValidationError
from trace.models import Organization, OrganizationAid, User
from trace.models.organization import Role
from trace.services.organizations.permissions import require_role

KINDS = ("household", "cooperative")


def read_aid(session: Session, actor: User, org: Organization) -> OrganizationAid | None:
    """Return an organization's aid mark (None when unmarked) to an inspector, an administrator or itself."""
    if actor.role not in (Role.ADMIN, Role.INSPECTOR) and actor.organization_id != org.id:
        raise PermissionDeniedError("Aid status is read by inspectors, administrators and the organization itself.")
    return session.get(OrganizationAid, org.id)


def mark_aid(session: Session, actor: User | None, org: Organization, kind: str | None,
             households: int | None = None) -> OrganizationAid | None:
    """Mark an organization as an aid household or a cooperative with ``households`` such members; None unmarks."""
    if actor is not None:
        require_role(actor, Role.ADMIN)
    aid = session.get(OrganizationAid, org.id)
    if kind is None:
        if aid is None:
            raise NotFoundError(f"{org.name} is not marked.")
        session.delete(aid)
        session.flush()
        return None
    if kind not in KINDS:
        raise ValidationError(f"Kind is one of {', '.join(KINDS)}.", errors={"kind": ["Unknown kind."]})
    count = 1 if kind == "household" else households
    if count is None or count < 1:
        raise ValidationError("A cooperative names how many aid households are its members.",
                              errors={"households": ["At least 1."]})
    if aid is None:
        aid = OrganizationAid(organization_id=org.id, kind=kind, households=count)
        session.add(aid)
    aid.kind, aid.households, aid.updated_at = kind, count, utcnow()
    session.flush()
    return aid
