"""Ingest: signed, logged records per second through the bulk API on SQLite, one gunicorn worker.

Prints the rate and its ratio to the raw JCS + Ed25519 signing rate measured in the same run.
Budget (DESIGN.md §10): ≥ 2,000 records/s.

    .venv/bin/python bench/ingest.py [--events 20000] [--bulk 1000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trace import ledger  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def flask(env: dict[str, str], *args: str) -> str:
    out = subprocess.run(
        [str(ROOT / ".venv/bin/flask"), "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout


def request(conn: http.client.HTTPConnection, method: str, path: str, token: str, body: object) -> dict:
    conn.request(
        method,
        path,
        body=body if isinstance(body, bytes) else json.dumps(body),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    data = response.read()
    if response.status >= 300:
        raise SystemExit(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data)


def raw_sign_rate(sample: list[dict], seconds: float = 3.0) -> float:
    """Return records/s for canonicalising and signing records like the ones ingested."""
    key = ledger.generate_private_key()
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for record in sample:
            ledger.sign_record(key, record)
        done += len(sample)
    return done / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=20000)
    parser.add_argument("--bulk", type=int, default=1000)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="suyuan-bench-") as tmp:
        env = {**os.environ, "TRACE_INSTANCE_PATH": tmp, "TRACE_MASTER_KEY": "11" * 32}
        env.pop("TRACE_DATABASE_URL", None)
        flask(env, "db", "upgrade", "heads")
        flask(env, "trace", "seed")
        admin = flask(env, "trace", "token", "--role", "admin", "--name", "bench").split()[-1]
        port = free_port()
        server = subprocess.Popen(
            [
                str(ROOT / ".venv/bin/gunicorn"),
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            for _ in range(100):
                try:
                    conn.request("GET", "/healthz")
                    conn.getresponse().read()
                    break
                except OSError:
                    time.sleep(0.1)
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            org = request(
                conn,
                "POST",
                "/api/v1/organizations",
                admin,
                {"kind": "cooperative", "name": "基准合作社", "region": {"province": "浙江省", "county": "松阳县"}},
            )
            user = request(
                conn, "POST", f"/api/v1/organizations/{org['id']}/members", admin, {"name": "p", "role": "producer"}
            )
            token = request(
                conn, "POST", f"/api/v1/organizations/{org['id']}/members/{user['id']}/tokens", admin, {"name": "bench"}
            )["token"]
            product = request(conn, "POST", "/api/v1/products", token, {"category": "vegetables", "name": "番茄"})
            codes = [
                request(
                    conn,
                    "POST",
                    "/api/v1/batches",
                    token,
                    {"product": product["id"], "lot": f"B{i}", "quantity": "1000", "uom": "KGM"},
                )["code"]
                for i in range(100)
            ]
            when = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
            events = [
                {
                    "id": str(uuid.uuid4()),
                    "stage": "storage",
                    "batches": [codes[i % len(codes)]],
                    "occurredAt": when,
                    "data": {"warehouse": "1号冷库", "temperatures": [{"time": when, "celsius": "3.5"}]},
                }
                for i in range(args.events)
            ]
            bodies = [{"events": events[i : i + args.bulk]} for i in range(0, len(events), args.bulk)]
            request(conn, "POST", "/api/v1/events/bulk", token, bodies[0])  # warm-up: keys, caches
            encoded = [json.dumps(body).encode() for body in bodies[1:]]  # the client's work stays out of the timing
            started = time.perf_counter()
            for body in encoded:
                request(conn, "POST", "/api/v1/events/bulk", token, body)
            elapsed = time.perf_counter() - started
            ingested = sum(len(b["events"]) for b in bodies[1:])
            conn.request("GET", "/api/v1/log/entries/5")
            sample_leaf = json.loads(conn.getresponse().read())["leaf"]
        finally:
            server.terminate()
            server.wait()

    import base64

    record, _ = ledger.parse_leaf(base64.b64decode(sample_leaf))
    raw = raw_sign_rate([record] * 200)
    rate = ingested / elapsed
    print(
        f"ingest through POST /api/v1/events/bulk (SQLite, gunicorn 1 worker, {args.bulk}/request): "
        f"{ingested} records in {elapsed:.2f} s = {rate:,.0f} records/s (budget ≥ 2,000)"
    )
    print(f"raw JCS + Ed25519 signing, same run, one core: {raw:,.0f} records/s")
    print(f"ratio ingest / raw signing: {rate / raw:.2f}")


if __name__ == "__main__":
    main()
