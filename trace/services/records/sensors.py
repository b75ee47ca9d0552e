"""Sensor readings: temperature loggers publish, we attach the readings as signed storage records.

A message on ``suyuan/sensors/<org id>/<target>`` is ``{"sensor": id, "readings": [{"time",
"celsius"}]}``. The target is a trace code (a ``storage`` record on that batch, which the
organization must produce or hold) or a vehicle plate (one ``storage`` record with ``vehicle``
on every batch the organization shipped in that vehicle and nobody has received yet). The
record's id is derived from the message, so a redelivered message is recorded once.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as SchemaValidationError
from sqlalchemy.orm import Session

from trace.codes.tracecode import is_trace_code, parse_trace_code
from trace.errors import NotFoundError, ValidationError
from trace.ledger.jcs import canonical
from trace.ledger.numbers import GrammarError, canonical_decimal, loads_exact
from trace.models import Batch, Event, EventBatch, Organization, User
from trace.models.organization import OrganizationKind
from trace.services.organizations.organizations import add_member
from trace.services.records.events import record_authorized, record_event
from trace.services.signing.keys import LedgerConfig
from trace.stages import names
from trace.stages.fields import TemperatureReading
from trace.stages.storage import Storage

TOPIC_PREFIX = "suyuan/sensors/"
SUBSCRIPTION = TOPIC_PREFIX + "+/+"
GATEWAY_MEMBER = "sensor-gateway"


class SensorMessage(Schema):
    sensor = fields.String(required=True, validate=validate.Length(min=1, max=64))
    readings = fields.List(fields.Nested(TemperatureReading), required=True,
                           validate=validate.Length(min=1, max=10000))


def parse_topic(topic: str) -> tuple[int, str]:
    """Return the organization id and target (trace code or vehicle plate) of a sensor topic."""
    parts = topic.split("/")
    if len(parts) != 4 or f"{parts[0]}/{parts[1]}/" != TOPIC_PREFIX or not parts[2].isdigit() or not parts[3]:
        raise ValidationError(f"Not a sensor topic: {topic!r}; publish to {TOPIC_PREFIX}<org id>/<code or plate>.")
    return int(parts[2]), parts[3]


def _gateway(session: Session, org: Organization) -> User:
    """Return the member that records an organization's sensor readings (created on first use)."""
    user = session.scalar(sa.select(User).where(User.organization_id == org.id, User.name == GATEWAY_MEMBER))
    if user is None:
        role = "inspector" if org.kind == OrganizationKind.INSPECTION_AGENCY else "producer"
        user = add_member(session, None, org, GATEWAY_MEMBER, role)
    return user


def batches_in_vehicle(session: Session, org_id: int, plate: str) -> list[Batch]:
    """Return the batches an organization shipped in a vehicle that no one has received since."""
    shipping = names(lambda s: s.ships)
    candidates = set(session.scalars(
        sa.select(EventBatch.batch_id).join(Event, Event.id == EventBatch.event_id)
        .where(Event.stage.in_(shipping), Event.organization_id == org_id,
               Event.data["vehicle"].as_string() == plate, EventBatch.role == "subject")
    ))
    if not candidates:
        return []
    moves: Any = session.execute(
        sa.select(EventBatch.batch_id, Event.stage, Event.organization_id, Event.data["vehicle"].as_string())
        .join(Event, Event.id == EventBatch.event_id)
        .where(EventBatch.batch_id.in_(candidates), EventBatch.role == "subject",
               Event.stage.in_(shipping | names(lambda s: s.receives)))
        .order_by(Event.occurred_at, Event.recorded_at)
    ).all()
    last: dict[int, tuple[str, int, str | None]] = {}
    for batch_id, stage, organization_id, vehicle in moves:
        last[batch_id] = (stage, organization_id, vehicle)
    loaded = [batch_id for batch_id, (stage, shipper, vehicle) in last.items()
              if stage in shipping and (shipper, vehicle) == (org_id, plate)]
    return list(session.scalars(sa.select(Batch).where(Batch.id.in_(loaded), Batch.status != "destroyed")
                                .order_by(Batch.id)))


def attach_readings(session: Session, ledger: LedgerConfig, org_id: int, target: str,
                    message: Any) -> Event | None:
    """Record a sensor message's readings on a batch or on the batches in a vehicle; None if none is loaded."""
    try:
        body = SensorMessage().load(message)
    except SchemaValidationError as exc:
        raise ValidationError("The sensor message has invalid fields.", errors=exc.normalized_messages()) from exc
    org = session.get(Organization, org_id)
    if org is None:
        raise NotFoundError(f"No organization {org_id}.")
    readings = sorted(body["readings"], key=lambda r: r["time"])
    data: dict[str, Any] = {"sensor": body["sensor"], "temperatures": [
        {"time": r["time"].isoformat().replace("+00:00", "Z"), "celsius": canonical_decimal(r["celsius"])}
        for r in readings]}
    vehicle = not is_trace_code(target)
    if vehicle:
        batches = batches_in_vehicle(session, org.id, target)
        if not batches:
            return None
        data["vehicle"] = target
    else:
        code = parse_trace_code(target)
        batch = session.scalar(sa.select(Batch).where(Batch.trace_code == code))
        if batch is None:
            raise NotFoundError(f"No batch {code}.")
        batches = [batch]
    name = canonical([org.id, target, data]).decode()
    payload = {"id": uuid.uuid5(uuid.NAMESPACE_URL, "suyuan-sensor:" + name), "stage": Storage.name,
               "batches": [b.trace_code for b in batches], "occurred_at": readings[-1]["time"], "data": data,
               "attachments": []}
    gateway = _gateway(session, org)
    if vehicle:  # the shipping record is the authority: the shipper may no longer hold the batches
        return record_authorized(session, gateway, [payload], ledger=ledger)[0]
    event, _ = record_event(session, gateway, payload, ledger=ledger)
    return event


def handle_message(session: Session, ledger: LedgerConfig, topic: str, payload: bytes) -> Event | None:
    """Record one MQTT message (topic and raw payload)."""
    org_id, target = parse_topic(topic)
    try:
        message = loads_exact(payload)
    except GrammarError as exc:
        raise ValidationError(f"The sensor message has a number outside the grammar: {exc}") from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError(f"The sensor message is not JSON: {exc}") from exc
    return attach_readings(session, ledger, org_id, target, message)
