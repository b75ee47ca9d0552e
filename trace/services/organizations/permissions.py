"""Role and organization checks for every write."""

from __future__ import annotations

from trace.errors import PermissionDeniedError
from trace.ledger.policy import role_fits
from trace.models import Batch, Event, User
from trace.models.organization import Role
from trace.stages import stage as stage_named


def require_role(user: User, *roles: Role) -> None:
    """Raise unless the user has one of the roles."""
    if user.role not in roles:
        wanted = " or ".join(r.value for r in roles)
        raise PermissionDeniedError(f"This needs the {wanted} role; you are {user.role}.")


def require_own_organization(user: User, organization_id: int, what: str) -> None:
    """Raise unless the user is a producer of that organization."""
    require_role(user, Role.PRODUCER)
    if user.organization_id != organization_id:
        raise PermissionDeniedError(f"{what} belongs to another organization.")


def can_read_batch(user: User, batch: Batch) -> bool:
    """Tell whether the user may read a batch's full record through the API."""
    if user.role in (Role.ADMIN, Role.INSPECTOR):
        return True
    return user.organization_id in (batch.organization_id, batch.custodian_id)


def can_read_event(user: User, event: Event) -> bool:
    """Tell whether the user may read an event: their organization's, or one on a batch they may read."""
    if user.role in (Role.ADMIN, Role.INSPECTOR) or user.organization_id == event.organization_id:
        return True
    return any(can_read_batch(user, eb.batch) for eb in event.batches)


def require_batch_write(user: User, batch: Batch, stage: str) -> None:
    """Raise unless the user may record this stage on the batch.

    Inspectors record their stages on any batch; laboratories theirs only in answer to a request
    or sample (services/quality checks which batches); producers on the batches they make or hold.
    """
    named = stage_named(stage)
    if user.role == Role.INSPECTOR and named.inspectors_record:
        return
    if user.role == Role.LAB and named.labs_record:
        if not role_fits(user.role, user.organization.kind):
            raise PermissionDeniedError("Only staff of a laboratory (an inspection_agency) record its results.")
        return
    if not named.producers_record:
        raise PermissionDeniedError(f"{named.name.capitalize()} is recorded by inspectors, not by {user.role}s.")
    require_role(user, Role.PRODUCER)
    if named.receives and user.organization_id != batch.custodian_id:
        # Only the organization a batch was shipped to can say it arrived.
        raise PermissionDeniedError(f"Batch {batch.trace_code} was not shipped to your organization.")
    if user.organization_id not in (batch.organization_id, batch.custodian_id):
        raise PermissionDeniedError(
            f"Batch {batch.trace_code} is neither produced nor held by your organization."
        )
