"""Ingest: signed, logged records per second through the bulk API on SQLite, one gunicorn worker.

Prints the rate and its ratio to the raw JCS + Ed25519 signing rate measured in the same run.
Budget (DESIGN.md §10): ≥ 2,000 records/s.

    .venv/bin/python bench/ingest.py [--events 20000] [--bulk 1000]
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server import api, producer, serve  # noqa: E402  (bench/server.py)

from trace import ledger  # noqa: E402


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

    with serve(workers=1) as instance:
        port = instance.port
        token = producer(port, instance.admin, {"kind": "cooperative", "name": "基准合作社",
                                                "region": {"province": "浙江省", "county": "松阳县"}})
        product = api(port, "POST", "/api/v1/products", token, {"category": "vegetables", "name": "番茄"})
        codes = [api(port, "POST", "/api/v1/batches", token,
                     {"product": product["id"], "lot": f"B{i}", "quantity": "1000", "uom": "KGM"})["code"]
                 for i in range(100)]
        when = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)).isoformat()
        events = [{"id": str(uuid.uuid4()), "stage": "storage", "batches": [codes[i % len(codes)]],
                   "occurredAt": when,
                   "data": {"warehouse": "1号冷库", "temperatures": [{"time": when, "celsius": "3.5"}]}}
                  for i in range(args.events)]
        bodies = [{"events": events[i : i + args.bulk]} for i in range(0, len(events), args.bulk)]
        api(port, "POST", "/api/v1/events/bulk", token, bodies[0])  # warm-up: keys, caches
        encoded = [json.dumps(body).encode() for body in bodies[1:]]  # the client's work stays out of the timing
        started = time.perf_counter()
        for body in encoded:
            api(port, "POST", "/api/v1/events/bulk", token, body)
        elapsed = time.perf_counter() - started
        ingested = sum(len(b["events"]) for b in bodies[1:])
        sample_leaf = api(port, "GET", "/api/v1/log/entries/5", token)["leaf"]

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
