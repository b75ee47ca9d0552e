"""Recording stages: the ways in that answer with stored events, all through the one pipeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from trace.errors import NotFoundError, PermissionDeniedError
from trace.models import Event, User
from trace.services.organizations.permissions import can_read_event
from trace.services.records.inputs import allocate
from trace.services.records.pipeline import record
from trace.services.records.requests import Recorded, Request
from trace.services.signing.keys import LedgerConfig

__all__ = ["allocate", "get_event", "read_event", "record_authorized", "record_bulk", "record_event",
           "record_transformation"]


def record_event(
    session: Session, actor: User, payload: dict[str, Any], *, ledger: LedgerConfig
) -> tuple[Event, bool]:
    """Record one stage of one or more batches, signed and logged; return it and whether it is new."""
    (recorded,) = record(session, actor, [Request(payload)], ledger=ledger)
    return get_event(session, recorded.id), recorded.new


def record_transformation(
    session: Session, actor: User, payload: dict[str, Any], *, ledger: LedgerConfig
) -> tuple[Event, bool]:
    """Process, split or merge batches in one signed, logged event."""
    return record_event(session, actor, payload, ledger=ledger)  # the pipeline knows it by its inputs


def record_bulk(
    session: Session, actor: User, payloads: list[dict[str, Any]], *, ledger: LedgerConfig
) -> list[Recorded]:
    """Record many events and transformations, all or nothing, appended to the log together."""
    return record(session, actor, [Request(p) for p in payloads], ledger=ledger, numbered=True)


def record_authorized(
    session: Session, actor: User, payloads: list[dict[str, Any]], *, ledger: LedgerConfig
) -> list[Event]:
    """Record events the caller has authorized (a recall reaching other organizations' batches), signed and logged.

    A payload whose id was recorded with the same content is a replay: returned, not logged again.
    """
    results = record(session, actor, [Request(p, authorized=True) for p in payloads], ledger=ledger)
    return [get_event(session, r.id) for r in results]


def read_event(session: Session, actor: User, event_id: str) -> Event:
    """Return an event the actor may read: of their organization or touching a batch they may read."""
    event = get_event(session, event_id)
    if not can_read_event(actor, event):
        raise PermissionDeniedError(f"Event {event_id} concerns another organization's batches.")
    return event


def get_event(session: Session, event_id: str) -> Event:
    """Return an event or raise NotFoundError."""
    event = session.get(Event, event_id)
    if event is None:
        raise NotFoundError(f"No event {event_id}.")
    return event
