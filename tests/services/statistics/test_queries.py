"""Every figure equals a count made from the records themselves; the rebuild agrees with the counters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from tests.services.statistics.helpers import (
    DADONGBA,
    XINXING,
    counted_from_records,
    county_scene,
    today,
)
from trace.services.statistics.queries import statistics
from trace.services.statistics.rebuild import compare, rebuild


def _quantity(figure, uom="KGM"):
    return sum((Decimal(q["value"]) for q in figure["quantity"] if q["uom"] == uom), Decimal(0))


def test_figures_by_township_equal_counts_from_the_records(client, make, session):
    scene = county_scene(client, make, session)
    start, end = today() - dt.timedelta(days=2), today()
    inspector = make.actor("inspector")
    result = statistics(session, inspector.user, "township", start, end)
    expected = counted_from_records(session, start, end)
    rows = {row["key"]: row for row in result["rows"]}
    assert {XINXING, DADONGBA} <= rows.keys()
    assert rows[XINXING]["name"] == "新兴镇"
    for township, want in expected.items():
        got = rows[township]
        assert got["organizationsActive"] == len(want["orgs"])
        assert got["records"]["total"] == want["records"]
        assert got["records"]["byStage"] == dict(want["stages"])
        assert got["batchesRegistered"]["count"] == want["registered"]
        assert _quantity(got["batchesRegistered"]) == want["registered_kg"]
        assert got["batchesFromTransformations"]["count"] == want["transformed"]
        assert got["inspections"]["total"] == want["tests"]
        assert got["inspections"]["passed"] == want["passed"]
        assert got["recalls"] == want["recalls"]
        for figure, key in (("sales", "sales"), ("aidSales", "aid")):
            for channel in ("online", "offline"):
                count, quantity, amount = want[key][channel]
                assert got[figure][channel]["count"] == count, (township, figure, channel)
                assert _quantity(got[figure][channel]) == quantity
                assert Decimal(got[figure][channel]["amount"]) == amount
    # What the scene did, spelled out: the corrected sale counts 12 kg at 4.5 yuan; the void one nothing.
    assert rows[XINXING]["sales"]["online"] == {"count": 1, "quantity": [{"uom": "KGM", "value": "12"}],
                                                "amount": "45"}
    assert rows[XINXING]["aidSales"]["online"]["count"] == 1
    assert rows[DADONGBA]["sales"]["online"]["count"] == 0
    assert rows[DADONGBA]["aidSales"]["offline"]["count"] == 0
    assert rows[DADONGBA]["inspections"]["passRate"] == "0.0000"
    assert rows[XINXING]["brandGrantsValid"] == 1 and rows[DADONGBA]["brandGrantsValid"] == 0
    assert rows[XINXING]["feedbackReceived"] == 1
    assert rows[""]["recalls"] == 1  # recorded by the inspector, whose bureau is in no township
    assert result["total"]["records"]["total"] == sum(w["records"] for w in expected.values())
    assert (result["total"]["lookups"], result["total"]["unitScans"], result["notes"]) == (0, 0, {})
    assert scene["a"].org.id in {r["key"] for r in statistics(session, inspector.user, "organization", start,
                                                                      end)["rows"]}


def test_the_rebuild_recomputes_exactly_what_the_pipeline_kept(client, make, session):
    county_scene(client, make, session)
    assert compare(session) == []
    inspector = make.actor("inspector")
    before = {group: statistics(session, inspector.user, group, today() - dt.timedelta(days=40), today())
              for group in ("township", "category", "organization", "month")}
    rebuild(session)
    assert compare(session) == []
    for group, result in before.items():
        assert statistics(session, inspector.user, group, today() - dt.timedelta(days=40), today()) == result


def test_a_cut_month_reads_days_and_a_whole_month_reads_the_month(client, make, session):
    county_scene(client, make, session)
    inspector = make.actor("inspector")
    first = today().replace(day=1)
    whole_start = first
    whole_end = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    whole = statistics(session, inspector.user, "month", whole_start, whole_end)
    cut = statistics(session, inspector.user, "month", today(), today())
    assert whole["total"]["records"] == cut["total"]["records"]
    assert whole["total"]["sales"] == cut["total"]["sales"]
    assert [r["key"] for r in whole["rows"]] == [first.isoformat()[:7]]
    empty = statistics(session, inspector.user, "township", today() - dt.timedelta(days=400),
                       today() - dt.timedelta(days=390))
    assert empty["rows"] == [] and empty["total"]["records"]["total"] == 0


def test_producers_see_only_their_own_organization(client, make, session):
    scene = county_scene(client, make, session)
    a = scene["a"]
    mine = statistics(session, a.user, "township", today() - dt.timedelta(days=1), today())
    assert mine["organization"] == a.org.id
    assert [row["key"] for row in mine["rows"]] == [XINXING]
    counted = counted_from_records(session, today() - dt.timedelta(days=1), today())
    assert mine["total"]["records"]["total"] <= counted[XINXING]["records"]
    assert mine["total"]["organizationsActive"] == 1


def test_lookups_and_unit_scans_come_from_the_lookup_counters_by_organization_and_township(make, session):
    from trace.models.counter import PAGE, SCAN
    from trace.services.public.counters import Tally, flush_tallies

    producer, other = make.actor("producer"), make.actor("producer")
    mine, theirs = make.batch(producer), make.batch(other)
    inspector = make.actor("inspector")
    from trace.times import CHINA

    moment = dt.datetime.now(dt.UTC)
    day = moment.astimezone(CHINA).date()
    flush_tallies(session, [Tally(mine.trace_code, day, PAGE, mine.id, 7, moment, moment),
                            Tally("U" + mine.trace_code[1:], day, SCAN, mine.id, 3, moment, moment),
                            Tally(theirs.trace_code, day, PAGE, theirs.id, 2, moment, moment),
                            Tally(theirs.trace_code, day - dt.timedelta(days=60), PAGE, theirs.id, 100, moment,
                                  moment)])  # before the period
    session.commit()
    start, end = day - dt.timedelta(days=30), day
    by_org = {r["key"]: r for r in statistics(session, inspector.user, "organization", start, end)["rows"]}
    assert (by_org[producer.org.id]["lookups"], by_org[producer.org.id]["unitScans"]) == (7, 3)
    assert (by_org[other.org.id]["lookups"], by_org[other.org.id]["unitScans"]) == (2, 0)
    county = statistics(session, inspector.user, "township", start, end)
    assert (county["total"]["lookups"], county["total"]["unitScans"]) == (9, 3)
    assert sum(r["lookups"] for r in county["rows"]) == 9
    by_month = statistics(session, inspector.user, "month", start, end)
    assert by_month["total"]["lookups"] == 9 and by_month["rows"][0]["lookups"] is None
    assert "lookups" in by_month["notes"]
    own = statistics(session, producer.user, "organization", start, end)
    assert (own["total"]["lookups"], own["total"]["unitScans"]) == (7, 3)
