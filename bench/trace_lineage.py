"""Time backward+forward traces in a generated genealogy of 100,000 batches and 1,000,000 events.

Run from the repository root::

    .venv/bin/python bench/trace_lineage.py                      # SQLite (a temporary file)
    TRACE_TEST_POSTGRES_URL=postgresql+psycopg://... .venv/bin/python bench/trace_lineage.py

With TRACE_TEST_POSTGRES_URL (or --postgres URL) it runs on PostgreSQL too, after SQLite; that
database is reset (DROP SCHEMA public CASCADE), like the test suite does. The genealogy is written
with bulk INSERTs (events are plain rows: signing is benchmarked in bench/ingest.py):

    35,000 harvested lots → 12,500 of them split into 25,000 graded lots → 15,000 processed lots,
    each merging 2–8 raw or graded lots (partial quantities; a lot may feed several merges) →
    10,000 of those split into 20,000 packs → 5,000 mixed cases, each merging 2–6 packs.

Each timed trace is what GET /batches/<code>/trace?direction=both does after authentication:
both recursive walks, the batches, organizations and holders, and the JSON body. Budget: 50 ms
median (DESIGN.md §10; anchor: 2.2 s for the Walmart/IBM Food Trust mango trace).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the local ``trace``, not the stdlib one

import sqlalchemy as sa  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from trace import create_app  # noqa: E402
from trace.codes.tracecode import new_trace_code  # noqa: E402
from trace.config import Config  # noqa: E402
from trace.db import db  # noqa: E402
from trace.models import Batch, BatchLink, Category, Event, EventBatch, Organization, Product  # noqa: E402
from trace.services.lineage.lineage import build_lineage, downstream_ids, lineage_view, upstream_ids  # noqa: E402
from trace.stages import STAGES  # noqa: E402

LAYERS = {"raw": 35_000, "graded": 25_000, "processed": 15_000, "packs": 20_000, "cases": 5_000}
OBJECT_STAGES = ["planting", "input", "harvest", "inspection", "packing", "storage", "shipping", "receiving", "sale",
                 "certificate"]
CHUNK = 20_000
T0 = dt.datetime(2025, 1, 1, tzinfo=dt.UTC)


def _insert(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        conn.execute(table.insert(), rows[start:start + CHUNK])


def _window(rng: random.Random, pool: list[int], position: float, k: int, width: int = 2_000) -> list[int]:
    """Pick k distinct lots near a position in a pool (processors take lots from around the same time)."""
    centre = int(position * len(pool))
    low = max(0, min(centre - width // 2, len(pool) - width))
    return rng.sample(pool[low:low + width], k)


def generate(conn: sa.Connection, n_events: int, seed: int = 7) -> dict[str, int]:
    """Write the genealogy; return row counts."""
    rng = random.Random(seed)
    categories = [row.id for row in conn.execute(sa.select(Category.id))]
    kinds = ["cooperative"] * 200 + ["processor"] * 20 + ["retailer"] * 60 + ["logistics"] * 20
    _insert(conn, Organization.__table__, [
        {"id": i + 1, "kind": kind, "name": f"bench-{kind}-{i + 1}", "province": "浙江省", "county": "松阳县",
         "contact_name": "联系人", "contact_phone": f"0578-{i:07d}", "created_at": T0} for i, kind in enumerate(kinds)])
    producers, processors, retailers = list(range(1, 201)), list(range(201, 221)), list(range(221, 281))
    _insert(conn, Product.__table__, [
        {"id": org, "organization_id": org, "category_id": rng.choice(categories), "name": f"product {org}",
         "certifications": [], "created_at": T0} for org in producers + processors])

    ids, next_id = {}, 1
    for name, count in LAYERS.items():
        ids[name] = list(range(next_id, next_id + count))
        next_id += count
    owner: dict[int, int] = {}
    batches = []
    for name, members in ids.items():
        orgs = producers if name in ("raw", "graded") else processors
        for b in members:
            owner[b] = rng.choice(orgs)
            batches.append({"id": b, "trace_code": new_trace_code(), "product_id": owner[b],
                            "organization_id": owner[b],
                            "custodian_id": owner[b], "lot": f"L{b}", "quantity": 1000, "available": 500, "uom": "KGM",
                            "origin": {"name": f"plot {b % 5000}"} if name == "raw" else None, "status": "active",
                            "disposition": "active", "created_at": T0})
    _insert(conn, Batch.__table__, batches)

    transformations: list[tuple[list[int], list[int]]] = []
    for i, raw in enumerate(rng.sample(ids["raw"], LAYERS["graded"] // 2)):
        transformations.append(([raw], ids["graded"][2 * i:2 * i + 2]))
    pool = sorted(ids["raw"] + ids["graded"])
    for j, out in enumerate(ids["processed"]):
        transformations.append((_window(rng, pool, j / LAYERS["processed"], rng.randint(2, 8)), [out]))
    for i, lot in enumerate(rng.sample(ids["processed"], LAYERS["packs"] // 2)):
        transformations.append(([lot], ids["packs"][2 * i:2 * i + 2]))
    for j, out in enumerate(ids["cases"]):
        transformations.append((_window(rng, ids["packs"], j / LAYERS["cases"], rng.randint(2, 6)), [out]))

    events, lines, links = [], [], []
    clock = T0

    def flush() -> None:
        _insert(conn, Event.__table__, events)
        _insert(conn, EventBatch.__table__, lines)
        _insert(conn, BatchLink.__table__, links)
        events.clear(), lines.clear(), links.clear()

    def event(stage: str, org: int, data: dict[str, Any]) -> str:
        nonlocal clock
        clock += dt.timedelta(seconds=20)
        event_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        events.append({"id": event_id, "stage": stage, "biz_step": STAGES[stage].biz_step, "organization_id": org,
                       "actor": "bench", "occurred_at": clock, "recorded_at": clock, "data": data,
                       "attachments": [], "request_hash": "0" * 64})
        return event_id

    for inputs, outputs in transformations:
        event_id = event("processing", owner[outputs[0]], {})
        lines.extend({"event_id": event_id, "batch_id": b, "role": "input", "quantity": 100, "uom": "KGM"}
                     for b in inputs)
        lines.extend({"event_id": event_id, "batch_id": b, "role": "output", "quantity": 1000, "uom": "KGM"}
                     for b in outputs)
        links.extend({"event_id": event_id, "input_batch_id": i, "output_batch_id": o, "quantity": 100, "uom": "KGM"}
                     for i in inputs for o in outputs)
        if len(events) >= CHUNK:
            flush()
    remaining = n_events - len(transformations)
    total_batches = sum(LAYERS.values())
    for b in range(1, total_batches + 1):
        count = remaining // total_batches + (1 if b <= remaining % total_batches else 0)
        for k in range(count):
            stage = OBJECT_STAGES[k % len(OBJECT_STAGES)]
            data: dict[str, Any] = {}
            if stage == "shipping":
                data = {"recipient": rng.choice(retailers), "vehicle": f"浙K·{b % 9999:04d}"}
            elif stage == "receiving":
                data = {"from": owner[b]}
            event_id = event(stage, owner[b], data)
            lines.append({"event_id": event_id, "batch_id": b, "role": "subject", "quantity": None, "uom": None})
        if len(events) >= CHUNK:
            flush()
    flush()
    return {"batches": total_batches, "events": n_events, "transformations": len(transformations)}


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def measure(engine: sa.Engine, samples: int, seed: int = 11) -> dict[str, float]:
    """Time trace(direction=both) for random batches; return figures in ms and lineage sizes."""
    rng = random.Random(seed)
    with Session(engine) as session:
        top = session.scalar(sa.select(sa.func.max(Batch.id)))
        roots = [rng.randint(1, top) for _ in range(samples + 50)]
        times, walks, sizes, links = [], [], [], []
        for i, batch_id in enumerate(roots):
            session.expunge_all()
            start = time.perf_counter()
            upstream_ids(session, [batch_id]), downstream_ids(session, batch_id)
            walked = time.perf_counter()
            batch = session.scalar(sa.select(Batch).where(Batch.id == batch_id))
            body = lineage_view(build_lineage(session, batch, "both"))
            done = time.perf_counter()
            if i >= 50:  # warm-up
                walks.append((walked - start) * 1000)
                times.append((done - walked) * 1000)
                sizes.append(len(body["batches"]))
                links.append(len(body["links"]))
    return {"median": statistics.median(times), "p90": _percentile(times, 0.90), "p99": _percentile(times, 0.99),
            "max": max(times), "walk_median": statistics.median(walks), "walk_p99": _percentile(walks, 0.99),
            "mean_batches": statistics.fmean(sizes), "max_batches": max(sizes),
            "mean_links": statistics.fmean(links), "max_links": max(links)}


def run(name: str, config: Config, n_events: int, samples: int) -> None:
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        from trace.services.catalog.catalog import seed_categories

        upgrade(revision="heads")
        seed_categories(db.session)
        db.session.commit()
        engine = db.engine
    start = time.perf_counter()
    with engine.begin() as conn:
        counts = generate(conn, n_events)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    print(f"[{name}] generated {counts['batches']:,} batches, {counts['events']:,} events "
          f"({counts['transformations']:,} transformations) in {time.perf_counter() - start:.0f} s")
    figures = measure(engine, samples)
    print(f"[{name}] trace both ways, n={samples}: median {figures['median']:.1f} ms, p90 {figures['p90']:.1f} ms, "
          f"p99 {figures['p99']:.1f} ms, max {figures['max']:.1f} ms; lineage mean {figures['mean_batches']:.1f} "
          f"batches / {figures['mean_links']:.1f} links, max {figures['max_batches']} / {figures['max_links']}")
    print(f"[{name}] the two recursive walks alone (ids only, timed apart): median {figures['walk_median']:.2f} ms, "
          f"p99 {figures['walk_p99']:.2f} ms")
    print(f"[{name}] budget 50 ms median: {'OK' if figures['median'] <= 50 else 'OVER'} "
          f"({2200 / figures['median']:.0f}x faster than the 2.2 s mango trace)")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--postgres", default=os.environ.get("TRACE_TEST_POSTGRES_URL"))
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="suyuan-bench-") as tmp:
        base = Config(instance_path=Path(tmp), master_key="00" * 32, secret_key="bench")
        if not args.skip_sqlite:
            run("sqlite", base, args.events, args.samples)
        if args.postgres:
            engine = sa.create_engine(args.postgres)
            with engine.begin() as conn:
                conn.exec_driver_sql("DROP SCHEMA public CASCADE")
                conn.exec_driver_sql("CREATE SCHEMA public")
            engine.dispose()
            run("postgresql", base.with_(database_url=args.postgres), args.events, args.samples)


if __name__ == "__main__":
    main()
