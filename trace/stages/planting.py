"""Planting (种植/育苗/投苗): where and what was sown, planted or stocked."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate

from trace.schemas.common import Quantity
from trace.stages.base import Detail, PageView, Stage
from trace.stages.fields import text

AREA_UNITS = {"MU": _l("mu"), "HAR": _l("ha"), "MTK": _l("m²")}


class PlantingData(Schema):
    plot = text()
    variety = text()
    area = Quantity()
    area_unit = fields.String(data_key="areaUnit", validate=validate.OneOf(list(AREA_UNITS)))
    method = text()


class Planting(Stage):
    name = "planting"
    position = 10
    label = _l("Planting")
    biz_step = "trace:planting"
    schema = PlantingData
    disposition = "in_progress"
    ordered = True
    labels = {"plot": _l("Plot"), "variety": _l("Variety"), "area": _l("Area"), "areaUnit": _l("Area unit"),
              "method": _l("Method")}
    values = {"areaUnit": AREA_UNITS}

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        area = view.amount(data.get("area"), None)
        unit = AREA_UNITS.get(str(data.get("areaUnit")), "")
        return [(self.labels["plot"], data.get("plot")), (self.labels["variety"], data.get("variety")),
                (self.labels["area"], f"{area} {unit}".strip() if area is not None else None),
                (self.labels["method"], data.get("method"))]
