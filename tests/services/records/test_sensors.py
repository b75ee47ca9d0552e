"""Sensor readings over MQTT: batches, vehicles, redelivery, bad messages; one test on the real broker."""

from __future__ import annotations

import json
import queue
import socket
import time
import uuid

import pytest
import sqlalchemy as sa

from tests.services.genealogy import Genealogy, day
from trace.errors import PermissionDeniedError, ValidationError
from trace.interop.mqtt import connect, parse_url, recorder
from trace.models import ComplianceFinding, Event, EventBatch, LogEntry
from trace.services.records.sensors import SUBSCRIPTION, attach_readings, handle_message, parse_topic

BROKER = "mqtt://127.0.0.1:1883"


def message(*celsius, sensor="T-01", start=10):
    return {"sensor": sensor, "readings": [{"time": day(start).replace(hour=h).isoformat(), "celsius": c}
                                           for h, c in enumerate(celsius)]}


def storage_events(session, batch):
    return list(session.scalars(sa.select(Event).join(EventBatch, EventBatch.event_id == Event.id)
                                .where(EventBatch.batch_id == batch.id, Event.stage == "storage")))


def test_readings_on_a_batch_become_a_signed_storage_record(make, session, ledger):
    veg = Genealogy(make, session, ledger, "vegetables")
    batch = veg.raw()
    topic = f"suyuan/sensors/{veg.producer.org.id}/{batch.trace_code}"
    event = handle_message(session, ledger, topic, json.dumps(message("3.5", "12.5")).encode())
    assert event.stage == "storage" and event.actor.startswith("user:")
    assert event.data == {"sensor": "T-01", "temperatures": [
        {"time": day(10).replace(hour=0).isoformat().replace("+00:00", "Z"), "celsius": "3.5"},
        {"time": day(10).replace(hour=1).isoformat().replace("+00:00", "Z"), "celsius": "12.5"}]}
    assert event.occurred_at == day(10).replace(hour=1)
    assert session.scalar(sa.select(LogEntry.index).where(LogEntry.event_id == event.id)) is not None
    (finding,) = session.scalars(sa.select(ComplianceFinding).where(ComplianceFinding.event_id == event.id))
    assert finding.rule == "temperature_out_of_range"
    # MQTT delivers at least once: the same message is the same record.
    again = handle_message(session, ledger, topic, json.dumps(message("3.5", "12.5")).encode())
    assert again.id == event.id and len(storage_events(session, batch)) == 1


def test_readings_from_a_vehicle_go_on_the_batches_still_in_it(gen, make, session, ledger):
    retailer = make.actor("producer", make.org("retailer"))
    loaded, delivered, other_truck = gen.raw(), gen.raw(), gen.raw()
    for batch, plate in ((loaded, "浙K·D1234"), (delivered, "浙K·D1234"), (other_truck, "浙K·X9999")):
        gen.event("shipping", [batch], {"recipient": retailer.org.id, "vehicle": plate}, at=day(9))
    gen.event("receiving", [delivered], {"from": gen.producer.org.id}, at=day(9.5), actor=retailer)
    event = attach_readings(session, ledger, gen.producer.org.id, "浙K·D1234", message("4", "5"))
    assert [eb.batch_id for eb in event.batches] == [loaded.id]
    assert event.data["vehicle"] == "浙K·D1234" and event.organization_id == gen.producer.org.id
    assert storage_events(session, delivered) == storage_events(session, other_truck) == []
    again = attach_readings(session, ledger, gen.producer.org.id, "浙K·D1234", message("4", "5"))  # redelivered
    assert again.id == event.id
    assert session.scalar(sa.select(sa.func.count()).select_from(LogEntry).where(LogEntry.event_id == event.id)) == 1
    assert attach_readings(session, ledger, retailer.org.id, "浙K·D1234", message("4")) is None  # not its shipment


def test_bad_messages_are_refused(gen, make, session, ledger):
    batch = gen.raw()
    org = gen.producer.org.id
    with pytest.raises(ValidationError):
        parse_topic("suyuan/sensors/x/ABC")
    with pytest.raises(ValidationError):
        handle_message(session, ledger, f"suyuan/sensors/{org}/{batch.trace_code}", b"{not json")
    with pytest.raises(ValidationError) as caught:
        attach_readings(session, ledger, org, batch.trace_code, {"sensor": "T", "readings": [{"time": "yesterday"}]})
    assert "readings" in caught.value.errors
    stranger = make.actor("producer")
    with pytest.raises(PermissionDeniedError):  # a sensor of another organization cannot write on this batch
        attach_readings(session, ledger, stranger.org.id, batch.trace_code, message("4"))
    assert storage_events(session, batch) == []


def test_broker_url_forms():
    assert parse_url("mqtt://127.0.0.1") == parse_url("mqtt://127.0.0.1:1883")
    secure = parse_url("mqtts://gw:p%40ss@broker.example.cn")
    assert (secure.port, secure.tls, secure.username, secure.password) == (8883, True, "gw", "p@ss")
    with pytest.raises(ValueError):
        parse_url("http://127.0.0.1")


def _broker_reachable() -> bool:
    try:
        socket.create_connection(("127.0.0.1", 1883), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not _broker_reachable(), reason="no MQTT broker (Mosquitto) listening on 127.0.0.1:1883")
def test_readings_published_to_mosquitto_are_recorded(app, make, session, ledger):
    veg = Genealogy(make, session, ledger, "vegetables")
    batch = veg.raw()
    topic = f"suyuan/sensors/{veg.producer.org.id}/{batch.trace_code}"
    received: queue.Queue[tuple[str, bytes]] = queue.Queue()
    subscriber = connect(BROKER, lambda t, p: received.put((t, p)) if t == topic else None, topic=SUBSCRIPTION)
    publisher = connect(BROKER, lambda t, p: None, topic=f"suyuan/test/{uuid.uuid4().hex}")
    subscriber.loop_start()
    publisher.loop_start()
    try:
        payload = json.dumps(message("2.5", "3.0", sensor="cold-room-1")).encode()
        deadline = time.monotonic() + 15
        got = None
        while got is None and time.monotonic() < deadline:  # until the subscription is in place
            publisher.publish(topic, payload, qos=1)
            try:
                got = received.get(timeout=0.5)
            except queue.Empty:
                continue
    finally:
        for client in (subscriber, publisher):
            client.loop_stop()
            client.disconnect()
    assert got == (topic, payload)
    recorder(app, handle_message)(*got)
    (event,) = storage_events(session, batch)
    assert event.data["sensor"] == "cold-room-1" and len(event.data["temperatures"]) == 2


def test_the_mqtt_command_is_there(runner):
    result = runner.invoke(args=["trace", "mqtt", "--help"])
    assert result.exit_code == 0 and "suyuan/sensors/<org id>" in result.output
