"""Harvest (采收/屠宰/捕捞): the sellable lot comes into being."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema

from trace.schemas.common import Quantity, Unit
from trace.stages.base import CBV, Detail, PageView, Stage, epcis_quantity
from trace.stages.fields import text


class HarvestData(Schema):
    quantity = Quantity()
    uom = Unit()
    method = text()


class Harvest(Stage):
    name = "harvest"
    position = 30
    label = _l("Harvest")
    biz_step = CBV + "commissioning"
    schema = HarvestData
    disposition = "active"
    epcis_action = "ADD"
    captured_biz_steps = ("commissioning",)
    cte = "Harvesting"
    ordered = harvests = True
    labels = {"quantity": _l("Quantity"), "uom": _l("Unit"), "method": _l("Method")}

    def from_epcis(self, event: dict[str, Any], organization: Callable[[str], int]) -> dict[str, Any]:
        return epcis_quantity(event)

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        return [(self.labels["quantity"], view.amount(data.get("quantity"), data.get("uom"))),
                (self.labels["method"], data.get("method"))]
