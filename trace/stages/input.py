"""Farm inputs (农事/投入品): fertilizer, pesticide, veterinary drug or feed applied to a batch."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from trace.schemas.common import Quantity
from trace.stages.base import Detail, PageView, Stage
from trace.stages.fields import text

INPUT_TYPES = {"fertilizer": _l("Fertilizer"), "pesticide": _l("Pesticide"),
               "veterinary_drug": _l("Veterinary drug"), "feed": _l("Feed"), "other": _l("Other")}
# Inputs with a registration number and a pre-harvest (withdrawal) interval.
REGULATED = frozenset({"pesticide", "veterinary_drug"})


class InputData(Schema):
    """An agricultural input: fertilizer, pesticide, veterinary drug, feed."""

    input_type = fields.String(data_key="inputType", required=True, validate=validate.OneOf(list(INPUT_TYPES)))
    product = text(required=True)
    dose = Quantity(required=True)
    dose_unit = text(32, data_key="doseUnit", required=True)
    registration_number = text(64, data_key="registrationNumber")
    pre_harvest_interval_days = fields.Integer(
        data_key="preHarvestIntervalDays", validate=validate.Range(min=0, max=3650), strict=True
    )
    target = text()

    @validates_schema
    def _regulated(self, data: dict[str, Any], **_: Any) -> None:
        if data["input_type"] in REGULATED:
            errors = {}
            if not data.get("registration_number"):
                errors["registrationNumber"] = ["Required for pesticides and veterinary drugs."]
            if data.get("pre_harvest_interval_days") is None:
                errors["preHarvestIntervalDays"] = ["Required for pesticides and veterinary drugs."]
            if errors:
                raise ValidationError(errors)


class Input(Stage):
    name = "input"
    position = 20
    label = _l("Farm inputs")
    biz_step = "trace:input"
    schema = InputData
    disposition = "in_progress"
    applies_inputs = True
    references = (("registrationNumber", "登记证 registration"),)
    labels = {"inputType": _l("Type"), "product": _l("Input product"), "dose": _l("Dose"),
              "doseUnit": _l("Dose unit"), "registrationNumber": _l("Registration no."),
              "preHarvestIntervalDays": _l("Pre-harvest interval"), "target": _l("Target")}
    values = {"inputType": INPUT_TYPES}

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        dose = view.amount(data.get("dose"), None)
        days = data.get("preHarvestIntervalDays")
        kind = data.get("inputType")
        return [(self.labels["inputType"], INPUT_TYPES.get(str(kind), str(kind)) if kind else None),
                (self.labels["product"], data.get("product")),
                (self.labels["dose"], f"{dose} {data.get('doseUnit') or ''}".strip() if dose is not None else None),
                (self.labels["registrationNumber"], data.get("registrationNumber")),
                (self.labels["preHarvestIntervalDays"], view.days(days) if isinstance(days, int) else None),
                (self.labels["target"], data.get("target"))]
