"""The MQTT ingest against a real Mosquitto of the test's own: killed mid-stream, nothing lost or counted twice."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
import sqlalchemy as sa

from tests.factories import live_producer
from tests.interop.helpers import MOSQUITTO, mosquitto
from trace.db import db
from trace.interop.mqtt import Ingest, parse_url
from trace.ledger.keys import generate_private_key, public_raw
from trace.ledger.senml import pack, sign_message
from trace.models import DeviceRefusal, Event, Product, SensorMessage
from trace.services.sensors.ingest import SUBSCRIPTION, ingest_messages
from trace.services.sensors.windows import seal_windows

pytestmark = pytest.mark.skipif(not MOSQUITTO.exists(), reason=f"{MOSQUITTO} is not installed (apt install mosquitto)")
ROOT = Path(__file__).resolve().parents[2]
READINGS = 60


@pytest.fixture()
def broker(tmp_path):
    with mosquitto(tmp_path) as url:
        yield url


@pytest.fixture()
def sensor(live_app):
    """A cold store and a sensor installed in it, registered and enrolled through the API."""
    client, headers, product = live_producer(live_app, f"冷链合作社{uuid.uuid4().hex[:4]}")
    with live_app.app_context():
        org_id = db.session.get(Product, product["id"]).organization_id
    store = client.post(f"/api/v1/organizations/{org_id}/locations", headers=headers,
                        json={"kind": "cold_store", "name": "1号冷库"})
    assert store.status_code == 201, store.json
    private = generate_private_key()
    enrolled = client.post("/api/v1/devices", headers=headers, json={
        "name": "T-01", "publicKey": base64.b64encode(public_raw(private)).decode(), "kind": "sensor",
        "location": store.json["id"]})
    assert enrolled.status_code == 201, enrolled.json
    return {"private": private, "key": enrolled.json["keyId"], "topic": f"suyuan/senml/{org_id}/T-01"}


def message(sensor, n, *, message_id=None):
    start = int(dt.datetime(2026, 11, 1, tzinfo=dt.UTC).timestamp()) + n * READINGS * 60
    readings = [("temperature", start + 60 * i, 4 + (i % 7) / 10) for i in range(READINGS)]
    return sign_message(sensor["private"], message_id or f"m-{n}", sensor["key"], pack("urn:dev:T-01:", readings))


def publisher(url):
    broker = parse_url(url)
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"pub-{uuid.uuid4().hex[:8]}",
                         protocol=mqtt.MQTTv5)
    client.max_queued_messages_set(0)
    client.max_inflight_messages_set(100)
    client.connect(broker.host, broker.port)
    client.loop_start()
    return client


def publish_all(client, topic, payloads):
    infos = [client.publish(topic, json.dumps(p).encode(), qos=1) for p in payloads]
    for info in infos:
        info.wait_for_publish(timeout=60)
        assert info.is_published()


def ingest_process(url, instance, tmp_path, n):
    env = {**os.environ, "TRACE_INSTANCE_PATH": str(instance), "TRACE_MASTER_KEY": "00" * 32,
           "TRACE_SECRET_KEY": "test", "TRACE_RATE_LIMIT_STORAGE": "memory://", "PYTHONPATH": str(ROOT)}
    with (tmp_path / f"ingest-{n}.log").open("w") as log:  # the child keeps its own handle
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "trace", "mqtt", "--broker", url,
                                 "--seal-every", "3600"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def counts(app):
    with app.app_context():
        session = db.session()
        try:
            return session.execute(sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(SensorMessage.readings), 0))
                                   .select_from(SensorMessage)).one()
        finally:
            session.close()


def wait_for(predicate, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_ingest_killed_mid_stream_loses_nothing_and_counts_nothing_twice(live_app, broker, sensor, tmp_path,
                                                                         engine_name):
    if engine_name != "sqlite":
        pytest.skip("the ingest process reads the SQLite database under the instance folder")
    instance = live_app.config["TRACE"].instance_path
    first = ingest_process(broker, instance, tmp_path, 1)
    client = publisher(broker)
    try:
        # The ingest subscribes (and creates its persistent session) before anything is published.
        assert wait_for(lambda: b"subscribed" in (tmp_path / "ingest-1.log").read_bytes() or False, 30)
        time.sleep(1.0)
        half = [message(sensor, n) for n in range(600)]
        threading.Thread(target=publish_all, args=(client, sensor["topic"], half), daemon=True).start()
        assert wait_for(lambda: counts(live_app)[0] > 0, 60), (tmp_path / "ingest-1.log").read_text()
        first.send_signal(signal.SIGKILL)  # mid-stream: some committed, some not, maybe some committed unacked
        first.wait(timeout=10)
        killed_at = counts(live_app)[0]
        rest = [message(sensor, n) for n in range(600, 800)]
        publish_all(client, sensor["topic"], rest)  # while no ingest runs: kept by the broker for its session
        second = ingest_process(broker, instance, tmp_path, 2)
        try:
            assert wait_for(lambda: counts(live_app)[0] >= 800, 120), (tmp_path / "ingest-2.log").read_text()
            replay = message(sensor, 5)  # the same id and content again: recorded once
            altered = message(sensor, 6)
            altered["senml"][1]["v"] = 30.5  # changed after signing: forged
            reused = message(sensor, 7, message_id="m-8")  # a signed message reusing another's id
            publish_all(client, sensor["topic"], [replay, altered, reused])
            assert wait_for(lambda: _refusals(live_app) >= 2, 30)
            time.sleep(1.0)  # the replay had its chance to be counted twice
        finally:
            second.send_signal(signal.SIGINT)
            second.wait(timeout=20)
    finally:
        client.loop_stop()
        client.disconnect()
        if first.poll() is None:
            first.kill()
    assert 0 < killed_at < 800
    assert tuple(counts(live_app)) == (800, 800 * READINGS)
    assert _refusals(live_app) == 2
    with live_app.app_context():
        ids = set(db.session.scalars(sa.select(SensorMessage.message_id)))
        assert ids == {f"m-{n}" for n in range(800)}
        made = seal_windows(db.session(), live_app.extensions["trace.ledger"], everything=True)
        db.session.commit()
        cited = [m["id"] for e in db.session.scalars(sa.select(Event).where(Event.id.in_(made)))
                 for m in e.data["messages"]]
        assert sorted(cited) == sorted(ids)  # each message in exactly one window record


def _refusals(app):
    with app.app_context():
        try:
            return db.session.scalar(sa.select(sa.func.count()).select_from(DeviceRefusal)
                                     .where(DeviceRefusal.reason.startswith("sensor: ")))
        finally:
            db.session.close()


def test_the_in_process_ingest_acknowledges_after_commit_and_reconnects(live_app, broker, sensor, engine_name):
    """Messages handled in process: a failing commit is retried, not acknowledged, and nothing is lost."""
    failures = {"left": 1}

    def flaky(session, _ledger, items):
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("the database is away")
        return ingest_messages(session, items)

    ingest = Ingest(live_app, broker, topic=SUBSCRIPTION, handle=flaky, client_id=f"t-{uuid.uuid4().hex[:6]}")
    thread = threading.Thread(target=ingest.run, daemon=True)
    thread.start()
    client = publisher(broker)
    try:
        assert ingest.connected.wait(10)
        time.sleep(0.3)
        publish_all(client, sensor["topic"], [message(sensor, n) for n in range(20)])
        assert wait_for(lambda: counts(live_app)[0] == 20, 60)
        ingest.client.socket().shutdown(socket.SHUT_RDWR)  # the connection drops: the client connects again by itself
        assert wait_for(lambda: not ingest.connected.is_set(), 10)
        assert ingest.connected.wait(20)
        publish_all(client, sensor["topic"], [message(sensor, n) for n in range(20, 30)])
        assert wait_for(lambda: counts(live_app)[0] == 30, 60)
    finally:
        ingest.stop()
        thread.join(timeout=20)
        client.loop_stop()
        client.disconnect()
    assert failures["left"] == 0 and ingest.totals["stored"] == 30
