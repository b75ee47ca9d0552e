"""Shipping (物流/发货): the batch leaves for another organization, which then holds it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema
from sqlalchemy.orm import Session

from trace.models import Batch
from trace.schemas.common import Quantity, RowId, Unit
from trace.stages.base import CBV, Detail, PageView, Stage, epcis_party, epcis_quantity, organization_exists
from trace.stages.fields import TemperatureSeries, text


class ShippingData(Schema):
    recipient = RowId(required=True)
    vehicle = text(32)
    quantity = Quantity()
    uom = Unit()
    temperatures = TemperatureSeries()


class Shipping(Stage):
    name = "shipping"
    position = 90
    label = _l("Shipping")
    biz_step = CBV + "shipping"
    schema = ShippingData
    disposition = "in_transit"
    universal = ships = cold_chain = True
    party_field = "recipient"
    captured_biz_steps = ("shipping",)
    cte = "Shipping"
    references = (("vehicle", "车辆 vehicle"),)
    labels = {"recipient": _l("Recipient"), "vehicle": _l("Vehicle"), "quantity": _l("Quantity"),
              "uom": _l("Unit"), "temperatures": _l("Temperature")}

    def apply(self, session: Session, data: dict[str, Any], batches: list[Batch]) -> None:
        recipient = organization_exists(session, data, "recipient", "recipient")
        for batch in batches:
            batch.custodian_id = recipient

    def from_epcis(self, event: dict[str, Any], organization: Callable[[str], int]) -> dict[str, Any]:
        return {**epcis_quantity(event), "recipient": epcis_party(event, "destination", self.name, organization)}

    def ship_from_to(self, data: dict[str, Any], own: str, name: Callable[[Any], str]) -> tuple[str, str]:
        return own, name(data.get("recipient"))

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        # The vehicle's plate is left out: it may name a person.
        return [(self.labels["recipient"], view.organization(data.get("recipient"))),
                (self.labels["quantity"], view.amount(data.get("quantity"), data.get("uom"))),
                (self.labels["temperatures"], view.temperatures(data.get("temperatures")))]
