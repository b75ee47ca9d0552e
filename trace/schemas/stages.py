"""The stages of a batch's life, each with its CBV bizStep and a schema for its data."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from trace.schemas.common import Measurement, PastDateTime, Quantity, RowId, Text, Unit

CBV = "https://ref.gs1.org/cbv/BizStep-"


def _text(max_len: int = 200, **kw: Any) -> Text:
    return Text(max_len, **kw)


class TemperatureReading(Schema):
    time = PastDateTime(required=True)
    celsius = Measurement(required=True, validate=validate.Range(min=Decimal(-80), max=Decimal(80)))


class TemperatureSeries(fields.Field):
    """A list of ``TemperatureReading``s, checked field by field without a nested schema per reading.

    Same rules and error shape as ``List(Nested(TemperatureReading))``, at a fifth of the cost:
    a logger's series can hold thousands of readings.
    """

    FIELDS = TemperatureReading._declared_fields

    def __init__(self, max_length: int = 10000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.max_length = max_length

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[dict[str, Any]]:
        if not isinstance(value, list):
            raise ValidationError("Not a valid list.")
        if len(value) > self.max_length:
            raise ValidationError(f"Longer than maximum length {self.max_length}.")
        readings, errors = [], {}
        for i, item in enumerate(value):
            reading, problems = self._reading(item)
            if problems:
                errors[i] = problems
            readings.append(reading)
        if errors:
            raise ValidationError(errors)
        return readings

    def _reading(self, item: Any) -> tuple[dict[str, Any], dict[str, Any]]:
        if not isinstance(item, dict):
            return {}, {"_schema": ["Invalid input type."]}
        reading: dict[str, Any] = {}
        problems: dict[str, Any] = {}
        for name in item.keys() - self.FIELDS.keys():
            problems[name] = ["Unknown field."]
        for name, field in self.FIELDS.items():
            if name not in item:
                problems[name] = ["Missing data for required field."]
                continue
            try:
                reading[name] = field.deserialize(item[name], name, item)
            except ValidationError as exc:
                problems[name] = exc.messages
        return reading, problems

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> list[dict[str, Any]] | None:
        if value is None:
            return None
        return [{name: field.serialize(name, reading) for name, field in self.FIELDS.items()} for reading in value]


class PlantingData(Schema):
    plot = _text()
    variety = _text()
    area = Quantity()
    area_unit = fields.String(data_key="areaUnit", validate=validate.OneOf(["MU", "HAR", "MTK"]))
    method = _text()


class InputData(Schema):
    """An agricultural input: fertilizer, pesticide, veterinary drug, feed."""

    input_type = fields.String(
        data_key="inputType", required=True,
        validate=validate.OneOf(["fertilizer", "pesticide", "veterinary_drug", "feed", "other"]),
    )
    product = _text(required=True)
    dose = Quantity(required=True)
    dose_unit = _text(32, data_key="doseUnit", required=True)
    registration_number = _text(64, data_key="registrationNumber")
    pre_harvest_interval_days = fields.Integer(
        data_key="preHarvestIntervalDays", validate=validate.Range(min=0, max=3650), strict=True
    )
    target = _text()

    @validates_schema
    def _regulated(self, data: dict[str, Any], **_: Any) -> None:
        if data["input_type"] in ("pesticide", "veterinary_drug"):
            errors = {}
            if not data.get("registration_number"):
                errors["registrationNumber"] = ["Required for pesticides and veterinary drugs."]
            if data.get("pre_harvest_interval_days") is None:
                errors["preHarvestIntervalDays"] = ["Required for pesticides and veterinary drugs."]
            if errors:
                raise ValidationError(errors)


class HarvestData(Schema):
    quantity = Quantity()
    uom = Unit()
    method = _text()


class InspectionItem(Schema):
    item = _text(100, required=True)
    method = _text(100)
    limit = Measurement()
    measured = Measurement()
    unit = _text(32)
    result = fields.String(required=True, validate=validate.OneOf(["pass", "fail"]))


class InspectionData(Schema):
    kind = fields.String(load_default="inspection", validate=validate.OneOf(["inspection", "sampling", "rapid_test"]))
    items = fields.List(fields.Nested(InspectionItem), required=True, validate=validate.Length(min=1, max=200))
    result = fields.String(required=True, validate=validate.OneOf(["pass", "fail"]))
    lab = _text(required=True)
    report_number = _text(64, data_key="reportNumber")

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        failed = [item["item"] for item in data.get("items", []) if item["result"] == "fail"]
        if failed and data.get("result") == "pass":
            raise ValidationError({"result": [f"Items failed ({', '.join(failed)}): the result cannot be pass."]})


class Grade(Schema):
    grade = _text(32, required=True)
    quantity = Quantity(required=True)
    uom = Unit(required=True)


class SortingData(Schema):
    grades = fields.List(fields.Nested(Grade), validate=validate.Length(min=1, max=50))
    method = _text()


class PackingData(Schema):
    package_type = _text(64, data_key="packageType")
    units = fields.Integer(validate=validate.Range(min=1), strict=True)
    net_weight = Quantity(data_key="netWeight")
    uom = Unit()


class StorageData(Schema):
    """Storage in a warehouse, or (with ``vehicle``) readings taken in transit; ``sensor`` names the logger."""

    warehouse = _text()
    temperatures = TemperatureSeries()
    sensor = _text(64)
    vehicle = _text(32)


class ShippingData(Schema):
    recipient = RowId(required=True)
    vehicle = _text(32)
    quantity = Quantity()
    uom = Unit()
    temperatures = TemperatureSeries()


class ReceivingData(Schema):
    sender = RowId(data_key="from", required=True)
    quantity = Quantity()
    uom = Unit()


class SaleData(Schema):
    channel = fields.String(
        required=True, validate=validate.OneOf(["online", "market", "supermarket", "wholesale", "restaurant", "other"])
    )
    quantity = Quantity()
    uom = Unit()
    buyer = _text()


class CertificateData(Schema):
    """A 承诺达标合格证: its number, the basis of the promise, and what the card states.

    quantity/uom, origin and contact are what was printed; records from before they were
    added lack them, and the card then shows the batch's own values.
    """

    number = _text(64, required=True)
    basis = fields.List(
        fields.String(validate=validate.OneOf(["quality_control", "self_test", "commissioned_test"])),
        required=True, validate=validate.Length(min=1),
    )
    quantity = Quantity()
    uom = Unit()
    origin = _text()
    contact = _text(100)


class RecallData(Schema):
    """A recall reaching a batch (``action`` open, the default) or its closing (``action`` close).

    Records made through /batches/<code>/recalls carry the recall's id; closing records carry
    the note the recall was closed with instead of a reason.
    """

    reason = _text(1000)
    action = fields.String(validate=validate.OneOf(["open", "close"]))
    recall_id = RowId(data_key="recallId")
    origin = fields.String(validate=validate.Length(equal=13))
    note = _text(1000)

    @validates_schema
    def _reason_or_note(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("action") == "close":
            if not data.get("note"):
                raise ValidationError({"note": ["Required when closing a recall."]})
            if data.get("recall_id") is None:
                raise ValidationError({"recallId": ["Required when closing a recall."]})
        elif not data.get("reason"):
            raise ValidationError({"reason": ["Missing data for required field."]})


class DestructionData(Schema):
    method = _text(required=True)
    quantity = Quantity()
    uom = Unit()


class ProcessingData(Schema):
    method = _text()
    facility = _text()


@dataclass(frozen=True)
class Stage:
    name: str
    zh: str
    en: str
    biz_step: str
    schema: type[Schema]
    transformation: bool = False


STAGES: dict[str, Stage] = {
    s.name: s
    for s in (
        Stage("planting", "种植/育苗/投苗", "Planting", "trace:planting", PlantingData),
        Stage("input", "农事/投入品", "Farm inputs", "trace:input", InputData),
        Stage("harvest", "采收/屠宰/捕捞", "Harvest", CBV + "commissioning", HarvestData),
        Stage("processing", "加工", "Processing", CBV + "commissioning", ProcessingData, transformation=True),
        Stage("inspection", "检测", "Inspection", CBV + "inspecting", InspectionData),
        Stage("sorting", "分拣/分级", "Sorting", "trace:sorting", SortingData),
        Stage("packing", "包装", "Packing", CBV + "packing", PackingData),
        Stage("storage", "仓储", "Storage", CBV + "storing", StorageData),
        Stage("shipping", "物流/发货", "Shipping", CBV + "shipping", ShippingData),
        Stage("receiving", "收货", "Receiving", CBV + "receiving", ReceivingData),
        Stage("sale", "销售", "Sale", CBV + "retail_selling", SaleData),
        Stage("certificate", "开具合格证", "Certificate", "trace:certificate", CertificateData),
        Stage("recall", "召回", "Recall", CBV + "holding", RecallData),
        Stage("destruction", "销毁", "Destruction", CBV + "destroying", DestructionData),
    )
}
# Stages any batch may have whatever its category's template says.
UNIVERSAL_STAGES = frozenset(
    {"inspection", "certificate", "recall", "destruction", "storage", "shipping", "receiving", "sale"}
)
# Stages that split or merge batches: recorded through /transformations.
TRANSFORMATION_STAGES = frozenset({"processing", "sorting"})


@functools.cache
def stage_schema(stage: str) -> Schema:
    """Return the stage's schema instance: schemas keep no state between loads, and building one is slow."""
    return STAGES[stage].schema()

