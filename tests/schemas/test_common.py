"""Fields of the number and text grammar, and the fast canonical dump equal to marshmallow's."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from marshmallow import ValidationError

from trace.schemas.common import BatchQuantity, Measurement, Quantity, Text, canonical_dumper
from trace.stages import STAGES

WHEN = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=3)).replace(microsecond=250000)
LOCAL = WHEN.astimezone(dt.timezone(dt.timedelta(hours=8))).isoformat()
READINGS = [{"time": LOCAL, "celsius": "-3.50"}, {"time": WHEN.isoformat(), "celsius": 4}]

# One example per stage using every field the stage has (numbers written non-canonically on purpose).
EXAMPLES = {
    "planting": {"plot": "3号地块", "variety": "浙粉", "area": "2.50", "areaUnit": "MU", "method": "直播"},
    "input": {"inputType": "pesticide", "product": "吡虫啉", "dose": Decimal("1.5E1"), "doseUnit": "ml/亩",
              "registrationNumber": "PD20080001", "preHarvestIntervalDays": 7, "target": "蚜虫"},
    "harvest": {"quantity": "1.50E2", "uom": "KGM", "method": "手采\n分两次"},
    "processing": {"method": "清洗", "facility": "1号车间"},
    "test_request": {"laboratory": 5, "items": ["铅", "镉"], "sampleQuantity": "2 kg", "note": "加急"},
    "sampling": {"laboratory": 5, "items": ["铅"], "sampleNumber": "CJ-1", "sampleQuantity": "1 kg",
                 "place": "农贸市场"},
    "inspection": {"kind": "rapid_test", "result": "pass", "lab": "县检测站", "reportNumber": "R-1",
                   "basis": "commissioned", "request": "0B1C6F0E-6F64-4B36-9C1E-2F3B1C0E8A11",
                   "items": [{"item": "铅", "method": "GB 5009.12", "limit": "2E-1", "measured": Decimal("0.050"),
                              "unit": "mg/kg", "result": "pass"}]},
    "sorting": {"grades": [{"grade": "一级", "quantity": "15.0", "uom": "KGM"}], "method": "人工"},
    "packing": {"packageType": "纸箱", "units": 12, "netWeight": "5.000", "uom": "KGM"},
    "storage": {"warehouse": "1号冷库", "temperatures": READINGS, "sensor": "T-1", "vehicle": "浙K12345"},
    "shipping": {"recipient": 7, "vehicle": "浙K12345", "quantity": 30, "uom": "KGM", "temperatures": READINGS},
    "receiving": {"from": 7, "quantity": "30", "uom": "KGM"},
    "sale": {"channel": "market", "quantity": "1e1", "uom": "KGM", "buyer": "农贸市场"},
    "certificate": {"number": "HGZ-1", "basis": ["self_test", "quality_control"], "quantity": "20.0", "uom": "KGM",
                    "origin": "松阳县", "contact": "0578-1234567"},
    "recall": {"reason": "铅超标", "action": "close", "recallId": 3, "origin": "1WYXQ7VYE1TQZ", "note": "已销毁"},
    "destruction": {"method": "深埋", "quantity": "0.5", "uom": "KGM"},
    "registration": {"product": {"id": 3, "name": "番茄", "nameEn": None, "gtin": "06970000000024",
                                 "category": "vegetables"}, "organization": "2", "lot": "L1", "quantity": "1.50E2",
                     "uom": "KGM", "origin": {"name": "3号地块"}, "producedAt": "2026-04-01T00:00:00Z",
                     "transformation": "0b1c6f0e-6f64-4b36-9c1e-2f3b1c0e8a11", "backfilled": True},
    "product": {"product": 3, "category": "vegetables", "name": "番茄", "nameEn": "Tomato", "gtin": None,
                "brand": "石仓", "regionalBrand": "松阳好产", "certifications": [{"kind": "organic"}],
                "backfilled": True},
    "correction": {"record": "0b1c6f0e-6f64-4b36-9c1e-2f3b1c0e8a11", "fields": {"variety": "浙粉702"},
                   "reason": "品种写错"},
    "certification": {"certification": 4, "organization": 2, "kind": "organic", "issuer": "中绿华夏有机食品认证中心",
                      "number": "ORG-1", "products": [3, 5], "validFrom": "2026-01-01", "validUntil": "2027-12-31",
                      "scan": {"sha256": "ab" * 32, "name": "证书.pdf", "mime": "application/pdf", "size": 1024}},
    "certification_check": {"certification": 4, "result": "verified", "note": "与证书原件核对一致"},
    "brand": {"brand": 1, "code": "songyang-tea", "name": "松阳香茶", "nameEn": "Songyang tea", "owner": 9,
              "categories": ["tea"], "region": {"province": "浙江省", "county": "松阳县"},
              "requiredCertifications": ["green_food"], "requiresTest": True},
    "brand_grant": {"grant": 2, "brand": 1, "organization": 2, "categories": ["tea"], "validFrom": "2026-01-01",
                    "validUntil": "2027-12-31"},
    "brand_revocation": {"grant": 2, "brand": 1, "organization": 2, "reason": "抽检不合格"},
    "sensor_window": {"device": 3, "sensor": "T-01", "location": 7, "start": "2026-11-30T00:00:00Z",
                      "end": "2026-11-30T01:00:00Z", "messages": [{"id": "m-1", "sha256": "ab" * 32}],
                      "readings": {"temperature": {"count": 60, "min": "3.1", "max": "4.2"}}},
}


def test_every_stage_has_an_example():
    assert set(EXAMPLES) == set(STAGES)


@pytest.mark.parametrize("stage", sorted(EXAMPLES))
def test_canonical_dump_equals_the_schema_dump(stage):
    schema = STAGES[stage].loader
    loaded = schema.load(EXAMPLES[stage])
    assert canonical_dumper(schema)(loaded) == schema.dump(loaded)
    required = {f.data_key or n for n, f in schema.fields.items() if f.required}
    kept = ("reason", "fields", "registrationNumber", "preHarvestIntervalDays")
    minimal = {k: v for k, v in EXAMPLES[stage].items() if k in required or k in kept}
    loaded = schema.load(minimal)
    assert canonical_dumper(schema)(loaded) == schema.dump(loaded)


def test_canonical_dump_of_numbers_and_times():
    dumped = canonical_dumper(STAGES["storage"].loader)(STAGES["storage"].loader.load(EXAMPLES["storage"]))
    stamp = WHEN.isoformat().replace("+00:00", "Z")
    assert dumped["temperatures"] == [{"time": stamp, "celsius": "-3.5"}, {"time": stamp, "celsius": "4"}]


@given(st.decimals(allow_nan=False, allow_infinity=False, places=9, min_value=-(10**15) + 1, max_value=10**15 - 1))
def test_measurement_loads_exactly_and_dumps_canonically(number):
    field = Measurement()
    assert field.deserialize(str(number)) == number
    assert Decimal(field.serialize("x", {"x": number})) == number


def test_quantities():
    assert Quantity().deserialize("123456789012345.123456789") == Decimal("123456789012345.123456789")
    for bad in ("0", "-1", "1e15", "abc", 1.5):
        with pytest.raises(ValidationError):
            Quantity().deserialize(bad)
    assert BatchQuantity().deserialize("999999999.999999") == Decimal("999999999.999999")
    for bad in ("1000000000", "0.0000001"):
        with pytest.raises(ValidationError):
            BatchQuantity().deserialize(bad)


def test_text():
    assert Text(5).deserialize(" a\tb\n") == " a\tb\n"
    for bad in ("", "  ", "a\rb", "a\x00", "\ud800", "abcdef", 5):
        with pytest.raises(ValidationError):
            Text(5).deserialize(bad)
    assert Text(5, min_len=0).deserialize("") == ""
    assert Text(5, multiline=True).deserialize("a\r\nb") == "a\r\nb"
