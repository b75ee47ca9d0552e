"""Scanner client: 10,000 queued scans sync to a local server (budget DESIGN.md §10: ≤ 10 s).

A temporary SQLite instance served by gunicorn (one worker); a device enrolled through the
client; 10,000 storage scans of 100 batches signed and kept in the client's outbox (not timed);
then the client's ``sync_once`` uploads them (500 a request, each answered per item) and the
clock stops when every row is settled. The server's count of device records is checked after.

    .venv/bin/python bench/scanner.py [--scans 10000] [--chunk 500]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from server import api, process_cpu, producer, serve, worker_pids  # noqa: E402  (bench/server.py)

from scanner_client import cli, sync  # noqa: E402
from scanner_client.device import load_device  # noqa: E402
from scanner_client.outbox import WAITING  # noqa: E402
from scanner_client.records import rfc3339, sign_record  # noqa: E402
from scanner_client.station import make_record  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scans", type=int, default=10_000)
    parser.add_argument("--chunk", type=int, default=500)
    args = parser.parse_args()

    with serve(workers=1, TRACE_RATE_LIMIT_ENABLED="0") as instance, tempfile.TemporaryDirectory() as home:
        port = instance.port
        token = producer(port, instance.admin, {"kind": "cooperative", "name": "基准合作社",
                                                "region": {"province": "浙江省", "county": "松阳县"}})
        product = api(port, "POST", "/api/v1/products", token, {"category": "vegetables", "name": "番茄"})
        codes = [api(port, "POST", "/api/v1/batches", token,
                     {"product": product["id"], "lot": f"B{i}", "quantity": "1000", "uom": "KGM"})["code"]
                 for i in range(100)]
        place = api(port, "POST", f"/api/v1/organizations/{product['organization']}/locations", token,
                    {"kind": "cold_store", "name": "1号冷库"})
        server = f"http://127.0.0.1:{port}"
        assert cli.main(["enroll", "--server", server, "--token", token, "--name", "bench", "--home", home]) == 0
        device = load_device(Path(home))
        started = time.perf_counter()
        scanned = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)
        context = {"mode": "store", "location": str(place["id"]), "location_name": "1号冷库"}
        rows = []
        for i in range(args.scans):
            record = make_record(device, str(uuid.uuid4()), "store", codes[i % len(codes)],
                                 scanned + dt.timedelta(milliseconds=i), context)
            rows.append((record, sign_record(device.private, record)))
        with device.outbox.transaction() as db:
            db.executemany("INSERT INTO outbox (id, scanned_at, ident, mode, context, record, sig, state, updated_at) "
                           "VALUES (?, ?, ?, 'store', ?, ?, ?, ?, ?)",
                           [(r["id"], r["occurredAt"], r["batches"][0], json.dumps(context), json.dumps(r), s,
                             WAITING, rfc3339(scanned)) for r, s in rows])
        queued = time.perf_counter() - started
        workers = worker_pids(instance)
        server_cpu = sum(process_cpu(pid) for pid in workers)
        load = os.getloadavg()[0]
        started, client_cpu = time.perf_counter(), time.process_time()
        tally = sync.sync_once(device, chunk=args.chunk)
        elapsed = time.perf_counter() - started
        client_cpu = time.process_time() - client_cpu
        server_cpu = sum(process_cpu(pid) for pid in workers) - server_cpu
        load = max(load, os.getloadavg()[0])
        counts = device.outbox.counts()
        devices = api(port, "GET", "/api/v1/devices", token)["items"]
    assert tally.accepted == args.scans and counts["accepted"] == args.scans, (tally, counts)
    print(f"queued and signed {args.scans} scans on the client in {queued:.2f} s (not part of the budget)")
    print(f"synced {args.scans} scans in {elapsed:.2f} s = {args.scans / elapsed:,.0f} records/s "
          f"({args.chunk}/request, SQLite, gunicorn 1 worker; budget ≤ 10 s); device {devices[0]['keyName']}")
    print(f"CPU per scan: client {client_cpu / args.scans * 1e6:.0f} µs, server {server_cpu / args.scans * 1e6:.0f} µs "
          f"(wall {elapsed / args.scans * 1e6:.0f} µs); load average up to {load:.2f}")


if __name__ == "__main__":
    main()
