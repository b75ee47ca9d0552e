"""The log at scale: inclusion proofs from DB tiles, and the full audit, at 1,000,000 entries.

Builds a SQLite log of N signed records (default 1,000,000) directly — a registration record
for each of N/10 batches (first in each batch's chain, as the service registers them), then
storage records spread over the batches; the records, signatures, leaves and tiles are exactly
what the service writes, only inserted in bulk — then prints:
- inclusion and consistency proof times through the service's DB tile store (budget ≤ 5 ms);
- the audit rate (flask trace audit's engine, all cores) against the raw Ed25519 verify rate of
  one core × cores, measured in the same run (budget ≥ 80%): once for signatures and the log
  (DESIGN.md §10's audit; `--log-only`), once with every event row, batch row and product row
  compared too (the default), and the batch and product rows' comparison alone.

    .venv/bin/python bench/log_scale.py [--entries 1000000] [--batches N/10] [--postgres SERVER_URL]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from trace import create_app, ledger  # noqa: E402
from trace.config import Config  # noqa: E402
from trace.db import db  # noqa: E402

CHUNK = 1000
_sign_key = None


def _init_signer(raw: bytes) -> None:
    global _sign_key
    _sign_key = ledger.private_key_from_raw(raw)


def _sign(items: list[tuple[dict, str]]) -> list[tuple[bytes, bytes]]:
    out = []
    for record, key_id in items:
        canonical = ledger.canonical(record)
        sig = _sign_key.sign(ledger.RECORD_PREFIX + canonical)
        leaf = ledger.leaf_from_canonical(canonical, [ledger.signature_entry(key_id, sig)])
        out.append((leaf, ledger.leaf_hash(leaf)))
    return out


def verify_rate(seconds: float = 3.0) -> float:
    key = ledger.generate_private_key()
    public = key.public_key()
    message = ledger.RECORD_PREFIX + b'{"v":1,"data":"x"}' * 20
    sig = key.sign(message)
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(500):
            public.verify(sig, message)
        done += 500
    return done / (time.perf_counter() - started)


def build(app, entries: int, batches: int) -> None:
    from trace.models import Batch, Checkpoint, Event, EventBatch, LogEntry, LogHead, LogTile
    from trace.services.catalog.catalog import create_product
    from trace.services.organizations.organizations import add_member, create_organization
    from trace.services.records.registration import row_facts
    from trace.services.signing import key_admin
    from trace.services.signing import keys as key_svc
    from trace.services.signing.log import HEAD_ID, build_record, log_size
    from trace.stages import STAGES

    with app.app_context():
        cfg = app.extensions["trace.ledger"]
        s = db.session
        org = create_organization(
            s, None, {"kind": "cooperative", "name": "规模合作社", "region": {"province": "浙江省", "county": "松阳县"}}
        )
        user = add_member(s, None, org, "p", "producer")
        product = create_product(s, user, {"category": "vegetables", "name": "番茄"}, ledger=cfg)
        registered = {"id": product.id, "name": product.name, "nameEn": product.name_en, "gtin": product.gtin,
                      "category": "vegetables"}
        now = dt.datetime.now(dt.UTC)
        s.execute(
            sa.insert(Batch),
            [
                {
                    "trace_code": f"B{i:012d}",
                    "product_id": product.id,
                    "organization_id": org.id,
                    "custodian_id": org.id,
                    "lot": f"L{i}",
                    "quantity": 1000,
                    "available": 1000,
                    "uom": "KGM",
                    "status": "active",
                    "disposition": "active",
                    "created_at": now,
                }
                for i in range(batches)
            ],
        )
        batch_ids = [b for (b,) in s.execute(sa.select(Batch.id).order_by(Batch.id))]
        org_key = key_admin.organization_key(s, cfg, org.id)
        log_key = key_admin.log_key(s, cfg)
        s.commit()
        log_private = key_svc.private_key(cfg, log_key)
        org_raw = ledger.private_raw(key_svc.private_key(cfg, org_key))
        size = log_size(s)
        store = ledger.MemoryTileStore()
        for tile in s.scalars(sa.select(LogTile)):
            store.write_tiles({(tile.level, tile.index): tile.hashes})
        s.execute(sa.delete(Checkpoint))
        last: dict[int, str | None] = {}
        pool = multiprocessing.get_context("fork").Pool(os.cpu_count() or 1, _init_signer, (org_raw,))
        chunk = CHUNK
        started = time.perf_counter()
        when = now - dt.timedelta(days=1)
        for start in range(0, entries, chunk):
            rows, lines, records = [], [], []
            for i in range(start, min(start + chunk, entries)):
                registration = i < batches
                b = i if registration else i % batches
                row = {
                    "id": str(uuid.UUID(int=random.getrandbits(128), version=4)),
                    "stage": "registration" if registration else "storage",
                    "biz_step": STAGES["registration" if registration else "storage"].biz_step,
                    "organization_id": org.id,
                    "actor": f"user:{user.id}",
                    "occurred_at": when,
                    "recorded_at": now,
                    "location": None,
                    "data": {**row_facts(org.id, f"L{b}", 1000, "KGM", None, None), "product": registered}
                    if registration else {
                        "warehouse": "1号冷库",
                        "temperatures": [{"time": "2026-11-22T08:00:00+00:00", "celsius": f"{3 + i % 5}.5"}],
                    },
                    "sensors": None,
                    "attachments": [],
                    "request_hash": hashlib.sha256(str(i).encode()).hexdigest(),
                }
                record = build_record(SimpleNamespace(**row), [("subject", f"B{b:012d}", None, None)])
                record["prev"] = {f"B{b:012d}": last.get(b)}
                rows.append(row)
                lines.append({"event_id": row["id"], "batch_id": batch_ids[b], "role": "subject"})
                records.append((record, org_key.key_id))
            half = (len(records) + 1) // 2
            signed = [x for part in pool.map(_sign, [records[:half], records[half:]]) for x in part]
            s.execute(sa.insert(Event), rows)
            s.execute(sa.insert(EventBatch), lines)
            s.execute(
                sa.insert(LogEntry),
                [
                    {
                        "index": size + k,
                        "event_id": row["id"],
                        "record_id": row["id"],
                        "kind": "record",
                        "leaf": leaf,
                        "leaf_hash": digest,
                        "created_at": now,
                    }
                    for k, (row, (leaf, digest)) in enumerate(zip(rows, signed, strict=True))
                ],
            )
            for k, (_, digest) in enumerate(signed):
                i = start + k
                last[i if i < batches else i % batches] = digest.hex()
            ledger.append_leaves(store, size, [d for _, d in signed])
            size += len(signed)
            root = ledger.root_from_nodes(size, ledger.tile_node_reader(store))
            note = ledger.sign_note(ledger.format_checkpoint(cfg.origin, size, root), log_key.name, log_private)
            s.execute(sa.insert(Checkpoint), [{"size": size, "root_hash": root, "note": note, "created_at": now}])
            if start % 100_000 == 0:
                s.commit()
                print(f"  built {size:,} entries ({time.perf_counter() - started:.0f} s)", flush=True)
        pool.close()
        s.execute(sa.delete(LogTile))
        s.execute(sa.insert(LogTile), [{"level": lv, "index": ix, "hashes": h} for (lv, ix), h in store.tiles.items()])
        batches = Batch.__table__  # each batch's tip, as services/signing/log.append keeps it
        s.execute(
            batches.update().where(batches.c.id == sa.bindparam("b_id")).values(log_tip=sa.bindparam("tip")),
            [{"b_id": batch_ids[b], "tip": bytes.fromhex(h)} for b, h in last.items() if h],
        )
        head = s.get(LogHead, HEAD_ID)
        head.size, head.root_hash = size, ledger.root_from_nodes(size, ledger.tile_node_reader(store))
        s.commit()


def measure(app, entries: int) -> None:
    from trace.services.audit.audit import audit_log
    from trace.services.audit.row_audit import row_findings
    from trace.services.signing.log import consistency, inclusion, log_size

    with app.app_context():
        s = db.session
        size = log_size(s)
        times, ctimes = [], []
        for _ in range(1000):
            index = random.randrange(size)
            t = time.perf_counter()
            inclusion(s, index, size)
            times.append((time.perf_counter() - t) * 1000)
            old = random.randrange(1, size)
            t = time.perf_counter()
            consistency(s, old, size)
            ctimes.append((time.perf_counter() - t) * 1000)
            s.expire_all()  # each proof reads its tiles from the database
        q = statistics.quantiles
        print(
            f"inclusion proof at {size:,} entries ({s.get_bind().dialect.name} tiles): "
            f"median {statistics.median(times):.2f} ms, "
            f"p99 {q(times, n=100)[98]:.2f} ms (budget ≤ 5 ms)"
        )
        print(
            f"consistency proof to {size:,}: median {statistics.median(ctimes):.2f} ms, "
            f"p99 {q(ctimes, n=100)[98]:.2f} ms"
        )
        cores = os.cpu_count() or 1
        raw = verify_rate()
        for rows, what in ((False, "signatures and the log (the budget's audit)"),
                           (True, "everything, event, batch and product rows included (flask trace audit's default)")):
            s.expire_all()
            before, t = os.times(), time.perf_counter()
            report = audit_log(s, app.config["TRACE"].log_origin, workers=cores, rows=rows)
            elapsed, after = time.perf_counter() - t, os.times()
            assert report.ok, [str(f) for f in report.findings[:5]]
            rate = report.entries / elapsed
            main = after.user + after.system - before.user - before.system
            workers = after.children_user + after.children_system - before.children_user - before.children_system
            per = 1e6 / report.entries
            print(
                f"audit, {what}: {report.entries:,} entries and {report.checkpoints:,} checkpoints, "
                f"{cores} workers: {elapsed:.1f} s = {rate:,.0f} entries/s = {rate / (raw * cores):.0%} of raw "
                f"(budget ≥ 80%); CPU per entry: workers {workers * per:.0f} µs, main {main * per:.1f} µs, "
                f"cores busy {(main + workers) / elapsed / cores:.0%}"
            )
        s.expire_all()
        t = time.perf_counter()
        found = row_findings(s)
        elapsed = time.perf_counter() - t
        assert not found, found[:5]
        count = s.scalar(sa.text("SELECT count(*) FROM batches"))
        print(f"batch and product rows against their records alone (main process, part of the default audit): "
              f"{count:,} batches in {elapsed:.2f} s = {elapsed / count * 1e6:.0f} µs a batch")
        print(f"raw Ed25519 verify, same run: {raw:,.0f}/s per core × {cores} cores = {raw * cores:,.0f}/s "
              f"(one verify ≈ {1e6 / raw:.0f} µs)")


@contextlib.contextmanager
def scratch_postgres(server_url: str | None) -> Iterator[str | None]:
    """Yield the URL of a new database on that PostgreSQL server (dropped after), or None for SQLite."""
    if not server_url:
        yield None
        return
    name = f"suyuan_bench_{os.getpid()}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield sa.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--batches", type=int, help="batches, each registered first in its chain (default: entries/10)")
    parser.add_argument("--postgres", metavar="SERVER_URL",
                        help="run on a scratch database of this PostgreSQL server "
                             "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test) instead of SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="suyuan-scale-") as tmp, scratch_postgres(args.postgres) as url:
        app = create_app(Config(instance_path=Path(tmp), master_key="22" * 32, database_url=url))
        with app.app_context():
            from flask_migrate import upgrade

            from trace.services.catalog.catalog import seed_categories

            upgrade(revision="heads")
            seed_categories(db.session)
            db.session.commit()
        t = time.perf_counter()
        build(app, args.entries, args.batches or max(1, args.entries // 10))
        print(f"built a log of {args.entries:,} signed records in {time.perf_counter() - t:.0f} s")
        measure(app, args.entries)


if __name__ == "__main__":
    main()
