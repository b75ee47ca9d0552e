"""Signed sensor messages: kept once, refused when unsigned, forged, revoked, reused or misaddressed."""

from __future__ import annotations

import base64
import json

import pytest
import sqlalchemy as sa

from tests.services.genealogy import day
from tests.services.sensors.helpers import Sensor, minutes, place
from trace.errors import ValidationError
from trace.models import DeviceRefusal, SensorMessage
from trace.services.devices.enrolment import enroll_device, revoke_device
from trace.services.sensors.ingest import ingest_messages, refusal_count, window_of


@pytest.fixture()
def sensor(session, ledger, gen):
    return Sensor(session, ledger, gen.producer, place(session, gen.producer))


def stored(session, sensor):
    return session.scalar(sa.select(sa.func.count()).select_from(SensorMessage)
                          .where(SensorMessage.device_id == sensor.device.id))


def test_a_signed_pack_is_kept_once_and_a_redelivery_is_answered_already(session, sensor):
    payload = sensor.payload(minutes(day(10), ["4.2", "4.4", 4]), "m-1")
    (first,) = ingest_messages(session, [(sensor.topic, payload)])
    assert (first.status, first.readings) == ("stored", 3)
    row = session.scalar(sa.select(SensorMessage).where(SensorMessage.message_id == "m-1"))
    assert row.summary == {"temperature": {"count": 3, "min": "4", "max": "4.4"}}
    assert row.first_at == day(10).replace(microsecond=0) and row.window_start == window_of(day(10))
    assert row.location_id == sensor.device.location_id
    again, twice = ingest_messages(session, [(sensor.topic, payload), (sensor.topic, payload)])
    assert again.status == twice.status == "already" and stored(session, sensor) == 1


def test_the_same_id_with_other_content_is_refused_and_counted(session, sensor):
    ingest_messages(session, [(sensor.topic, sensor.payload(minutes(day(10), [4]), "m-1"))])
    before = refusal_count(session)
    (other,) = ingest_messages(session, [(sensor.topic, sensor.payload(minutes(day(10), [9]), "m-1"))])
    assert other.status == "refused" and "other content" in other.reason
    assert refusal_count(session) == before + 1 and stored(session, sensor) == 1


def forged(sensor):
    message = sensor.signed(minutes(day(10), [4]))
    message["senml"][0]["v"] = 3.0  # changed after signing
    return json.dumps(message).encode()


def unsigned(sensor):
    message = sensor.signed(minutes(day(10), [4]))
    del message["sig"]
    return json.dumps(message).encode()


def by_stranger(session, ledger, gen, sensor):
    other = Sensor(session, ledger, gen.producer, place(session, gen.producer))
    message = other.signed(minutes(day(10), [4]))
    message["key"] = sensor.key_id  # claims to be the other sensor
    return json.dumps(message).encode()


@pytest.mark.parametrize("bad", ["forged", "unsigned", "stranger", "not json", "senml unit"])
def test_unsigned_forged_and_malformed_messages_are_refused_and_counted(session, ledger, gen, sensor, bad):
    payload = {"forged": lambda: forged(sensor), "unsigned": lambda: unsigned(sensor),
               "stranger": lambda: by_stranger(session, ledger, gen, sensor), "not json": lambda: b"{oops",
               "senml unit": lambda: _wrong_unit(sensor)}[bad]()
    before = refusal_count(session)
    (outcome,) = ingest_messages(session, [(sensor.topic, payload)])
    assert outcome.status == "refused"
    assert refusal_count(session) == before + 1 and stored(session, sensor) == 0


def _wrong_unit(sensor):
    from trace.ledger.senml import sign_message

    pack = [{"bn": "urn:dev:x:", "bt": int(day(10).timestamp()), "n": "temperature", "u": "degF", "v": 40}]
    return json.dumps(sign_message(sensor.private, "m-x", sensor.key_id, pack)).encode()


def test_a_revoked_sensor_and_the_wrong_topic_are_refused(session, ledger, gen, sensor):
    payload = sensor.payload(minutes(day(10), [4]))
    (misaddressed,) = ingest_messages(session, [(sensor.topic + "x", payload)])
    assert misaddressed.status == "refused" and "publishes on" in misaddressed.reason
    revoke_device(session, ledger, gen.producer.user, sensor.device.id, "stolen")
    (revoked,) = ingest_messages(session, [(sensor.topic, payload)])
    assert revoked.status == "refused" and "revoked" in revoked.reason
    reasons = list(session.scalars(sa.select(DeviceRefusal.reason).where(DeviceRefusal.key_id == sensor.key_id)))
    assert len(reasons) == 2 and all(r.startswith("sensor: ") for r in reasons)


def test_a_scanner_key_cannot_publish_readings(session, ledger, gen):
    from trace.ledger.keys import generate_private_key, public_raw
    from trace.ledger.senml import pack, sign_message

    private = generate_private_key()
    scanner = enroll_device(session, ledger, gen.producer.user, "scan-1", public_raw(private))
    message = sign_message(private, "m", scanner.key.key_id,
                           pack("urn:x:", [("temperature", int(day(1).timestamp()), 4)]))
    (outcome,) = ingest_messages(session, [(f"suyuan/senml/{gen.producer.org.id}/scan-1",
                                            json.dumps(message).encode())])
    assert outcome.status == "refused" and "sensor" in outcome.reason


def test_a_sensor_is_enrolled_at_a_place_of_its_own_organization(session, ledger, gen, make):
    public = base64.b64decode(base64.b64encode(bytes(32)))
    with pytest.raises(ValidationError):
        enroll_device(session, ledger, gen.producer.user, "s-1", public, kind="sensor")  # no place
    stranger = make.actor("producer")
    elsewhere = place(session, stranger)
    with pytest.raises(ValidationError):
        enroll_device(session, ledger, gen.producer.user, "s-1", public, kind="sensor", location_id=elsewhere.id)
