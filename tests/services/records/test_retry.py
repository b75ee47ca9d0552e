"""The one retry rule's content digest: canonical client content, whatever its spelling."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

from trace.services.records.retry import canonical_decimal, client_content, content_digest, record_id

ID = uuid.UUID("0b5e8a4e-3f0c-4f5e-9d43-6f1f6e0c2a11")


def body(**changes):
    base = {"id": ID, "stage": "storage", "batches": ["3HX72K9Q"],
            "occurred_at": dt.datetime(2026, 11, 30, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
            "data": {"temperatures": [{"time": "2026-11-30T00:00:00Z", "celsius": Decimal("4.50")}], "note": "冷库"},
            "location": {"name": "一号冷库", "latitude": Decimal("28.40"), "longitude": Decimal("119.4800")},
            "attachments": []}
    return {**base, **changes}


def test_spelling_does_not_change_the_digest():
    same = body(
        id=str(ID).upper(),
        occurred_at=dt.datetime(2026, 11, 30, 0, 0, tzinfo=dt.UTC),  # the same instant in UTC
        data={"note": "冷库", "temperatures": [{"celsius": Decimal("4.5"), "time": "2026-11-30T00:00:00Z"}]},
        location={"longitude": Decimal("119.48"), "latitude": Decimal("28.4"), "name": "一号冷库"},
    )
    del same["attachments"]  # absent and empty are the same content
    assert content_digest(same) == content_digest(body())


def test_content_changes_the_digest():
    digest = content_digest(body())
    assert content_digest(body(stage="sale")) != digest
    assert content_digest(body(batches=["3HX72K9R"])) != digest
    assert content_digest(body(occurred_at=dt.datetime(2026, 11, 30, 0, 0, 1, tzinfo=dt.UTC))) != digest
    assert content_digest(body(data={"note": "冷库"})) != digest
    assert content_digest(body(data={**body()["data"], "note": None})) != digest
    assert content_digest(body(attachments=[{"sha256": "0" * 64, "name": "a", "mime": "a/b", "size": 1}])) != digest
    signed = body(device_signature={"key_id": "a" * 64, "sig": "x"})
    assert content_digest(signed) != digest
    assert content_digest({**signed, "device_signature": {"key_id": "a" * 64, "sig": "y"}}) == content_digest(signed)


def test_server_fields_and_the_id_are_not_content():
    content = client_content({**body(), "recorded_at": dt.datetime.now(dt.UTC), "prev": {"X": None}, "org": 3})
    assert set(content) == {"stage", "batches", "occurred_at", "location", "data"}
    assert content["occurred_at"] == "2026-11-30T00:00:00Z"
    assert content["data"]["temperatures"][0]["celsius"] == "4.5"


def test_canonical_decimal_and_record_id():
    assert [canonical_decimal(Decimal(t)) for t in ("15.0", "1.50E1", "15", "-0.00", "0.000120", "1E+3")] == [
        "15", "15", "15", "0", "0.00012", "1000"]
    assert record_id(str(ID).upper()) == str(ID)
    assert record_id("{" + ID.hex.upper() + "}") == str(ID)
