"""Receiving (收货): the organization a batch was shipped to says it arrived, and from whom."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema
from sqlalchemy.orm import Session

from trace.models import Batch
from trace.schemas.common import Quantity, RowId, Unit
from trace.stages.base import CBV, Detail, PageView, Stage, epcis_party, epcis_quantity, organization_exists


class ReceivingData(Schema):
    sender = RowId(data_key="from", required=True)
    quantity = Quantity()
    uom = Unit()


class Receiving(Stage):
    name = "receiving"
    position = 100
    label = _l("Receiving")
    biz_step = CBV + "receiving"
    schema = ReceivingData
    disposition = "in_progress"
    universal = receives = True
    party_field = "from"
    captured_biz_steps = ("receiving",)
    cte = "Receiving"
    labels = {"from": _l("Sender"), "quantity": _l("Quantity"), "uom": _l("Unit")}

    def apply(self, session: Session, data: dict[str, Any], batches: list[Batch]) -> None:
        organization_exists(session, data, "from", "sender")

    def from_epcis(self, event: dict[str, Any], organization: Callable[[str], int]) -> dict[str, Any]:
        return {**epcis_quantity(event), "from": epcis_party(event, "source", self.name, organization)}

    def ship_from_to(self, data: dict[str, Any], own: str, name: Callable[[Any], str]) -> tuple[str, str]:
        return name(data.get("from")), own

    def details(self, data: dict[str, Any], view: PageView) -> list[Detail]:
        return [(self.labels["from"], view.organization(data.get("from"))),
                (self.labels["quantity"], view.amount(data.get("quantity"), data.get("uom")))]
