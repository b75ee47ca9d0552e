"""The fast load gives what ``Schema.load`` gives: the same result for a body it accepts, the same errors otherwise."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import Schema, ValidationError, fields, post_load

from trace.schemas.events import EventIn, TransformationIn
from trace.schemas.fastload import fast_loader
from trace.stages import STAGES

WHEN = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat()
CODE, OTHER = "GEMPGQ9AHA04Z", "7N15HDRSW67QK"
# Values that are valid for some field of some schema, and values that are not valid for any.
VALUES = st.sampled_from([
    "1号冷库", "KGM", "H87", "30", "1.50E1", "15.0", 7, 0, -1, 2**40, "market", "pass", "fail", "pesticide", "",
    " ", "a\x00b", WHEN, "2026-13-01T00:00:00Z", "2999-01-01T00:00:00Z", CODE, OTHER, "GEMPGQ9AHA04A",
    str(uuid.UUID(int=5)), "not-a-uuid", None, True, 1.5, [], [CODE], [CODE, CODE], [CODE, OTHER], {}, {"id": 3},
    {"id": 3, "name": "库"}, {"name": "3号地块", "latitude": "28.45", "longitude": 119.48}, {"latitude": 91},
    [{"time": WHEN, "celsius": "3.5"}], [{"time": WHEN}], {"keyId": "a" * 64, "sig": "c2ln"},
    [{"batch": CODE, "quantity": "1", "uom": "KGM"}], [{"product": 1, "lot": "L1", "quantity": "1", "uom": "KGM"}],
    [{"grade": "一级", "quantity": "15", "uom": "KGM"}], ["铅", "镉"],
])
SCHEMAS: list[Schema] = [EventIn(), TransformationIn(), *(s.loader for s in STAGES.values())]
# Values likely valid for a field of that name (drawn most of the time, so that many bodies load).
LIKELY = {"id": str(uuid.uuid4()), "stage": "storage", "batches": [CODE], "occurredAt": WHEN, "data": {},
          "warehouse": "1号冷库", "temperatures": [{"time": WHEN, "celsius": "-3.50"}], "quantity": "1.50E1",
          "uom": "KGM", "recipient": 7, "from": 7, "laboratory": 5, "channel": "market", "method": "人工",
          "inputs": [{"batch": CODE, "quantity": "1", "uom": "KGM"}], "location": {"name": "3号地块"},
          "outputs": [{"product": 1, "lot": "L1", "quantity": "1", "uom": "KGM"}], "items": ["铅"],
          "result": "pass", "kind": "rapid_test", "inputType": "pesticide", "product": "吡虫啉"}


def outcome(load: Any, body: Any) -> tuple[str, Any]:
    try:
        return "loaded", load(body)
    except ValidationError as exc:
        return "refused", exc.messages


def keys_of(schema: Schema) -> list[str]:
    return sorted(f.data_key or name for name, f in schema.load_fields.items()) + ["unknownField"]


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(range(len(SCHEMAS))), st.data())
def test_fast_load_equals_load_on_any_body(which, data):
    schema = SCHEMAS[which]
    required = [f.data_key or name for name, f in schema.load_fields.items() if f.required]
    mostly = st.sampled_from([True] * 3 + [False])
    keys = [k for k in required if data.draw(mostly)] + data.draw(
        st.lists(st.sampled_from(keys_of(schema)), unique=True, max_size=2))
    body = {key: LIKELY[key] if key in LIKELY and data.draw(mostly) else data.draw(VALUES) for key in keys}
    assert outcome(fast_loader(schema), body) == outcome(schema.load, body)


@pytest.mark.parametrize("body", [
    {"id": str(uuid.uuid4()).upper(), "stage": "storage", "batches": [CODE], "occurredAt": WHEN,
     "data": {"warehouse": "1号冷库"}, "location": {"id": 3, "name": "1号冷库"},
     "deviceSignature": {"keyId": "a" * 64, "sig": "c2ln"}},
    {"id": str(uuid.uuid4()), "stage": "harvest", "batches": [CODE, OTHER], "occurredAt": WHEN,
     "sensors": [{"sensorReport": [{"type": "Temperature", "value": 3.25}]}], "attachments": []},
    {"id": str(uuid.uuid4()), "stage": "storage", "batches": [CODE, CODE], "occurredAt": WHEN},  # the schema check
    {"id": str(uuid.uuid4()), "stage": "no-such-stage", "batches": [CODE], "occurredAt": WHEN},
    [], "text",
])
def test_fast_load_equals_load_on_event_bodies(body):
    loaded = outcome(fast_loader(EventIn()), body)
    assert loaded == outcome(EventIn().load, body)
    if isinstance(body, dict) and body.get("stage") == "storage" and len(set(body["batches"])) == len(body["batches"]):
        assert loaded[0] == "loaded" and isinstance(loaded[1]["id"], uuid.UUID)


def test_a_schema_it_cannot_mirror_is_loaded_by_marshmallow():
    class WithHook(Schema):
        name = fields.String()

        @post_load
        def _upper(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
            return {k: v.upper() for k, v in data.items()}

    schema = WithHook()
    assert fast_loader(schema) == schema.load
    assert fast_loader(schema)({"name": "a"}) == {"name": "A"}
