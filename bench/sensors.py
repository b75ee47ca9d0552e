"""Sensors: signed SenML readings per second through a real MQTT broker into signed window records, one worker.

A Mosquitto of the benchmark's own (free port, queue limits raised) and a temporary SQLite
instance; 1,000 sensors enrolled in one cold store (not timed); each publishes ``--packs`` signed
SenML packs of 60 one-minute readings (signed before the clock starts: that is the devices' work).
One ingest process (``flask --app wsgi trace mqtt``, sealing closed windows every second) takes
them; the clock runs from the first publish until every message is stored and cited by a signed
window record. The window records' rate is compared with raw JCS + Ed25519 signing of the same
records, measured in the same run. Budget (DESIGN.md §10): ≥ 5,000 readings/s.

    .venv/bin/python bench/sensors.py [--sensors 1000] [--packs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import paho.mqtt.client as mqtt  # noqa: E402
import sqlalchemy as sa  # noqa: E402

from tests.interop.helpers import MOSQUITTO, mosquitto  # noqa: E402
from trace import create_app, ledger  # noqa: E402
from trace.config import Config  # noqa: E402
from trace.db import db  # noqa: E402
from trace.interop.mqtt import parse_url  # noqa: E402
from trace.ledger.senml import pack, sign_message  # noqa: E402
from trace.models import LogEntry, SensorMessage  # noqa: E402

READINGS = 60
MASTER = "00" * 32


def setup(instance: Path, sensors: int) -> tuple[list[tuple[str, object, str]], int]:
    """Migrate, seed, and enrol the sensors; return (topic, private key, key id) of each and the org id."""
    from flask_migrate import upgrade

    from trace.services.catalog.catalog import seed_categories
    from trace.services.devices.enrolment import enroll_device
    from trace.services.devices.locations import add_location
    from trace.services.organizations.organizations import add_member, create_organization

    app = create_app(Config(instance_path=instance, master_key=MASTER, secret_key="bench",
                            rate_limit_storage="memory://"))
    out = []
    with app.app_context():
        upgrade(revision="heads")
        session = db.session()
        seed_categories(session)
        org = create_organization(session, None, {"kind": "cooperative", "name": "基准冷链合作社",
                                                  "region": {"province": "浙江省", "county": "松阳县"}})
        user = add_member(session, None, org, "bench", "producer")
        store = add_location(session, user, org.id, {"kind": "cold_store", "name": "1号冷库"})
        cfg = app.extensions["trace.ledger"]
        for i in range(sensors):
            private = ledger.generate_private_key()
            device = enroll_device(session, cfg, user, f"S{i:04d}", ledger.public_raw(private), kind="sensor",
                                   location_id=store.id)
            out.append((f"suyuan/senml/{org.id}/S{i:04d}", private, device.key.key_id))
        session.commit()
        org_id = org.id
        db.engine.dispose()
    return out, org_id


def messages(sensors: list[tuple[str, object, str]], packs: int) -> list[tuple[str, bytes]]:
    """Return every signed message, pack by pack (all sensors' first hour, then the second, ...)."""
    start = int((dt.datetime.now(dt.UTC) - dt.timedelta(days=2)).replace(minute=0, second=0).timestamp())
    out = []
    for k in range(packs):
        for topic, private, key_id in sensors:
            hour = start + k * 3600
            readings = [("temperature", hour + 60 * i, 3 + (i % 10) / 10) for i in range(READINGS)]
            body = sign_message(private, f"{k}-{uuid.uuid4().hex[:8]}", key_id, pack("urn:dev:bench:", readings))
            out.append((topic, json.dumps(body).encode()))
    return out


def publish(url: str, items: list[tuple[str, bytes]], clients: int = 8) -> float:
    """Publish at QoS 1 from several connections; return when the last was acknowledged by the broker."""
    broker = parse_url(url)
    threads = []

    def run(share: list[tuple[str, bytes]]) -> None:
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=f"bench-{uuid.uuid4().hex[:8]}",
                             protocol=mqtt.MQTTv5)
        client.max_inflight_messages_set(200)
        client.max_queued_messages_set(0)
        client.connect(broker.host, broker.port)
        client.loop_start()
        infos = [client.publish(topic, payload, qos=1) for topic, payload in share]
        for info in infos:
            info.wait_for_publish(timeout=300)
        client.loop_stop()
        client.disconnect()

    for c in range(clients):
        thread = threading.Thread(target=run, args=(items[c::clients],))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return time.perf_counter()


def progress(engine: sa.Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count(), sa.func.count(SensorMessage.record_id))
                            .select_from(SensorMessage)).one()  # type: ignore[return-value]


def raw_sign_rate(records: list[dict], seconds: float = 3.0) -> float:
    key = ledger.generate_private_key()
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for record in records:
            ledger.sign_record(key, record)
        done += len(records)
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sensors", type=int, default=1000)
    parser.add_argument("--packs", type=int, default=3)
    args = parser.parse_args()
    if not MOSQUITTO.exists():
        sys.exit(f"{MOSQUITTO} is not installed")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="suyuan-sensors-") as tmp:
        instance = Path(tmp)
        sensors, _ = setup(instance, args.sensors)
        items = messages(sensors, args.packs)
        total = len(items)
        with mosquitto(instance) as url:
            env = {**os.environ, "TRACE_INSTANCE_PATH": str(instance), "TRACE_MASTER_KEY": MASTER,
                   "TRACE_SECRET_KEY": "bench", "TRACE_RATE_LIMIT_STORAGE": "memory://"}
            with (instance / "ingest.log").open("w") as log:
                worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "trace", "mqtt",
                                           "--broker", url, "--seal-every", "1"], cwd=ROOT, env=env,
                                          stdout=log, stderr=subprocess.STDOUT)
            engine = sa.create_engine(f"sqlite:///{instance / 'suyuan.sqlite3'}")
            try:
                while b"subscribed" not in (instance / "ingest.log").read_bytes():
                    time.sleep(0.1)
                time.sleep(1.0)
                started = time.perf_counter()
                published = publish(url, items)
                stored_at = None
                while True:
                    stored, sealed = progress(engine)
                    if stored == total and stored_at is None:
                        stored_at = time.perf_counter()
                    if sealed == total:
                        break
                    if worker.poll() is not None:
                        sys.exit((instance / "ingest.log").read_text())
                    time.sleep(0.05)
                done = time.perf_counter()
            finally:
                worker.send_signal(signal.SIGINT)
                worker.wait(timeout=60)
            with engine.connect() as conn:
                leaves = conn.execute(sa.select(LogEntry.leaf).where(LogEntry.kind != "key")
                                      .order_by(LogEntry.index.desc()).limit(500)).scalars().all()
                windows = conn.execute(sa.select(sa.func.count(sa.distinct(SensorMessage.record_id)))).scalar_one()
            engine.dispose()
    records = [json.loads(leaf)["record"] for leaf in leaves]
    raw = raw_sign_rate(records)
    elapsed = done - started
    readings = total * READINGS
    print(f"sensors {args.sensors}, packs {total} of {READINGS} readings ({readings} readings), "
          f"window records {windows}")
    print(f"published (broker acknowledged) in {published - started:.2f} s; stored in "
          f"{(stored_at or done) - started:.2f} s; sealed in {elapsed:.2f} s")
    print(f"readings/s through the broker into signed records: {readings / elapsed:,.0f} (budget ≥ 5,000)")
    print(f"window records/s: {windows / elapsed:,.1f}; raw JCS + Ed25519 signing of the same records: "
          f"{raw:,.0f}/s; ratio {windows / elapsed / raw:.3f}")
    print(f"readings per raw signature equivalent: {readings / elapsed / raw:.2f}")
    print(f"load average before {load_before[0]:.2f}, after {os.getloadavg()[0]:.2f} (cores {os.cpu_count()})")


if __name__ == "__main__":
    main()
