"""Inspection (检测): a test result of a batch and who vouches for it.

``basis`` says whose result it is (ledger/policy.py): 委托检测, signed by the laboratory a producer's
``request`` (a test_request record) was addressed to; 监督抽检, signed by the laboratory an
inspector's ``sample`` (a sampling record) names, or by the inspector's organization itself; 自检,
signed by the producer. The recording pipeline fills it in from the recorder and services/quality
checks it. ``lab`` is free text kept for old clients: the page never shows it as the tester of a
自检 (only the signing laboratory is named as the tester).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from trace.ledger.policy import BASES
from trace.schemas.common import Measurement, RecordRef
from trace.stages.base import CBV, Detail, PageView, Stage
from trace.stages.fields import text

RESULTS = {"pass": _l("Pass"), "fail": _l("Fail")}
BASIS_LABELS = {"commissioned": _l("Commissioned test"), "supervisory": _l("Supervisory sampling"),
                "self_check": _l("Self-check")}
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
    lab = text()
    report_number = text(64, data_key="reportNumber")
    basis = fields.String(validate=validate.OneOf(BASES))
    request = RecordRef()
    sample = RecordRef()

    @validates_schema
    def _consistent(self, data: dict[str, Any], **_: Any) -> None:
        failed = [item["item"] for item in data.get("items", []) if item["result"] == "fail"]
        if failed and data.get("result") == "pass":
            raise ValidationError({"result": [f"Items failed ({', '.join(failed)}): the result cannot be pass."]})
        if data.get("request") and data.get("sample"):
            raise ValidationError({"sample": ["A result answers a request or a sample, not both."]})


class Inspection(Stage):
    name = "inspection"
    position = 50
    label = _l("Inspection")
    biz_step = CBV + "inspecting"
    schema = InspectionData
    universal = inspectors_record = labs_record = vouches = inspects = True
    references = (("reportNumber", "检测报告 report"),)
    labels = {"kind": _l("Kind of test"), "items": _l("Items tested"), "result": _l("Result"),
              "lab": _l("Laboratory"), "reportNumber": _l("Report no."), "basis": _l("Basis"),
              "request": _l("Test request"), "sample": _l("Sample"),
              "items.item": _l("Item"), "items.method": _l("Method"), "items.limit": _l("Limit"),
              "items.measured": _l("Measured"), "items.unit": _l("Unit"), "items.result": _l("Result")}
    values = {"kind": KINDS, "result": RESULTS, "basis": BASIS_LABELS}

    def disposition_of(self, data: dict[str, Any]) -> str | None:
        return "conformant" if data.get("result") == "pass" else "non_conformant"

    @staticmethod
    def failed(data: dict[str, Any]) -> bool:
        """Tell whether a record says the batch failed."""
        return data.get("result") == "fail"

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        # The tester is the signing organization (the timeline names it); free text never stands for a laboratory.
        result, basis = data.get("result"), data.get("basis")
        return [(self.labels["result"], RESULTS.get(str(result), str(result)) if result else None),
                (self.labels["basis"], BASIS_LABELS.get(str(basis)) if basis else None),
                (self.labels["reportNumber"], data.get("reportNumber"))]
