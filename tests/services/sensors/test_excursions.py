"""Excursion detection on made-up series; which batches a place or vehicle held when."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.services.genealogy import day
from tests.services.sensors.helpers import place
from trace.services.sensors.excursions import Band, find_excursions, stays

T0 = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
BAND = Band(Decimal(2), Decimal(8), dt.timedelta(minutes=30))

steps = st.lists(st.integers(min_value=1, max_value=20), min_size=1, max_size=120)
values = st.decimals(min_value=-5, max_value=20, places=1)


@st.composite
def series(draw):
    gaps = draw(steps)
    times = list(itertools.accumulate(gaps, initial=0))
    return [(T0 + dt.timedelta(minutes=m), draw(values)) for m in times]


def runs(points, band):
    """The reference: maximal runs of readings outside, each with the first reading after it (if any)."""
    out = []
    for outside, group in itertools.groupby(enumerate(points), key=lambda p: band.outside(p[1][1])):
        if outside:
            group = list(group)
            last = group[-1][0]
            out.append(([p for _, p in group], points[last + 1] if last + 1 < len(points) else None))
    return out


@settings(max_examples=300, deadline=None)
@given(series())
def test_excursions_are_the_runs_outside_longer_than_tolerated(points):
    found = find_excursions(points, BAND)
    expected = []
    for run, after in runs(points, BAND):
        end = after[0] if after else run[-1][0]
        if end - run[0][0] > BAND.tolerated:
            peak = max((v for _, v in run), key=BAND.gap)
            expected.append((run[0][0], end, BAND.gap(peak), len(run), after is None))
    assert [(e.start, e.end, BAND.gap(e.peak), e.readings, e.ongoing) for e in found] == expected
    for e in found:
        assert e.duration > BAND.tolerated and BAND.outside(e.peak)
        known_at = points[e.known_at][0]
        # The first reading that shows it lasted too long: not earlier, and no reading in between.
        assert known_at - e.start > BAND.tolerated
        assert all(t - e.start <= BAND.tolerated for t, _ in points if e.start <= t < known_at)


@given(st.lists(st.decimals(min_value=2, max_value=8, places=2), min_size=1, max_size=50))
def test_readings_within_the_band_make_no_excursion(inside):
    points = [(T0 + dt.timedelta(minutes=i), v) for i, v in enumerate(inside)]
    assert find_excursions(points, BAND) == []


def test_an_open_ended_band_and_zero_tolerance():
    band = Band(None, Decimal(4), dt.timedelta(0))
    points = [(T0, Decimal(3)), (T0 + dt.timedelta(minutes=1), Decimal(5)), (T0 + dt.timedelta(minutes=2), Decimal(3))]
    (e,) = find_excursions(points, band)
    assert (e.start, e.end, e.peak, e.ongoing) == (points[1][0], points[2][0], Decimal(5), False)
    assert find_excursions(points[:2], band) == []  # one reading: it lasted no time yet


def test_the_batches_a_vehicle_carried_and_when(session, gen, make):
    truck = place(session, gen.producer, "vehicle", "浙K·D1234")
    retailer = make.actor("producer", make.org("retailer"))
    carried, still_in, other_truck, never = gen.raw(), gen.raw(), gen.raw(), gen.raw()
    gen.event("shipping", [carried], {"recipient": retailer.org.id, "vehicle": "浙K·D1234"}, at=day(9))
    gen.event("receiving", [carried], {"from": gen.producer.org.id}, at=day(9.5), actor=retailer)
    gen.event("shipping", [still_in], {"recipient": retailer.org.id, "vehicle": "浙K·D1234"}, at=day(9.25))
    gen.event("shipping", [other_truck], {"recipient": retailer.org.id, "vehicle": "浙K·X9999"}, at=day(9))
    found = {(s.batch.id, s.start, s.end) for s in stays(session, truck, day(8), day(11))}
    assert found == {(carried.id, day(9), day(9.5)), (still_in.id, day(9.25), None)}
    assert {s.batch.id for s in stays(session, truck, day(9.6), day(11))} == {still_in.id}
    assert stays(session, truck, day(1), day(8.9)) == []
    assert never.id not in {s.batch.id for s in stays(session, truck, day(0), day(20))}


def test_the_batches_a_cold_store_held_by_name_or_by_location_id(session, gen, make):
    store = place(session, gen.producer, "cold_store", "1号冷库")
    a, b = gen.raw(), gen.raw()
    gen.event("storage", [a], {"warehouse": "1号冷库"}, at=day(5))
    gen.event("storage", [a], {"warehouse": "2号冷库"}, at=day(6))  # moved to the other store
    gen.event("storage", [b], {"warehouse": "1号冷库"}, at=day(5.5))
    gen.event("inspection", [b], {"items": [{"item": "x", "result": "pass"}], "result": "pass"}, at=day(5.7))
    found = {(s.batch.id, s.start, s.end) for s in stays(session, store, day(0), day(10))}
    assert found == {(a.id, day(5), day(6)), (b.id, day(5.5), None)}  # an inspection moves nothing
