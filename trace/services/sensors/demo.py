"""Demo cold chain: a cold store and a refrigerated truck with sensors, and a day's realistic readings each.

The cold store holds 2–4 °C with the compressor cycling and a little warmer by day; its door is left
open once for 35 minutes while a batch is inside, in the evening while other produce is loaded
(above 8 °C for over half an hour with the recovery: an excursion, a finding on that batch). The
truck runs 3–5 °C, warmer in the afternoon sun. Readings are one a minute, published as signed
SenML packs of 60 and sealed into window records, as a real sensor's would be.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.ledger.keys import generate_private_key, public_raw
from trace.ledger.senml import pack, sign_message
from trace.models import Batch, Event, EventBatch, Location, User
from trace.services.devices.enrolment import enroll_device
from trace.services.devices.locations import add_location
from trace.services.sensors.ingest import ingest_messages
from trace.services.sensors.windows import seal_windows
from trace.services.signing.keys import LedgerConfig
from trace.stages import names
from trace.times import CHINA

PACK = 60


def _stage_time(session: Session, batch: Batch, having: frozenset[str]) -> dt.datetime:
    return session.scalars(
        sa.select(Event.occurred_at).join(EventBatch, EventBatch.event_id == Event.id)
        .where(EventBatch.batch_id == batch.id, Event.stage.in_(having)).order_by(Event.occurred_at)).one()


def _cold_store(moment: dt.datetime, door: tuple[dt.datetime, dt.datetime]) -> float:
    hour = moment.astimezone(CHINA).hour + moment.minute / 60
    value = 3.0 + 0.5 * math.sin(2 * math.pi * (hour - 9) / 24) + 0.4 * math.sin(2 * math.pi * moment.minute / 20)
    minutes = (moment - door[0]).total_seconds() / 60
    shut = (door[1] - door[0]).total_seconds() / 60
    if 0 <= minutes <= shut:  # warms fast with the door open
        value += min(8.5, 0.6 * minutes)
    elif minutes > shut:  # then the compressor pulls it back down
        value += max(0.0, min(8.5, 0.6 * shut) - 0.4 * (minutes - shut))
    return round(value, 1)


def _truck(moment: dt.datetime) -> float:
    hour = moment.astimezone(CHINA).hour + moment.minute / 60
    return round(4.0 + 0.9 * math.sin(2 * math.pi * (hour - 9) / 24) + 0.3 * math.sin(moment.minute / 3), 1)


def _publish(session: Session, ledger: LedgerConfig, user: User, location: Location, name: str,
             start: dt.datetime, end: dt.datetime, value: Callable[[dt.datetime], float]) -> int:
    """Enrol a sensor at the place and have it publish one reading a minute from start to end; return how many."""
    private = generate_private_key()
    device = enroll_device(session, ledger, user, name, public_raw(private), kind="sensor",
                           location_id=location.id)
    topic = f"suyuan/senml/{user.organization_id}/{name}"
    moments = []
    moment = start.replace(second=0, microsecond=0)
    while moment <= end:
        moments.append(moment)
        moment += dt.timedelta(minutes=1)
    messages = []
    for i in range(0, len(moments), PACK):
        readings = [("temperature", int(m.timestamp()), value(m)) for m in moments[i:i + PACK]]
        signed = sign_message(private, str(uuid.uuid4()), device.key.key_id, pack(f"urn:dev:suyuan:{name}:", readings))
        messages.append((topic, json.dumps(signed).encode()))
    ingest_messages(session, messages)
    return len(moments)


def load_cold_chain(session: Session, ledger: LedgerConfig, user: User, batch: Batch, *, store: str,
                    truck: str) -> list[str]:
    """Register the producer's cold store and truck (as its records name them), sensors in each, and readings."""
    stored = _stage_time(session, batch, names(lambda s: s.cold_chain and not s.ships))
    shipped = _stage_time(session, batch, names(lambda s: s.ships))
    received = _stage_time(session, batch, names(lambda s: s.receives))
    cold_store = add_location(session, user, user.organization_id, {"kind": "cold_store", "name": store})
    vehicle = add_location(session, user, user.organization_id, {"kind": "vehicle", "name": truck})
    door_open = min(stored + dt.timedelta(minutes=90), stored + (shipped - stored) / 2)  # loading other produce
    door = (door_open, door_open + dt.timedelta(minutes=35))
    count = _publish(session, ledger, user, cold_store, "coldstore-1", stored - dt.timedelta(hours=12), shipped,
                     lambda m: _cold_store(m, door))
    count += _publish(session, ledger, user, vehicle, "truck-1", shipped, received, _truck)
    made = seal_windows(session, ledger, everything=True)
    return [f"cold chain: {count} signed readings in {len(made)} window records ({store}, {truck}; "
            f"door open {door[0].astimezone(CHINA):%m-%d %H:%M})"]


