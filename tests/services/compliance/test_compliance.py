"""Compliance rules: each fires on a seeded violation, stays silent on clean data; runs are idempotent."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.services.genealogy import Genealogy, day, readings
from trace.errors import PermissionDeniedError
from trace.models import Batch, ComplianceFinding
from trace.services.compliance.compliance import list_findings, run_checks
from trace.services.lineage.recalls import open_recall

PESTICIDE = {"inputType": "pesticide", "product": "吡虫啉可湿性粉剂", "dose": "30", "doseUnit": "mL/亩",
             "registrationNumber": "PD20101234", "preHarvestIntervalDays": 7}
PASS = {"items": [{"item": "毒死蜱", "result": "pass"}], "result": "pass", "lab": "县检测站"}
HARVEST = {"quantity": "100", "uom": "KGM"}
FAIL = {"items": [{"item": "毒死蜱", "result": "fail"}], "result": "fail", "lab": "县检测站", "reportNumber": "R-9"}


def findings(session, batch=None, rule=None):
    query = sa.select(ComplianceFinding).order_by(ComplianceFinding.id)
    if batch is not None:
        query = query.where(ComplianceFinding.batch_id == batch.id)
    if rule is not None:
        query = query.where(ComplianceFinding.rule == rule)
    return list(session.scalars(query))


def rules(session, batch):
    return sorted(f.rule for f in findings(session, batch))


def test_harvest_within_the_pre_harvest_interval_is_flagged(gen, session):
    early, ok = gen.raw(), gen.raw()
    for batch, harvest_day in ((early, 15), (ok, 17.5)):
        gen.event("input", [batch], PESTICIDE, at=day(10))
        gen.event("input", [batch], {"inputType": "fertilizer", "product": "有机肥", "dose": "2", "doseUnit": "t/亩"},
                  at=day(14))
        gen.event("harvest", [batch], {"quantity": "100", "uom": "KGM"}, at=day(harvest_day))
    (finding,) = findings(session, early)
    assert (finding.rule, finding.severity) == ("pre_harvest_interval", "high")
    assert finding.event.stage == "harvest"
    assert "安全间隔期" in finding.message_zh and "吡虫啉可湿性粉剂" in finding.message_zh
    assert "pre-harvest interval" in finding.message_en and "7 days" in finding.message_en
    assert findings(session, ok) == []


def test_a_late_recorded_veterinary_drug_flags_an_earlier_recorded_slaughter(gen, session):
    batch = gen.raw()
    gen.event("harvest", [batch], {"quantity": "100", "uom": "KGM"}, at=day(30))
    assert findings(session, batch) == []
    gen.event("input", [batch], {**PESTICIDE, "inputType": "veterinary_drug", "product": "恩诺沙星",
                                 "preHarvestIntervalDays": 10}, at=day(25))
    (finding,) = findings(session, batch)
    assert finding.rule == "pre_harvest_interval" and "休药期" in finding.message_zh
    assert "withdrawal period" in finding.message_en


def test_sale_or_shipment_after_a_failed_inspection_is_flagged(gen, make, session):
    buyer = make.actor("producer", make.org("retailer"))
    failed, retested = gen.raw(), gen.raw()
    for batch in (failed, retested):
        gen.event("inspection", [batch], FAIL, at=day(20))
    gen.event("inspection", [retested], PASS, at=day(21))
    for batch in (failed, retested):
        gen.ship(batch, buyer, at=day(22))
        gen.event("sale", [batch], {"channel": "market"}, at=day(23), actor=buyer)
    assert [(f.rule, f.severity, f.event.stage) for f in findings(session, failed)] == [
        ("sale_after_failed_inspection", "critical", "shipping"),
        ("sale_after_failed_inspection", "critical", "sale")]
    assert "R-9" in findings(session, failed)[0].message_zh and "毒死蜱" in findings(session, failed)[0].message_en
    assert findings(session, retested) == []


def test_a_failure_upstream_follows_the_product_until_it_passes_its_own_test(gen, session):
    raw = gen.raw()
    gen.event("inspection", [raw], FAIL, at=day(20))
    oil, cleared = gen.transform([(raw, "100")], ["40", "40"], at=day(21))
    gen.event("inspection", [cleared], PASS, at=day(22))
    for batch in (oil, cleared):
        gen.event("sale", [batch], {"channel": "market"}, at=day(23))
    (finding,) = findings(session, oil)
    assert finding.rule == "sale_after_failed_inspection" and raw.trace_code in finding.message_zh
    assert findings(session, cleared) == []


def test_a_failure_recorded_after_the_sale_flags_sales_downstream(gen, session):
    raw = gen.raw()
    (made,) = gen.transform([(raw, "100")], ["40"], at=day(21))
    sale = gen.event("sale", [made], {"channel": "online"}, at=day(25))
    assert findings(session) == []
    gen.event("inspection", [raw], FAIL, at=day(20))  # the lab's report arrives late
    (finding,) = findings(session)
    assert (finding.batch_id, finding.event_id) == (made.id, sale.id)


def test_sale_of_a_recalled_batch_is_flagged(gen, make, session, ledger):
    recalled, sold_before = gen.raw(), gen.raw()
    gen.event("sale", [sold_before], {"channel": "market"}, at=day(5))
    for batch in (recalled, sold_before):
        open_recall(session, gen.producer.user, batch, "农残超标", ledger=ledger)
    sale = gen.event("sale", [recalled], {"channel": "market"}, at=dt.datetime.now(dt.UTC))  # after the recall
    (finding,) = findings(session, recalled)
    assert (finding.rule, finding.severity, finding.event_id) == ("sale_of_recalled_batch", "critical", sale.id)
    assert "农残超标" in finding.message_zh
    assert findings(session, sold_before) == []


@pytest.mark.parametrize(("values", "severity"), [(["4", "11.5", "6"], "medium"), (["4", "-3", "6"], "high"),
                                                  (["0", "5", "10"], None)])
def test_cold_chain_readings_outside_the_categorys_range(make, session, ledger, values, severity):
    veg = Genealogy(make, session, ledger, "vegetables")  # 0–10 °C
    batch = veg.raw()
    veg.event("storage", [batch], {"warehouse": "冷库", "temperatures": readings(day(30), values)}, at=day(31))
    got = findings(session, batch)
    if severity is None:
        assert got == []
    else:
        (finding,) = got
        assert (finding.rule, finding.severity) == ("temperature_out_of_range", severity)
        assert "0～10 °C" in finding.message_zh and "0 to 10 °C" in finding.message_en


def test_transport_readings_are_checked_per_batch_category(make, session, ledger):
    veg, oil = Genealogy(make, session, ledger, "vegetables"), Genealogy(make, session, ledger, "grain_oil")
    buyer = make.actor("producer", make.org("retailer"))
    tomato, seed = veg.raw(), oil.raw()
    veg.ship(tomato, buyer, temperatures=["12", "14"], receive=False)
    oil.ship(seed, buyer, temperatures=["12", "14"], receive=False)  # -10–25 °C: fine
    assert rules(session, tomato) == ["temperature_out_of_range"]
    assert rules(session, seed) == []


def test_stages_out_of_template_order_are_flagged(gen, session):
    messy, tidy = gen.raw(), gen.raw()
    gen.event("planting", [messy], {"plot": "A", "variety": "浙油50"}, at=day(1))
    gen.event("packing", [messy], {"units": 10}, at=day(10))
    harvest = gen.event("harvest", [messy], {"quantity": "100", "uom": "KGM"}, at=day(12))
    for stage, data, when in (("planting", {"plot": "B", "variety": "浙油50"}, 1), ("harvest", HARVEST, 10),
                              ("packing", {"units": 10}, 12), ("inspection", PASS, 13), ("input", PESTICIDE, 2)):
        gen.event(stage, [tidy], data, at=day(when))
    gen.event("inspection", [tidy], PASS, at=day(14))  # movable stages may come back later
    (finding,) = findings(session, messy)
    assert (finding.rule, finding.severity, finding.event_id) == ("stage_out_of_order", "low", harvest.id)
    assert "packing" in finding.message_en
    assert findings(session, tidy) == []


def test_shipping_more_than_is_available_is_flagged(gen, make, session):
    buyer, onward = make.actor("producer", make.org("retailer")), make.actor("producer", make.org("retailer"))
    over, fine = gen.raw("100"), gen.raw("100")
    gen.transform([(over, "30")], ["28"], at=day(5))  # leaves 70
    gen.ship(over, buyer, quantity="50", at=day(10))
    gen.ship(over, buyer, quantity="25", at=day(11))  # 75 > 70
    gen.ship(fine, buyer, quantity="60", at=day(10))
    gen.ship(fine, onward, quantity="60", at=day(12), actor=buyer)  # all it received
    assert [f.rule for f in findings(session, over)] == ["quantity_exceeds_available"]
    assert "75" in findings(session, over)[0].message_zh and "70" in findings(session, over)[0].message_en
    assert findings(session, fine) == []
    resold = gen.raw("100")
    gen.ship(resold, buyer, quantity="60", at=day(10))
    gen.ship(resold, onward, quantity="61", at=day(12), actor=buyer)  # more than it received
    assert [f.rule for f in findings(session, resold)] == ["quantity_exceeds_available"]


def test_on_demand_runs_are_idempotent_and_scoped(gen, make, session):
    inspector = make.actor("inspector")
    batch = gen.raw()
    gen.event("input", [batch], PESTICIDE, at=day(10))
    gen.event("harvest", [batch], HARVEST, at=day(12))
    session.execute(sa.delete(ComplianceFinding))  # as if recorded before the checks existed
    first = run_checks(session, inspector.user, {})
    assert first["created"] == 1 and first["open"] == 1
    again = run_checks(session, inspector.user, {})
    assert again["created"] == 0 and len(findings(session)) == 1
    assert run_checks(session, inspector.user, {"batch": batch.trace_code})["created"] == 0
    scoped = run_checks(session, inspector.user, {"from": day(50), "to": day(60)})
    assert scoped["batches"] == 0
    with pytest.raises(PermissionDeniedError):
        run_checks(session, gen.producer.user, {})


def test_findings_are_listed_most_severe_first_and_filtered(gen, make, session, ledger):
    inspector = make.actor("inspector")
    batch = gen.raw()
    gen.event("packing", [batch], {"units": 1}, at=day(10))
    gen.event("harvest", [batch], HARVEST, at=day(11))  # low
    open_recall(session, inspector.user, batch, "x", ledger=ledger)
    gen.event("sale", [batch], {"channel": "market"}, at=dt.datetime.now(dt.UTC))  # critical
    page = {"page": 1, "per_page": 50, "status": "open"}
    rows, total = list_findings(session, inspector.user, page)
    assert total == 2 and [f.severity for f in rows] == ["critical", "low"]
    rows, total = list_findings(session, inspector.user, {**page, "severity": ["low"], "batch": batch.trace_code})
    assert total == 1 and rows[0].rule == "stage_out_of_order"
    assert list_findings(session, inspector.user, {**page, "batch": gen.raw().trace_code})[1] == 0


def test_the_demo_county_is_clean(app, make, session):
    from trace.demo import load_demo

    load_demo(session, app.extensions["trace.ledger"])
    # Nothing found as the records arrived but the cold store's one door-open excursion (docs/sensors.md).
    assert [f.rule for f in findings(session)] == ["cold_chain_excursion"]
    result = run_checks(session, make.actor("inspector").user, {})
    batches = session.scalar(sa.select(sa.func.count()).select_from(Batch))
    assert batches > 11 and result["batches"] == batches and result["created"] == 0  # 11 in chains, the rest sold
