"""Storage (仓储): a batch in a warehouse, or readings a logger took of it (in a vehicle with ``vehicle``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema

from trace.stages.base import CBV, Detail, PageView, Stage, epcis_temperatures
from trace.stages.fields import TemperatureSeries, text


class StorageData(Schema):
    """Storage in a warehouse, or (with ``vehicle``) readings taken in transit; ``sensor`` names the logger."""

    warehouse = text()
    temperatures = TemperatureSeries()
    sensor = text(64)
    vehicle = text(32)


class Storage(Stage):
    name = "storage"
    position = 80
    label = _l("Storage")
    biz_step = CBV + "storing"
    schema = StorageData
    disposition = "sellable_not_accessible"
    universal = cold_chain = True
    captured_biz_steps = ("storing",)
    references = (("vehicle", "车辆 vehicle"), ("warehouse", "仓库 warehouse"))
    labels = {"warehouse": _l("Warehouse"), "temperatures": _l("Temperature"), "sensor": _l("Sensor"),
              "vehicle": _l("Vehicle")}

    def from_epcis(self, event: dict[str, Any], organization: Callable[[str], int]) -> dict[str, Any]:
        return {"temperatures": epcis_temperatures(event)}

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        # The vehicle's plate is left out: it may name a person.
        return [(self.labels["warehouse"], data.get("warehouse")),
                (self.labels["temperatures"], view.temperatures(data.get("temperatures")))]
