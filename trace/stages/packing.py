"""Packing (包装): the batch goes into packages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from trace.schemas.common import Quantity, Unit
from trace.stages.base import CBV, Detail, PageView, Stage
from trace.stages.fields import text


class PackingData(Schema):
    package_type = text(64, data_key="packageType")
    units = fields.Integer(validate=validate.Range(min=1), strict=True)
    net_weight = Quantity(data_key="netWeight")
    uom = Unit()


class Packing(Stage):
    name = "packing"
    position = 70
    label = _l("Packing")
    biz_step = CBV + "packing"
    schema = PackingData
    disposition = "in_progress"
    captured_biz_steps = ("packing",)
    cte = "Initial packing"
    ordered = True
    labels = {"packageType": _l("Package"), "units": _l("Units"), "netWeight": _l("Net weight"), "uom": _l("Unit")}

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        return [(self.labels["packageType"], data.get("packageType")), (self.labels["units"], data.get("units")),
                (self.labels["netWeight"], view.amount(data.get("netWeight"), data.get("uom")))]
