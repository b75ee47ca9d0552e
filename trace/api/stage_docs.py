"""What the API docs page shows of each stage a client records: its data fields and an example body.

The examples are bodies a clerk can send as they are (with their own trace codes and ids);
tests load each through the same schemas the API uses, so they cannot drift from the stages.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from trace.schemas import common
from trace.stages import STAGES, Stage
from trace.stages.fields import TemperatureSeries

CODE, OTHER_CODE = "M2Q99H521N4MS", "KV93DJ5WHJ316"  # trace codes of the form the service issues
EVENT_ID = "7d4c1f0e-2b5a-4c39-9a61-0f3e8b2d5c17"
WHEN = "2026-05-12T08:30:00+08:00"
_READINGS = [{"time": "2026-05-12T18:00:00+08:00", "celsius": "3.6"},
             {"time": "2026-05-12T20:00:00+08:00", "celsius": "3.9"}]
_RESIDUE = {"item": "毒死蜱", "method": "GB 23200.113", "limit": "0.02", "measured": "0.003", "unit": "mg/kg",
            "result": "pass"}

# The data part of an example record of each stage that clients record through /events or /transformations.
EXAMPLE_DATA: dict[str, dict[str, Any]] = {
    "planting": {"plot": "横山村茶园3号地块", "variety": "鸠坑种", "area": "12", "areaUnit": "MU"},
    "input": {"inputType": "pesticide", "product": "吡虫啉可湿性粉剂", "dose": "30", "doseUnit": "mL/亩",
              "registrationNumber": "PD20101234", "preHarvestIntervalDays": 7},
    "harvest": {"quantity": "800", "uom": "KGM"},
    "processing": {"method": "杀青、揉捻、烘干", "facility": "一号车间"},
    "test_request": {"laboratory": 2, "items": ["毒死蜱", "吡虫啉"]},
    "sampling": {"laboratory": 2, "sampleNumber": "CJ-2026-017", "items": ["啶虫脒"], "place": "白麻山村果园"},
    "inspection": {"kind": "inspection", "items": [_RESIDUE], "result": "pass", "reportNumber": "SY2026-041"},
    "sorting": {"method": "按单果重分级"},
    "packing": {"packageType": "礼盒", "units": 100, "netWeight": "0.5", "uom": "KGM"},
    "storage": {"warehouse": "合作社冷库", "temperatures": _READINGS},
    "shipping": {"recipient": 17, "vehicle": "浙K·D1234", "quantity": "20", "uom": "KGM", "temperatures": _READINGS},
    "receiving": {"from": 11, "quantity": "20", "uom": "KGM"},
    "sale": {"channel": "supermarket", "quantity": "20", "uom": "KGM"},
    "certificate": {"number": "HGZ-20260512-7KQ2MD", "basis": ["quality_control", "commissioned_test"],
                    "quantity": "20", "uom": "KGM"},
    "destruction": {"method": "深埋", "quantity": "200", "uom": "KGM"},
}


def recorded_stages() -> list[Stage]:
    """Return the stages clients record themselves, in the order of a batch's life."""
    return [s for s in STAGES.values() if not s.service_only and not s.recorded_through]


def example_body(stage: Stage) -> tuple[str, dict[str, Any]]:
    """Return the path an example record of the stage is sent to, and its body."""
    data = EXAMPLE_DATA[stage.name]
    if stage.transformation_only:
        return "/api/v1/transformations", {
            "id": EVENT_ID, "stage": stage.name, "occurredAt": WHEN, "data": data,
            "inputs": [{"batch": CODE, "quantity": "800", "uom": "KGM"}],
            "outputs": [{"product": 1, "lot": "T2026-041P", "quantity": "190", "uom": "KGM"}]}
    return "/api/v1/events", {"id": EVENT_ID, "stage": stage.name, "batches": [CODE], "occurredAt": WHEN,
                              "data": data}


def stage_fields(stage: Stage) -> list[dict[str, Any]]:
    """Return the stage's data fields: name, type, required, label and allowed values."""
    return _fields(stage.schema(), stage, "")


def _fields(schema: Schema, stage: Stage, prefix: str) -> list[dict[str, Any]]:
    rows = []
    for name, field in schema.fields.items():
        key = field.data_key or name
        label = stage.labels.get(prefix + key)
        rows.append({"name": prefix + key, "type": _type(field), "required": field.required,
                     "label": str(label) if label is not None else "", "choices": _choices(field)})
        inner = field.inner if isinstance(field, fields.List) else field
        if isinstance(inner, fields.Nested) and isinstance(inner.schema, Schema):
            rows += _fields(inner.schema, stage, f"{prefix}{key}[].")
    return rows


_TYPES: list[tuple[type, str]] = [
    (TemperatureSeries, "readings [{time, celsius}]"), (common.Quantity, "decimal (string)"),
    (common.Measurement, "decimal (string)"), (common.Unit, "unit (UN/ECE Rec 20: KGM, LTR, H87 …)"),
    (common.RowId, "id"), (common.RecordRef, "record id"), (common.TraceCode, "trace code"),
    (fields.Integer, "integer"), (fields.Boolean, "boolean"), (fields.Date, "date"),
    (fields.DateTime, "time (RFC 3339)"), (fields.Nested, "object"), (fields.String, "text"),
]


def _type(field: fields.Field) -> str:
    if isinstance(field, fields.List):
        return f"list of {_type(field.inner)}"
    return next((text for kind, text in _TYPES if isinstance(field, kind)), "value")


def _choices(field: fields.Field) -> list[str]:
    target = field.inner if isinstance(field, fields.List) else field
    if isinstance(target, common.Unit):
        return []  # dozens of codes: the type names the common ones
    return [str(c) for v in target.validators if isinstance(v, validate.OneOf) for c in v.choices]
