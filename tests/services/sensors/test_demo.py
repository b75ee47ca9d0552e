"""The demo's cold store and truck: realistic readings, one door-open excursion on the tomatoes, no claim on eggs."""

from __future__ import annotations

import sqlalchemy as sa

from trace.demo import load_demo
from trace.models import Batch, Category, ComplianceFinding, Event, Product, SensorMessage
from trace.services.sensors.chain import batch_cold_chain


def test_the_demo_cold_chain(session, ledger):
    load_demo(session, ledger)
    tomato = session.scalar(sa.select(Batch).where(Batch.lot == "V2026-088"))
    (finding,) = session.scalars(sa.select(ComplianceFinding).where(ComplianceFinding.rule == "cold_chain_excursion"))
    assert finding.batch_id == tomato.id and finding.details["toleratedMinutes"] == 30
    assert 30 < finding.details["durationMinutes"] <= 45 and 8 < float(finding.details["peak"]) < 13
    segments = batch_cold_chain(session, tomato)
    assert [s.location.kind for s in segments] == ["cold_store", "vehicle"]
    truck = segments[1]
    assert truck.excursions == [] and all(3 <= v <= 5.5 for _, v in truck.series)
    night_and_day = {at.hour for at, _ in segments[0].series}
    assert len(night_and_day) >= 6  # hours of the day and of the night
    windows = session.scalar(sa.select(sa.func.count()).select_from(Event).where(Event.stage == "sensor_window"))
    assert windows >= 2 and session.scalar(sa.select(sa.func.count()).select_from(SensorMessage)
                                           .where(SensorMessage.record_id.is_(None))) == 0
    for code in ("eggs", "grain_oil"):
        batch = session.scalar(sa.select(Batch).join(Product).join(Category).where(Category.code == code).limit(1))
        assert batch_cold_chain(session, batch) is None
