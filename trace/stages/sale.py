"""Sale (销售): the batch, or some of it, is sold through a channel."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.orm import Session

from trace.models import Batch
from trace.schemas.common import Measurement, Quantity, Unit
from trace.stages.base import CBV, Detail, PageView, Stage, epcis_quantity
from trace.stages.fields import text

CHANNELS = {"online": _l("Online shop"), "market": _l("Market"), "supermarket": _l("Supermarket"),
            "wholesale": _l("Wholesale"), "restaurant": _l("Restaurant"), "other": _l("Other")}

ONLINE = frozenset({"online"})  # channels counted as online sales (农产品网络零售); every other is offline
BUYER_KINDS = {"consumer": _l("Consumer"), "retailer": _l("Retailer"), "enterprise": _l("Enterprise"),
               "public_procurement": _l("Public procurement")}
COMMITMENT = validate.Regexp(r"^[0-9a-f]{64}$", error="A SHA-256 in lower-case hex.")


class Money(Measurement):
    """A non-negative exact amount of yuan (CNY) with at most ``places`` decimals."""

    def __init__(self, places: int, **kwargs: Any) -> None:
        kwargs.setdefault("validate", validate.Range(min=Decimal(0)))
        super().__init__(**kwargs)
        self.places = places

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Decimal:
        amount = super()._deserialize(value, attr, data, **kwargs)
        exponent = amount.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -self.places:
            raise ValidationError(f"At most {self.places} decimals.")
        return amount


class SaleData(Schema):
    channel = fields.String(required=True, validate=validate.OneOf(list(CHANNELS)))
    platform = text(100)  # the online platform or the offline market
    quantity = Quantity()
    uom = Unit()
    # Private (``Sale.private_fields``): sealed by services/records/private.py, never signed in clear.
    unit_price = Money(4, data_key="unitPrice")
    amount = Money(2)
    order = text(64)
    buyer = text()
    buyer_kind = fields.String(data_key="buyerKind", validate=validate.OneOf(list(BUYER_KINDS)))
    commitment = fields.String(validate=COMMITMENT)  # the salted SHA-256 of the private values


class Sale(Stage):
    name = "sale"
    position = 110
    label = _l("Sale")
    biz_step = CBV + "retail_selling"
    schema = SaleData
    disposition = "retail_sold"
    universal = ordered = sells = True
    captured_biz_steps = ("retail_selling",)
    labels = {"channel": _l("Channel"), "platform": _l("Platform or market"), "quantity": _l("Quantity"),
              "uom": _l("Unit"), "unitPrice": _l("Unit price (CNY)"), "amount": _l("Amount (CNY)"),
              "order": _l("Order reference"), "buyer": _l("Buyer"), "buyerKind": _l("Kind of buyer"),
              "commitment": _l("Commitment to the private values")}
    values = {"channel": CHANNELS, "buyerKind": BUYER_KINDS}
    private_fields = frozenset({"unitPrice", "amount", "order", "buyer", "buyerKind"})
    service_fields = frozenset({"commitment"})

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
        # Private values are not in the record (only their commitment); a buyer in older records is left out.
        channel = data.get("channel")
        return [(self.labels["channel"], CHANNELS.get(str(channel), str(channel)) if channel else None),
                (self.labels["platform"], data.get("platform")),
                (self.labels["quantity"], view.amount(data.get("quantity"), data.get("uom")))]
