"""A county with two laboratories, an inspector and two producers; products made through a split and a merge."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tests.factories import Actor, Factory, ago, event_body
from trace.models import Batch

RESIDUE = [{"item": "毒死蜱", "limit": "0.02", "measured": "0.003", "unit": "mg/kg", "result": "pass"}]
FAILED = [{"item": "镉", "limit": "0.2", "measured": "0.9", "unit": "mg/kg", "result": "fail"}]
LAB_NAME = "松阳县农产品质量安全检测站"


@dataclass
class County:
    make: Factory
    client: Any
    producer: Actor
    stranger: Actor
    lab: Actor
    other_lab: Actor
    inspector: Actor

    def post(self, actor: Actor, path: str, body: dict[str, Any]) -> Any:
        return self.client.post(f"/api/v1{path}", json=body, headers=actor.headers)

    def record(self, actor: Actor, stage: str, batches: list[Batch], data: dict[str, Any], **extra: Any) -> Any:
        return self.post(actor, "/events", event_body(stage, batches, data, **extra))

    def ok(self, actor: Actor, stage: str, batches: list[Batch], data: dict[str, Any], **extra: Any) -> dict[str, Any]:
        r = self.record(actor, stage, batches, data, **extra)
        assert r.status_code == 201, r.get_data(as_text=True)
        return r.json  # type: ignore[no-any-return]

    def request_test(self, batch: Batch, lab: Actor | None = None) -> dict[str, Any]:
        """The producer asks a laboratory (by default the county's) to test a batch."""
        return self.ok(self.producer, "test_request", [batch],
                       {"laboratory": (lab or self.lab).org.id, "items": ["毒死蜱", "镉"]})

    def answer(self, batch: Batch, key: str, record: str, items: list[dict[str, Any]] | None = None,
               result: str = "pass", lab: Actor | None = None) -> Any:
        """A laboratory records its result answering a request or sample."""
        return self.record(lab or self.lab, "inspection", [batch],
                           {"items": items or RESIDUE, "result": result, "reportNumber": "JC-2026-001", key: record})

    def transform(self, actor: Actor, stage: str, inputs: list[tuple[Batch, str]],
                  outputs: list[tuple[Any, str, str]]) -> list[Batch]:
        """Record a transformation; return the output batches."""
        body = {"id": str(uuid.uuid4()), "stage": stage, "occurredAt": ago(minutes=30),
                "inputs": [{"batch": b.trace_code, "quantity": q, "uom": b.uom} for b, q in inputs],
                "outputs": [{"product": p.id, "lot": lot, "quantity": q, "uom": "KGM"} for p, lot, q in outputs]}
        r = self.post(actor, "/transformations", body)
        assert r.status_code == 201, r.get_data(as_text=True)
        codes = [line["batch"] for line in r.json["outputs"]]
        return [self.make.session.scalar(sa.select(Batch).where(Batch.trace_code == code)) for code in codes]


@dataclass
class Made:
    """Leaf A (commissioned test) split into A1 and A2; B (supervisory sample) and C (failed 自检) merged with A1: M."""

    a: Batch
    a1: Batch
    a2: Batch
    b: Batch
    c: Batch
    m: Batch
    request: dict[str, Any]
    sample: dict[str, Any]


def made(county: County) -> Made:
    producer = county.producer
    tea = county.make.product(producer, "tea", name="毛峰")
    a = county.make.batch(producer, tea, quantity="100")
    b = county.make.batch(producer, tea, quantity="50")
    c = county.make.batch(producer, tea, quantity="30")
    request = county.request_test(a)
    assert county.answer(a, "request", request["id"]).status_code == 201
    sample = county.ok(county.inspector, "sampling", [b], {"laboratory": county.lab.org.id, "sampleNumber": "CJ-9"})
    assert county.answer(b, "sample", sample["id"]).status_code == 201
    county.ok(producer, "inspection", [c], {"items": FAILED, "result": "fail", "lab": LAB_NAME})
    a1, a2 = county.transform(producer, "processing", [(a, "100")], [(tea, "A-1", "60"), (tea, "A-2", "40")])
    (m,) = county.transform(producer, "processing", [(a1, "60"), (b, "50"), (c, "30")], [(tea, "M-1", "120")])
    return Made(a, a1, a2, b, c, m, request, sample)
