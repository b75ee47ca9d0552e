"""How the demo records a batch's stages: at the hours farm work is done (Beijing time), days apart.

``cold_chain`` holds the demo's storage and transport readings on its own, so that a fuller
model (refrigerated trucks, cold stores, their sensors) can replace it without touching the chains.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from trace.models import Batch, User
from trace.services.records.events import record_event, record_transformation
from trace.services.signing.keys import LedgerConfig
from trace.times import CHINA

# Local hours (start, end) in which each stage is usually done; picking happens before the heat,
# shipping before dawn so produce reaches the market in the morning, laboratories work office hours.
STAGE_HOURS: dict[str, tuple[int, int]] = {
    "planting": (7, 11), "input": (6, 10), "harvest": (5, 9), "test_request": (9, 11), "inspection": (10, 17),
    "sampling": (9, 11), "sorting": (8, 12), "processing": (8, 18), "packing": (13, 17), "certificate": (16, 18),
    "storage": (17, 20), "shipping": (4, 6), "receiving": (6, 9), "sale": (9, 20),
}


class Chain:
    """Records a batch's stages one after another, days apart, each at a plausible local time."""

    def __init__(self, session: Session, ledger: LedgerConfig, start: dt.datetime, seed: int = 2026) -> None:
        self.session, self.ledger = session, ledger
        self.rng = random.Random(seed)  # the same demo every time, apart from its random codes
        self.restart(start)

    def restart(self, start: dt.datetime) -> None:
        """Begin another batch's chain on start's day (Beijing time), before the day's work."""
        self.clock = start.astimezone(CHINA).replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)

    def at(self, days: float, stage: str | None = None) -> dt.datetime:
        """Move the clock days on, to an hour the stage is done at that day, always forward; return it."""
        moment = self.clock + dt.timedelta(days=days)
        if stage in STAGE_HOURS:
            first, last = STAGE_HOURS[stage]
            local = moment.astimezone(CHINA)
            minute = self.rng.randrange(first * 60, last * 60)
            moment = local.replace(hour=minute // 60, minute=minute % 60, second=self.rng.randrange(60),
                                   microsecond=0).astimezone(dt.UTC)
        if moment <= self.clock:  # the same day, earlier than the last step: a little after it instead
            moment = self.clock + dt.timedelta(minutes=self.rng.randrange(20, 90))
        self.clock = moment
        return moment

    def event(self, user: User, stage: str, batches: list[Batch], data: dict[str, Any], days: float = 1) -> str:
        """Record a stage of some batches; return the record id."""
        payload = {
            "id": uuid.uuid4(),
            "stage": stage,
            "batches": [b.trace_code for b in batches],
            "occurred_at": self.at(days, stage),
            "data": data,
            "attachments": [],
        }
        event, _ = record_event(self.session, user, payload, ledger=self.ledger)
        return event.id

    def transform(self, user: User, stage: str, inputs: list[tuple[Batch, str]], outputs: list[dict[str, Any]],
                  data: dict[str, Any], days: float = 1) -> list[Batch]:
        """Record a transformation (processing, a sorting split); return its output batches."""
        payload = {
            "id": uuid.uuid4(),
            "stage": stage,
            "occurred_at": self.at(days, stage),
            "data": data,
            "inputs": [{"batch": b.trace_code, "quantity": Decimal(q), "uom": b.uom} for b, q in inputs],
            "outputs": [{**o, "quantity": Decimal(o["quantity"])} for o in outputs],
        }
        event, _ = record_transformation(self.session, user, payload, ledger=self.ledger)
        return [eb.batch for eb in event.batches if eb.role == "output"]


# Where each kind of produce is kept cold (°C): the middle of the range it keeps best in. Eggs
# and oil are sold at room temperature, so they have no cold chain at all.
COLD_SETPOINTS: dict[str, Decimal] = {
    "kiwi": Decimal("1.0"),  # kiwifruit store for months at 0-2 °C
    "tomato": Decimal("8.0"),  # much below 8 °C tomatoes take chilling injury
    "tea": Decimal("3.0"),  # green tea keeps its colour and aroma in a 0-5 °C store
    "shiitake": Decimal("2.5"),  # fresh mushrooms 1-4 °C
}


def cold_chain(produce: str, start: dt.datetime, rng: random.Random, hours: float, every: float = 2.0,
               ) -> list[dict[str, str]]:
    """Return readings every ``every`` hours for ``hours`` from start near the set point; none if not kept cold.

    Each batch wanders on its own: a random walk around the set point, a door opening now and then.
    """
    setpoint = COLD_SETPOINTS.get(produce)
    if setpoint is None:
        return []
    readings, value = [], setpoint + Decimal(rng.randrange(-5, 6)) / 10
    for i in range(max(1, int(hours / every)) + 1):
        value += Decimal(rng.randrange(-3, 4)) / 10
        value = min(max(value, setpoint - Decimal("0.8")), setpoint + Decimal("0.8"))  # the compressor holds it
        shown = value + (Decimal(rng.randrange(4, 10)) / 10 if rng.random() < 0.1 else 0)  # a door opened
        moment = start + dt.timedelta(hours=every * i, minutes=rng.randrange(0, 3))
        readings.append({"time": moment.isoformat(), "celsius": f"{shown:.1f}"})
    return readings
