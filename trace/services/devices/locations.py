"""The register of an organization's places: warehouses, cold stores, vehicles, market stalls, field plots."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.db import utcnow
from trace.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from trace.models import Location, User
from trace.models.organization import Role
from trace.times import rfc3339


def _require_keeper(user: User, organization_id: int) -> None:
    if user.role == Role.ADMIN:
        return
    if user.role != Role.PRODUCER or user.organization_id != organization_id:
        raise PermissionDeniedError("An organization's producers (or an admin) keep its locations.")


def _unique(session: Session, organization_id: int, name: str, gln: str | None, but: int | None = None) -> None:
    clash = sa.select(Location.id).where(Location.organization_id == organization_id, Location.name == name)
    if but is not None:
        clash = clash.where(Location.id != but)
    if session.scalar(clash):
        raise ConflictError(f"The organization already has a location named {name}.", errors={"name": ["Taken."]})
    if gln:
        taken = sa.select(Location.id).where(Location.gln == gln)
        if but is not None:
            taken = taken.where(Location.id != but)
        if session.scalar(taken):
            raise ConflictError(f"GLN {gln} is registered already.", errors={"gln": ["Taken."]})


def add_location(session: Session, user: User, organization_id: int, fields: dict[str, Any]) -> Location:
    """Register a place of an organization."""
    _require_keeper(user, organization_id)
    _unique(session, organization_id, fields["name"], fields.get("gln"))
    location = Location(organization_id=organization_id, kind=fields["kind"], name=fields["name"],
                        gln=fields.get("gln"), address=fields.get("address"))
    session.add(location)
    session.flush()
    return location


def list_locations(session: Session, user: User, organization_id: int, *, retired: bool = False) -> list[Location]:
    """Return an organization's places (anyone signed in may read them: records name them)."""
    query = sa.select(Location).where(Location.organization_id == organization_id).order_by(Location.id)
    if not retired:
        query = query.where(Location.retired_at.is_(None))
    return list(session.scalars(query))


def get_location(session: Session, location_id: int) -> Location:
    location = session.get(Location, location_id)
    if location is None:
        raise NotFoundError(f"No location {location_id}.")
    return location


def update_location(session: Session, user: User, location_id: int, fields: dict[str, Any]) -> Location:
    """Change a place's name, kind, GLN or address (records keep the name they were made with)."""
    location = get_location(session, location_id)
    _require_keeper(user, location.organization_id)
    _unique(session, location.organization_id, fields.get("name", location.name),
            fields.get("gln", location.gln), but=location.id)
    for name in ("kind", "name", "gln", "address"):
        if name in fields:
            setattr(location, name, fields[name])
    session.flush()
    return location


def retire_location(session: Session, user: User, location_id: int) -> Location:
    """Retire a place: it leaves the lists; records that name it still do."""
    location = get_location(session, location_id)
    _require_keeper(user, location.organization_id)
    if location.retired_at is None:
        location.retired_at = utcnow()
        session.flush()
    return location


def location_view(location: Location) -> dict[str, Any]:
    return {"id": location.id, "org": str(location.organization_id), "kind": location.kind, "name": location.name,
            "gln": location.gln, "address": location.address,
            "retired": location.retired_at is not None}


def require_recording_place(session: Session, organization_id: int, location_id: int, occurred_at: dt.datetime,
                            known: dict[int, Location | None]) -> None:
    """Refuse a record naming a location that is not a place of the recording organization.

    An unknown id, or a place retired before the record's time, is a 422; another organization's
    place is a 403. ``known`` holds the places one request has read (the session forgets them).
    """
    if location_id not in known:
        known[location_id] = session.get(Location, location_id)
    place = known[location_id]
    where = {"location": {"id": [f"No location {location_id}."]}}
    if place is None:
        raise ValidationError(f"No location {location_id} is registered.", errors=where)
    if place.organization_id != organization_id:
        raise PermissionDeniedError(f"Location {location_id} is a place of another organization: a record names "
                                    "its own organization's places.",
                                    errors={"location": {"id": ["Another organization's place."]}})
    if place.retired_at is not None and occurred_at > place.retired_at:
        raise ValidationError(f"Location {location_id} was retired at {rfc3339(place.retired_at)}, before the record.",
                              errors={"location": {"id": ["Retired."]}})
