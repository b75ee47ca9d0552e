"""A batch's state replayed from its signed records: status, disposition, custodian, available.

The stages change these columns when a record is made (``trace/stages``' ``apply`` and the
transformation's consumption in ``services/records/events``); nothing signs the columns themselves. The
audit and the page's verdict replay those effects from the records, in log order, and compare
the row with the result through ``state_differences``: one replay for both.

What is replayed, mirroring the effects exactly:

- the registration starts the batch ``active``, held by its organization, all of its quantity
  available; a correction of the registration's quantity moves ``available`` by the change;
- a transformation consuming the batch takes the line's quantity; at zero the batch is ``consumed``;
- a sale of one batch, in its unit, takes its quantity (never below zero);
- a recall (not its closing) makes the batch ``recalled`` unless it is destroyed;
- a destruction makes it ``destroyed`` with nothing available;
- a shipping hands custody to the recipient.

Corrections and voids of these records do not change the row (only a registration's correction
does), so the replay reads them as first signed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from trace.stages import STAGES

# Batch columns replayed from the records, by the name findings use.
STATE_FACTS = ("status", "disposition", "custodian", "available")
# Stages whose records change a batch's state columns (a transformation's inputs too).
EFFECT_STAGES = ("recall", "destruction", "sale", "shipping", "correction")


def transformation_stages() -> tuple[str, ...]:
    return tuple(name for name, stage in STAGES.items() if stage.transformation)


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except (InvalidOperation, ValueError):
        return None


@dataclass
class BatchState:
    """What a batch's state columns should hold after the records replayed so far."""

    registration: str | None  # the registration record's id: corrections naming it move the quantity
    custodian: str
    quantity: Decimal
    available: Decimal
    uom: str | None
    status: str = "active"
    disposition: str = "active"

    @classmethod
    def registered(cls, registration_id: str | None, data: dict[str, Any]) -> BatchState:
        """The state a registration record (as first signed) starts."""
        quantity = _decimal(data.get("quantity")) or Decimal(0)
        return cls(registration_id, str(data.get("organization")), quantity, quantity, data.get("uom"))

    def apply(self, stage: str, data: dict[str, Any], role: str, line_quantity: Any, subjects: int) -> None:
        """Replay one record's effect on this batch (``role`` its line's role, ``subjects`` the record's batches)."""
        if role == "input":
            self.available -= _decimal(line_quantity) or Decimal(0)
            if self.available == 0:
                self.status = "consumed"
        elif role != "subject":
            return
        elif stage == "recall":
            if data.get("action") != "close" and self.status != "destroyed":
                self.status = self.disposition = "recalled"
        elif stage == "destruction":
            self.status = self.disposition = "destroyed"
            self.available = Decimal(0)
        elif stage == "sale":
            sold = _decimal(data.get("quantity"))
            if sold is not None and subjects == 1 and (data.get("uom") or self.uom) == self.uom:
                self.available = max(Decimal(0), self.available - sold)
        elif stage == "shipping":
            self.custodian = str(data.get("recipient"))
        elif stage == "correction" and self.registration is not None and data.get("record") == self.registration:
            fields = data.get("fields") or {}
            quantity = _decimal(fields.get("quantity"))
            if quantity is not None:
                self.available, self.quantity = quantity - (self.quantity - self.available), quantity
            if "uom" in fields:
                self.uom = fields["uom"]

    def replay(self, steps: Iterable[tuple[str, dict[str, Any], str, Any, int]]) -> BatchState:
        for step in steps:
            self.apply(*step)
        return self


def row_state(status: str, disposition: str, custodian_id: Any, available: Any) -> dict[str, Any]:
    """A batch row's state columns in the form ``state_differences`` compares."""
    return {"status": status, "disposition": disposition, "custodian": str(custodian_id),
            "available": _decimal(available)}


def state_differences(row: dict[str, Any], state: BatchState, facts: Iterable[str] = STATE_FACTS) -> list[str]:
    """Return the state columns whose row value differs from what the batch's records make it."""
    expected = {"status": state.status, "disposition": state.disposition, "custodian": state.custodian,
                "available": state.available}
    return [name for name in facts if row.get(name) != expected[name]]
