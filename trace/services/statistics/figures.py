"""What one record adds to the statistics: the one definition the pipeline and the rebuild share.

Each figure is named in docs/statistics.md. A record counts on the day it occurred (Asia/Shanghai),
in the township its organization was placed in when it was recorded, under the category of the
first batch it names (none for records of no batch), for the organization that signed it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from trace.stages.sale import ONLINE
from trace.times import CHINA

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class Place:
    """Where a record counts: its day, township, category and organization ('' for none)."""

    day: dt.date
    township: str
    category: str
    organization_id: int


# (figure, uom) -> (count, quantity, amount)
Figures = dict[tuple[str, str], tuple[int, Decimal, Decimal]]


def day_of(occurred_at: dt.datetime) -> dt.date:
    """Return the day (Asia/Shanghai) a record counts on."""
    return occurred_at.astimezone(CHINA).date()


def _add(figures: Figures, figure: str, uom: str = "", count: int = 1, quantity: Decimal = ZERO,
         amount: Decimal = ZERO) -> None:
    c, q, a = figures.get((figure, uom), (0, ZERO, ZERO))
    figures[(figure, uom)] = (c + count, q + quantity, a + amount)


def figures_of(stage: str, data: dict[str, Any], private: dict[str, Any] | None, batch_uom: str | None,
               void: bool = False) -> Figures:
    """Return what a record adds: ``data`` with its corrections applied, ``private`` its private values.

    A void record still counts among the records of its stage; it adds nothing else.
    """
    figures: Figures = {}
    _add(figures, "records")
    _add(figures, f"records.{stage}")
    if void:
        return figures
    if stage == "registration":
        made = "batches.transformed" if data.get("transformation") else "batches.registered"
        _add(figures, made, str(data.get("uom") or ""), 1, Decimal(str(data.get("quantity") or 0)))
    elif stage == "inspection":
        basis = str(data.get("basis") or "unstated")
        _add(figures, f"inspections.{basis}")
        if data.get("result") == "pass":
            _add(figures, f"inspections.{basis}.passed")
    elif stage == "sale":
        channel = "online" if data.get("channel") in ONLINE else "offline"
        quantity = Decimal(str(data["quantity"])) if data.get("quantity") is not None else ZERO
        uom = str(data.get("uom") or batch_uom or "") if quantity else ""
        amount = Decimal(str(private["amount"])) if private and private.get("amount") is not None else ZERO
        _add(figures, f"sales.{channel}", uom, 1, quantity, amount)
        if private and private.get("aid"):
            _add(figures, f"aid_sales.{channel}", uom, 1, quantity, amount)
    return figures


def difference(after: Figures, before: Figures) -> Figures:
    """Return ``after`` minus ``before``, figure by figure (what a correction changes)."""
    changed: Figures = {}
    for key in after.keys() | before.keys():
        c1, q1, a1 = after.get(key, (0, ZERO, ZERO))
        c0, q0, a0 = before.get(key, (0, ZERO, ZERO))
        if (c1 - c0, q1 - q0, a1 - a0) != (0, ZERO, ZERO):
            changed[key] = (c1 - c0, q1 - q0, a1 - a0)
    return changed


def apply_corrections(data: dict[str, Any], corrections: list[dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    """Return a record's data with corrections (their data, in log order) applied, and whether it is void."""
    data, void = dict(data), False
    for correction in corrections:
        void = void or bool(correction.get("void"))
        data.update(correction.get("fields") or {})
    return data, void
