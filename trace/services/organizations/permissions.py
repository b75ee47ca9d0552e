"""Role and organization checks for every write."""

from __future__ import annotations

from trace.errors import PermissionDeniedError, ValidationError
from trace.ledger.policy import role_fits
from trace.models import Batch, Event, Organization, User
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


# Organizations a township service station may record for: the producers of its township.
STATION_CLIENT_KINDS = frozenset({"cooperative", "family_farm", "enterprise", "processor"})


def serves(station: User, org: Organization) -> bool:
    """Tell whether a station's user may act for this organization: a producer in the station's township."""
    township = station.organization.township_code
    return (station.role == Role.STATION and station.organization.kind == "station" and township is not None
            and org.township_code == township and org.kind in STATION_CLIENT_KINDS)


def require_station_scope(station: User, org: Organization) -> None:
    """Raise unless the station may act for the organization (DESIGN §12: its township's producers)."""
    if station.organization.township_code is None:
        raise PermissionDeniedError("Your station is placed in no township: an administrator places it first.")
    if not serves(station, org):
        raise PermissionDeniedError(f"{org.name} is not a producer in your station's township.")


def acting_for(user: User, batches: list[Batch]) -> tuple[int, str]:
    """Return whose record a user makes on these batches, and its actor: a station's names both.

    A station records on behalf of the one producer the batches belong to: the record is that
    producer's (``org``) and its actor ``station:<station>:user:<id>`` names the station.
    """
    if user.role != Role.STATION:
        return user.organization_id, f"user:{user.id}"
    owners = {b.organization_id for b in batches}
    if len(owners) != 1:
        raise ValidationError("A station's record is for the batches of one producer.",
                              errors={"batches": ["More than one producer."]})
    return owners.pop(), f"station:{user.organization_id}:user:{user.id}"


def can_read_batch(user: User, batch: Batch) -> bool:
    """Tell whether the user may read a batch's full record through the API."""
    if user.role in (Role.ADMIN, Role.INSPECTOR):
        return True
    if user.role == Role.STATION:
        return serves(user, batch.organization)
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
    if user.role == Role.STATION:
        if not named.producers_record:
            raise PermissionDeniedError(f"{named.name.capitalize()} is not recorded by stations.")
        require_station_scope(user, batch.organization)
        if named.receives and batch.custodian_id != batch.organization_id:
            raise PermissionDeniedError(f"Batch {batch.trace_code} was shipped away: its holder records its arrival.")
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
