"""Shelf life and storage conditions: a product's own, else its category's; a batch's best-before day from them.

The shape is ``{"days", "kind", "conditionsZh", "conditionsEn"}``: ``kind`` ``shelf_life`` (保质期, for
processed and packed food) or ``best_before`` (最佳食用期, for fresh produce). The period starts on
the batch's production day (生产日期, ``batches.produced_at``) and ends at the end of its last day,
China time.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from trace.models import Batch, Product
from trace.times import CHINA

KINDS = ("shelf_life", "best_before")


def shelf_life_of(product: Product) -> dict[str, Any] | None:
    """Return the product's shelf life and storage conditions, or its category's, or None."""
    own = product.shelf_life
    return own if own else product.category.shelf_life


def best_before(batch: Batch) -> dt.datetime | None:
    """Return the last moment of a batch's shelf life (end of its last day, China time), or None if unknown."""
    life = shelf_life_of(batch.product)
    if not life or batch.produced_at is None or not isinstance(life.get("days"), int):
        return None
    produced = batch.produced_at.astimezone(CHINA).date()
    last_day = produced + dt.timedelta(days=life["days"] - 1)
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), CHINA) - dt.timedelta(microseconds=1)


def best_before_day(batch: Batch) -> dt.date | None:
    """Return the last day (China time) of a batch's shelf life, or None."""
    moment = best_before(batch)
    return moment.astimezone(CHINA).date() if moment else None
