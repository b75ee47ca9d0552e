"""Shipping (物流/发货): the batch leaves for another organization, which then holds it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from marshmallow import Schema
from sqlalchemy.orm import Session

from trace.errors import ValidationError
from trace.models import Batch, BatchLink, UnitCode
from trace.schemas.common import Quantity, RowId, Unit
from trace.stages.base import CBV, Detail, PageView, Stage, epcis_party, epcis_quantity, organization_exists
from trace.stages.fields import TemperatureSeries, text


class ShippingData(Schema):
    recipient = RowId(required=True)
    vehicle = text(32)
    quantity = Quantity()
    uom = Unit()
    temperatures = TemperatureSeries()
    # A scanner shipping part of a batch first splits it off; the record it signs names where from.
    split_from = text(32, data_key="splitFrom")


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
              "uom": _l("Unit"), "temperatures": _l("Temperature"), "splitFrom": _l("Split from")}

    def apply(self, session: Session, data: dict[str, Any], batches: list[Batch]) -> None:
        recipient = organization_exists(session, data, "recipient", "recipient")
        for batch in batches:
            if "splitFrom" in data:
                _require_split_from(session, batch, data["splitFrom"])
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


def _require_split_from(session: Session, batch: Batch, source: str) -> None:
    """Refuse a shipping that says its batch was split from a batch (code or unit serial) it was not split from."""
    parents = dict(session.execute(sa.select(Batch.trace_code, Batch.id)
                                   .join(BatchLink, BatchLink.input_batch_id == Batch.id)
                                   .where(BatchLink.output_batch_id == batch.id)).all())
    if source in parents:
        return
    of = session.scalar(sa.select(UnitCode.batch_id).where(UnitCode.serial == source))
    if of is None or of not in parents.values():
        raise ValidationError(f"Batch {batch.trace_code} was not split from {source}.",
                              errors={"data": {"splitFrom": ["Not the batch it was split from."]}})
