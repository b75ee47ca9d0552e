"""Sale (销售): the batch, or some of it, is sold through a channel."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, fields, validate
from sqlalchemy.orm import Session

from trace.models import Batch
from trace.schemas.common import Quantity, Unit
from trace.stages.base import CBV, Detail, PageView, Stage, epcis_quantity
from trace.stages.fields import text

CHANNELS = {"online": _l("Online shop"), "market": _l("Market"), "supermarket": _l("Supermarket"),
            "wholesale": _l("Wholesale"), "restaurant": _l("Restaurant"), "other": _l("Other")}


class SaleData(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(list(CHANNELS)))
    quantity = Quantity()
    uom = Unit()
    buyer = text()


class Sale(Stage):
    name = "sale"
    position = 110
    label = _l("Sale")
    biz_step = CBV + "retail_selling"
    schema = SaleData
    disposition = "retail_sold"
    universal = ordered = sells = True
    captured_biz_steps = ("retail_selling",)
    labels = {"channel": _l("Channel"), "quantity": _l("Quantity"), "uom": _l("Unit"), "buyer": _l("Buyer")}
    values = {"channel": CHANNELS}

    def apply(self, session: Session, data: dict[str, Any], batches: list[Batch]) -> None:
        """Take what was sold from what is available (never below zero); one quantity for several batches says
        nothing of each."""
        quantity = data.get("quantity")
        if quantity is None or len(batches) != 1:
            return
        batch = batches[0]
        if (data.get("uom") or batch.uom) == batch.uom:
            batch.available = max(Decimal(0), batch.available - Decimal(str(quantity)))

    def from_epcis(self, event: dict[str, Any], organization: Callable[[str], int]) -> dict[str, Any]:
        return {**epcis_quantity(event), "channel": "other"}

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        # The buyer is left out: it may name a person.
        channel = data.get("channel")
        return [(self.labels["channel"], CHANNELS.get(str(channel), str(channel)) if channel else None),
                (self.labels["quantity"], view.amount(data.get("quantity"), data.get("uom")))]
