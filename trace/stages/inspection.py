"""Inspection (检测): test results of a batch, by a laboratory, an inspector or a rapid test."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from trace.schemas.common import Measurement
from trace.stages.base import CBV, Detail, PageView, Stage
from trace.stages.fields import text

RESULTS = {"pass": _l("Pass"), "fail": _l("Fail")}
KINDS = {"inspection": _l("Inspection"), "sampling": _l("Sampling"), "rapid_test": _l("Rapid test")}


class InspectionItem(Schema):
    item = text(100, required=True)
    method = text(100)
    limit = Measurement()
    measured = Measurement()
    unit = text(32)
    result = fields.String(required=True, validate=validate.OneOf(list(RESULTS)))


class InspectionData(Schema):
    kind = fields.String(load_default="inspection", validate=validate.OneOf(list(KINDS)))
    items = fields.List(fields.Nested(InspectionItem), required=True, validate=validate.Length(min=1, max=200))
    result = fields.String(required=True, validate=validate.OneOf(list(RESULTS)))
    lab = text(required=True)
    report_number = text(64, data_key="reportNumber")

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        failed = [item["item"] for item in data.get("items", []) if item["result"] == "fail"]
        if failed and data.get("result") == "pass":
            raise ValidationError({"result": [f"Items failed ({', '.join(failed)}): the result cannot be pass."]})


class Inspection(Stage):
    name = "inspection"
    position = 50
    label = _l("Inspection")
    biz_step = CBV + "inspecting"
    schema = InspectionData
    universal = inspectors_record = inspects = True
    references = (("reportNumber", "检测报告 report"),)
    labels = {"kind": _l("Kind of test"), "items": _l("Items tested"), "result": _l("Result"),
              "lab": _l("Laboratory"), "reportNumber": _l("Report no."),
              "items.item": _l("Item"), "items.method": _l("Method"), "items.limit": _l("Limit"),
              "items.measured": _l("Measured"), "items.unit": _l("Unit"), "items.result": _l("Result")}
    values = {"kind": KINDS, "result": RESULTS}

    def disposition_of(self, data: dict[str, Any]) -> str | None:
        return "conformant" if data.get("result") == "pass" else "non_conformant"

    @staticmethod
    def failed(data: dict[str, Any]) -> bool:
        """Tell whether a record says the batch failed."""
        return data.get("result") == "fail"

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        result = data.get("result")
        return [(self.labels["result"], RESULTS.get(str(result), str(result)) if result else None),
                (self.labels["lab"], data.get("lab")), (self.labels["reportNumber"], data.get("reportNumber"))]
