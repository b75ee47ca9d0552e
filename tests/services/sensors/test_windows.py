"""Window records: one signed record per sensor and window citing its messages; excursions become findings."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from tests.services.genealogy import day
from tests.services.sensors.helpers import Sensor, minutes, place
from trace.ledger.senml import body_of, digest
from trace.models import ComplianceFinding, Event, LogEntry, SensorMessage
from trace.services.sensors.ingest import WINDOW, ingest_messages, window_of
from trace.services.sensors.windows import check_cited, seal_windows

START = window_of(day(10))  # a window's start: readings fall in known windows


@pytest.fixture()
def veg(make, session, ledger):
    from tests.services.genealogy import Genealogy

    return Genealogy(make, session, ledger, "vegetables")


def publish(session, sensor, readings, message_id=None):
    (outcome,) = ingest_messages(session, [(sensor.topic, sensor.payload(readings, message_id))])
    assert outcome.status == "stored"


def test_a_closed_window_becomes_one_signed_record_citing_its_messages(session, ledger, veg):
    store = place(session, veg.producer)
    sensor = Sensor(session, ledger, veg.producer, store)
    publish(session, sensor, minutes(START, [4, 5]), "a")
    publish(session, sensor, minutes(START + dt.timedelta(minutes=30), [6]), "b")
    publish(session, sensor, minutes(START + WINDOW, [3]), "c")  # the next window
    now = START + 2 * WINDOW + dt.timedelta(minutes=1)  # the first closed, the second not (grace)
    (made,) = seal_windows(session, ledger, now=now)
    event = session.get(Event, made)
    assert event.stage == "sensor_window" and event.actor == f"device:{sensor.device.key.name}"
    assert event.organization_id == veg.producer.org.id and event.batches == []
    messages = {m.message_id: m for m in session.scalars(sa.select(SensorMessage))}
    assert event.data["messages"] == [{"id": "a", "sha256": messages["a"].sha256},
                                      {"id": "b", "sha256": messages["b"].sha256}]
    assert event.data["readings"] == {"temperature": {"count": 3, "min": "4", "max": "6"}}
    assert messages["a"].record_id == messages["b"].record_id == made and messages["c"].record_id is None
    assert session.scalar(sa.select(LogEntry.index).where(LogEntry.event_id == made)) is not None
    assert seal_windows(session, ledger, now=now) == []  # nothing new to seal
    assert check_cited(session, event.data) == []
    messages["b"].body = {**messages["b"].body, "senml": [{**messages["b"].body["senml"][0], "v": 2}]}
    session.flush()
    assert check_cited(session, event.data) == ["b"]  # a changed raw reading no longer has the cited hash
    assert digest(body_of(messages["a"].body)) == messages["a"].sha256


def test_a_late_message_goes_into_a_second_record_of_its_window(session, ledger, veg):
    sensor = Sensor(session, ledger, veg.producer, place(session, veg.producer))
    publish(session, sensor, minutes(START, [4]), "a")
    (first,) = seal_windows(session, ledger, everything=True)
    publish(session, sensor, minutes(START + dt.timedelta(minutes=5), [4]), "late")
    (second,) = seal_windows(session, ledger, everything=True)
    assert first != second and session.get(Event, second).data["part"] == 1


def test_a_door_open_excursion_is_a_finding_on_each_batch_in_the_cold_store(session, ledger, veg, make):
    store = place(session, veg.producer, name="1号冷库")
    sensor = Sensor(session, ledger, veg.producer, store)
    inside, left_before, elsewhere = veg.raw(), veg.raw(), veg.raw()
    veg.event("storage", [inside, left_before], {"warehouse": "1号冷库"}, at=START - dt.timedelta(days=1))
    veg.event("storage", [elsewhere], {"warehouse": "2号冷库"}, at=START - dt.timedelta(days=1))
    buyer = make.actor("producer", make.org("retailer"))
    veg.ship(left_before, buyer, at=START - dt.timedelta(hours=2))
    values = [4] * 10 + [9, 11, 12.5, 10] + [9] * 30 + [5] * 16  # 40 minutes above 8 °C
    publish(session, sensor, minutes(START, values), "door")
    (made,) = seal_windows(session, ledger, everything=True)
    findings = list(session.scalars(sa.select(ComplianceFinding)
                                    .where(ComplianceFinding.rule == "cold_chain_excursion")))
    assert [f.batch_id for f in findings] == [inside.id]
    (finding,) = findings
    assert finding.event_id == made and finding.severity == "high"
    details = finding.details
    assert details["peak"] == "12.5" and details["durationMinutes"] == 34 and details["toleratedMinutes"] == 30
    assert details["start"] == (START + dt.timedelta(minutes=10)).isoformat().replace("+00:00", "Z")
    assert details["end"] == (START + dt.timedelta(minutes=44)).isoformat().replace("+00:00", "Z")
    assert "1号冷库" in finding.message_zh and details["ongoing"] is False


def test_a_short_excursion_within_the_tolerated_time_is_no_finding(session, ledger, veg):
    store = place(session, veg.producer, name="A库")
    sensor = Sensor(session, ledger, veg.producer, store)
    batch = veg.raw()
    veg.event("storage", [batch], {"warehouse": "A库"}, at=START - dt.timedelta(days=1))
    publish(session, sensor, minutes(START, [4] * 5 + [10] * 25 + [4] * 5), "short")
    seal_windows(session, ledger, everything=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(ComplianceFinding)
                          .where(ComplianceFinding.batch_id == batch.id)) == 0


def test_eggs_make_no_cold_chain_claim(session, ledger, make):
    from tests.services.genealogy import Genealogy

    eggs = Genealogy(make, session, ledger, "eggs")
    store = place(session, eggs.producer, name="蛋库")
    sensor = Sensor(session, ledger, eggs.producer, store)
    batch = eggs.raw()
    eggs.event("storage", [batch], {"warehouse": "蛋库"}, at=START - dt.timedelta(days=1))
    publish(session, sensor, minutes(START, [25] * 60), "warm")
    seal_windows(session, ledger, everything=True)
    assert session.scalar(sa.select(sa.func.count()).select_from(ComplianceFinding)
                          .where(ComplianceFinding.batch_id == batch.id)) == 0
