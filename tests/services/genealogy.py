"""Build batch genealogies (merges, splits, stages at chosen times) through the recording services."""

from __future__ import annotations

import datetime as dt
import itertools
import uuid
from decimal import Decimal
from typing import Any

import pytest

from tests.factories import Actor, Factory
from trace.models import Batch, Event, Product
from trace.services.records.events import record_event, record_transformation

_lots = itertools.count(1)
T0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=200)


def day(n: float) -> dt.datetime:
    """Return a fixed point in the past, n days after the genealogy's start."""
    return T0 + dt.timedelta(days=n)


class Genealogy:
    """One producer with one product, recording what a test needs."""

    def __init__(self, make: Factory, session: Any, ledger: Any, category: str = "grain_oil") -> None:
        self.make, self.session, self.ledger = make, session, ledger
        self.producer: Actor = make.actor("producer")
        self.product: Product = make.product(self.producer, category)

    def raw(self, quantity: str = "100", *, actor: Actor | None = None, product: Product | None = None) -> Batch:
        actor = actor or self.producer
        return self.make.batch(actor, product or (self.product if actor is self.producer else None), quantity=quantity)

    def transform(self, inputs: list[tuple[Batch, str]], outputs: list[str], *, stage: str = "processing",
                  at: dt.datetime | None = None, actor: Actor | None = None,
                  product: Product | None = None) -> list[Batch]:
        """Consume quantities of inputs and return the new output batches (one per output quantity)."""
        actor = actor or self.producer
        product = product or self.product
        body = {"id": uuid.uuid4(), "stage": stage, "occurred_at": at or day(100), "data": {},
                "inputs": [{"batch": b.trace_code, "quantity": Decimal(q), "uom": b.uom} for b, q in inputs],
                "outputs": [{"product": product.id, "lot": f"G{next(_lots)}", "quantity": Decimal(q), "uom": "KGM"}
                            for q in outputs]}
        event, _ = record_transformation(self.session, actor.user, body, ledger=self.ledger)
        return [eb.batch for eb in event.batches if eb.role == "output"]

    def event(self, stage: str, batches: list[Batch], data: dict[str, Any] | None = None, *,
              at: dt.datetime | None = None, actor: Actor | None = None) -> Event:
        actor = actor or self.producer
        body = {"id": uuid.uuid4(), "stage": stage, "batches": [b.trace_code for b in batches],
                "occurred_at": at or day(100), "data": data or {}, "attachments": []}
        event, _ = record_event(self.session, actor.user, body, ledger=self.ledger)
        return event

    def ship(self, batch: Batch, to: Actor, *, quantity: str | None = None, at: dt.datetime | None = None,
             actor: Actor | None = None, receive: bool = True, temperatures: list[str] | None = None) -> None:
        """Ship a batch to another organization (and record its receipt)."""
        at = at or day(120)
        data: dict[str, Any] = {"recipient": to.org.id}
        if quantity:
            data |= {"quantity": quantity, "uom": batch.uom}
        if temperatures:
            data["temperatures"] = readings(at - dt.timedelta(hours=6), temperatures)
        sender = actor or self.producer
        self.event("shipping", [batch], data, at=at, actor=sender)
        if receive:
            got = {"from": sender.org.id} | ({"quantity": quantity, "uom": batch.uom} if quantity else {})
            self.event("receiving", [batch], got, at=at + dt.timedelta(hours=8), actor=to)


def readings(start: dt.datetime, values: list[str]) -> list[dict[str, str]]:
    """Return temperature readings an hour apart."""
    return [{"time": (start + dt.timedelta(hours=i)).isoformat(), "celsius": v} for i, v in enumerate(values)]


@pytest.fixture()
def ledger(app: Any) -> Any:
    return app.extensions["trace.ledger"]


@pytest.fixture()
def gen(make: Factory, session: Any, ledger: Any) -> Genealogy:
    return Genealogy(make, session, ledger)


def diamond(gen: Genealogy) -> dict[str, object]:
    """A + B merge into M; M splits into S1, S2; S1 + C merge into M2; S2 → P; M2 + P merge into F."""
    a, b, c = gen.raw("100"), gen.raw("50"), gen.raw("30")
    (m,) = gen.transform([(a, "60"), (b, "40")], ["100"])
    s1, s2 = gen.transform([(m, "100")], ["70", "30"])
    (m2,) = gen.transform([(s1, "70"), (c, "30")], ["100"])
    (p,) = gen.transform([(s2, "30")], ["25"])
    (f,) = gen.transform([(m2, "50"), (p, "25")], ["75"])
    return {"A": a, "B": b, "C": c, "M": m, "S1": s1, "S2": s2, "M2": m2, "P": p, "F": f}
