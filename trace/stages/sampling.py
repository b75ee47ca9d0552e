"""Sampling (抽样): a sample is taken from the batch for a laboratory, which records the inspection later."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema
from sqlalchemy.orm import Session

from trace.models import Batch
from trace.schemas.common import Quantity, RowId, Unit
from trace.stages.base import CBV, Detail, PageView, Stage, organization_exists
from trace.stages.fields import text


class SamplingData(Schema):
    lab = RowId(required=True)
    quantity = Quantity(required=True)
    uom = Unit(required=True)
    sample_number = text(64, data_key="sampleNumber")


class Sampling(Stage):
    name = "sampling"
    position = 48
    label = _l("Sampling")
    biz_step = CBV + "sampling"
    schema = SamplingData
    universal = inspectors_record = True
    references = (("sampleNumber", "样品编号 sample"),)
    labels = {"lab": _l("Laboratory"), "quantity": _l("Sample size"), "uom": _l("Unit"),
              "sampleNumber": _l("Sample no.")}

    def apply(self, session: Session, data: dict[str, Any], batches: list[Batch]) -> None:
        organization_exists(session, data, "lab", "lab")

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        return [(self.labels["lab"], view.organization(data.get("lab"))),
                (self.labels["quantity"], view.amount(data.get("quantity"), data.get("uom")))]
