"""Destruction (销毁): the batch is destroyed; nothing of it is available any more."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema
from sqlalchemy.orm import Session

from trace.models import Batch
from trace.schemas.common import Quantity, Unit
from trace.stages.base import CBV, Detail, PageView, Stage
from trace.stages.fields import text


class DestructionData(Schema):
    method = text(required=True)
    quantity = Quantity()
    uom = Unit()


class Destruction(Stage):
    name = "destruction"
    position = 140
    label = _l("Destruction")
    biz_step = CBV + "destroying"
    schema = DestructionData
    disposition = "destroyed"
    universal = True
    labels = {"method": _l("Method"), "quantity": _l("Quantity"), "uom": _l("Unit")}

    def apply(self, session: Session, data: dict[str, Any], batches: list[Batch]) -> None:
        for batch in batches:
            batch.status, batch.disposition, batch.available = "destroyed", "destroyed", Decimal(0)

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        return [(self.labels["method"], data.get("method")),
                (self.labels["quantity"], view.amount(data.get("quantity"), data.get("uom")))]
