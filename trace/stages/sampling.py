"""Sampling (监督抽检): an inspector takes a sample of any batch for the laboratory it names to test."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from trace.models import Batch
from trace.schemas.common import RowId
from trace.stages.base import CBV, Detail, PageView, Stage
from trace.stages.fields import text
from trace.stages.test_request import laboratory_exists


class SamplingData(Schema):
    laboratory = RowId(required=True)
    # optional, so not named ``items``: a dump of data without it would read the dict's own ``items`` method
    item_names = fields.List(text(100), data_key="items", validate=validate.Length(max=200))
    sample_number = text(64, data_key="sampleNumber")
    sample_quantity = text(32, data_key="sampleQuantity")
    place = text(200)


class Sampling(Stage):
    name = "sampling"
    position = 49
    label = _l("Supervisory sampling")
    biz_step = CBV + "sampling"
    schema = SamplingData
    universal = inspectors_record = True
    producers_record = False
    party_field = "laboratory"
    references = (("sampleNumber", "抽样单 sample"),)
    labels = {"laboratory": _l("Laboratory"), "items": _l("Items to test"), "sampleNumber": _l("Sample no."),
              "sampleQuantity": _l("Sample"), "place": _l("Place")}

    def apply(self, session: Session, data: dict[str, Any], batches: list[Batch]) -> None:
        laboratory_exists(session, data)

    def ship_from_to(self, data: dict[str, Any], own: str, name: Any) -> tuple[str, str]:
        return own, name(data.get("laboratory"))

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        return [(self.labels["laboratory"], view.organization(data.get("laboratory"))),
                (self.labels["sampleNumber"], data.get("sampleNumber"))]
