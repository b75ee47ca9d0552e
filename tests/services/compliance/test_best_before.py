"""Shelf life: the best-before day from the production day; a sale after it is a finding."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import sqlalchemy as sa

from trace.models import ComplianceFinding
from trace.services.catalog.shelf_life import best_before, best_before_day, shelf_life_of
from trace.services.records.batches import register_batch
from trace.times import CHINA

_lots = itertools.count(1)


def produced(make, session, ledger, actor, product, at):
    return register_batch(session, actor.user, {"product": product.id, "lot": f"BB{next(_lots)}",
                                                "quantity": Decimal(10), "uom": "KGM", "produced_at": at},
                          ledger=ledger)


def sales_findings(session, batch):
    return list(session.scalars(sa.select(ComplianceFinding).where(ComplianceFinding.batch_id == batch.id,
                                                                   ComplianceFinding.rule == "sale_after_best_before")))


def test_vegetables_are_best_before_the_end_of_their_seventh_day_china_time(make, session, ledger):
    actor = make.actor("producer")
    product = make.product(actor, "vegetables")
    # 20:30 UTC on 1 Nov is 04:30 on 2 Nov in China: the 2nd is day one.
    batch = produced(make, session, ledger, actor, product, dt.datetime(2026, 11, 1, 20, 30, tzinfo=dt.UTC))
    assert shelf_life_of(product)["kind"] == "best_before" and shelf_life_of(product)["days"] == 7
    assert best_before_day(batch) == dt.date(2026, 11, 8)
    assert best_before(batch).astimezone(CHINA).replace(tzinfo=None) == dt.datetime(2026, 11, 8, 23, 59, 59, 999999)


def test_a_product_s_own_shelf_life_comes_before_its_category_s(make, session, ledger):
    actor = make.actor("producer")
    product = make.product(actor, "grain_oil")
    assert shelf_life_of(product)["days"] == 365
    product.shelf_life = {"days": 180, "kind": "shelf_life", "conditionsZh": "避光", "conditionsEn": "Dark"}
    batch = produced(make, session, ledger, actor, product, dt.datetime(2026, 1, 10, 2, tzinfo=dt.UTC))
    assert best_before_day(batch) == dt.date(2026, 7, 8)


def test_a_sale_after_the_best_before_day_is_flagged_and_one_before_is_not(make, session, ledger, gen):
    from tests.services.genealogy import Genealogy

    veg = Genealogy(make, session, ledger, "vegetables")
    start = dt.datetime(2026, 10, 1, 1, tzinfo=dt.UTC)
    fresh = produced(make, session, ledger, veg.producer, veg.product, start)
    stale = produced(make, session, ledger, veg.producer, veg.product, start)
    veg.event("sale", [fresh], {"channel": "market"}, at=start + dt.timedelta(days=6))
    veg.event("sale", [stale], {"channel": "market"}, at=start + dt.timedelta(days=9))
    assert sales_findings(session, fresh) == []
    (finding,) = sales_findings(session, stale)
    assert finding.severity == "high" and finding.details["daysLate"] == 3
    assert "2026-10-07" in finding.message_zh and "最佳食用期" in finding.message_zh


def test_no_production_day_means_no_best_before(make, session, ledger):
    actor = make.actor("producer")
    batch = make.batch(actor, make.product(actor, "vegetables"))
    assert batch.produced_at is None and best_before(batch) is None
