"""The CBV 2.0 event hash ID reproduces the reference implementation's test vectors exactly."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from trace.interop.event_hash import event_hash_id, prehash
from trace.interop.gs1_keys import check_digit, dl_normal

VECTORS = Path(__file__).resolve().parents[1] / "standards" / "event-hash"
DOCUMENTS = sorted(p.stem for p in VECTORS.glob("*.jsonld"))


def _events(doc: dict) -> list[dict]:
    body = doc["epcisBody"]
    if "queryResults" in body:
        return body["queryResults"]["resultsBody"]["eventList"]
    return body["eventList"]


def _lines(path: Path) -> list[str]:
    return [line.rstrip("\n") for line in path.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("name", DOCUMENTS)
def test_reference_vectors_hash_exactly(name):
    doc = json.loads((VECTORS / f"{name}.jsonld").read_text(), parse_float=Decimal)  # as capture parses
    events = _events(doc)
    expected = _lines(VECTORS / f"{name}.hashes")
    assert len(expected) == len(events)
    prehashes = _lines(VECTORS / f"{name}.prehashes")
    for i, (event, want) in enumerate(zip(events, expected, strict=True)):
        assert prehash(event, doc["@context"], events) == prehashes[i], f"{name} event {i}"
        assert event_hash_id(event, doc["@context"], document_events=events) == want, f"{name} event {i}"


def test_the_shipped_vectors_are_all_there():
    assert len(DOCUMENTS) == 12
    assert sum(len(_lines(VECTORS / f"{n}.hashes")) for n in DOCUMENTS) == 29


def test_hash_changes_with_content_and_not_with_key_order_or_spelling():
    event = {"type": "ObjectEvent", "eventTime": "2026-11-30T08:00:00+08:00", "eventTimeZoneOffset": "+08:00",
             "action": "OBSERVE", "bizStep": "shipping",
             "quantityList": [{"epcClass": "urn:epc:class:lgtin:4012345.012345.L1", "quantity": Decimal("15.0"),
                               "uom": "KGM"}]}
    same = {**dict(reversed(list(event.items()))), "eventTime": "2026-11-30T00:00:00.000Z",
            "bizStep": "https://ref.gs1.org/cbv/BizStep-shipping",
            "quantityList": [{"uom": "KGM", "quantity": 15, "epcClass": "https://id.gs1.org/01/04012345123456/10/L1"}]}
    assert event_hash_id(event) == event_hash_id(same)
    assert event_hash_id(event).startswith("ni:///sha-256;") and event_hash_id(event).endswith("?ver=CBV2.0")
    more = {**event, "quantityList": [{**event["quantityList"][0], "quantity": 16}]}
    assert event_hash_id(more) != event_hash_id(event)


@pytest.mark.parametrize(("uri", "want"), [
    ("urn:epc:id:sgtin:0614141.107346.2017", "https://id.gs1.org/01/10614141073464/21/2017"),
    ("urn:epc:id:sscc:4012345.0000000333", "https://id.gs1.org/00/040123450000003338"),
    ("urn:epc:id:sgln:0614141.07346.1234", "https://id.gs1.org/414/0614141073467/254/1234"),
    ("urn:epc:id:sgln:4012345.00022.0", "https://id.gs1.org/414/4012345000221"),
    ("urn:epc:class:lgtin:4012345.012345.998877", "https://id.gs1.org/01/04012345123456/10/998877"),
    ("urn:epc:id:pgln:4012345.00000", "https://id.gs1.org/417/4012345000009"),
    ("https://example.com/gtin/9780345418913/ser/765tz?17=221231", "https://id.gs1.org/01/09780345418913/21/765tz"),
    ("https://trace.example.cn/batch/3HX7-2K9Q", None),
    ("geo:47.506694,11.104301", None),
])
def test_gs1_keys_become_canonical_digital_link(uri, want):
    assert dl_normal(uri) == want


def test_check_digit():
    assert check_digit("061414107346") == 7  # GLN 0614141073467
    assert check_digit("1061414107346") == 4  # GTIN-14 10614141073464
    assert check_digit("04012345000000333") == 8  # SSCC 040123450000003338
