"""Statistics: the year-by-township query and the monthly report on counters the size of 1,000,000 records,
and what keeping the counters costs the recording pipeline.

(Not ``bench/statistics.py``: a script's folder comes first on ``sys.path``, and that name would
shadow the standard library's ``statistics`` for every other benchmark here.)

Run from the repository root::

    .venv/bin/python bench/county_statistics.py                # SQLite (a temporary file)
    TRACE_TEST_POSTGRES_URL=postgresql+psycopg://... .venv/bin/python bench/county_statistics.py

With TRACE_TEST_POSTGRES_URL it runs on PostgreSQL too, in a scratch database it creates and drops.

1. Counters. 100,000 batches of 400 organizations in 19 townships and 8 categories over 24 months,
   ten records each (registration, planting, input, harvest, inspection, packing, storage,
   shipping, receiving, sale; 40 % of sales online, 15 % of organizations aid households): the
   records' figures are computed and tallied by the pipeline's own functions (``figures_of``,
   ``tally``, ``save``) and written to the counters; the records themselves are not written
   (signing is bench/ingest.py's subject, and no statistics query reads records). Timed: the
   statistics of the last full year by township (budget 50 ms median) and the monthly report
   built and written as CSV, XLSX and PDF (budget 2 s).
2. Recording. The same bulk requests of sales and storage records (500 per request) recorded
   through ``pipeline.record`` with the counters kept and with ``count_records`` switched off,
   alternately, in one process: the cost of keeping statistics (budget ≤ 10 % of throughput).
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
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the local ``trace``, not the stdlib one

import sqlalchemy as sa  # noqa: E402

from trace import create_app  # noqa: E402
from trace.config import Config  # noqa: E402
from trace.db import db  # noqa: E402
from trace.models import StatisticsCounter  # noqa: E402
from trace.services.organizations.township_seeds import TOWNSHIPS  # noqa: E402
from trace.services.statistics.counters import new_tally, save, tally  # noqa: E402
from trace.services.statistics.figures import Place, figures_of  # noqa: E402
from trace.services.statistics.queries import statistics as county_statistics  # noqa: E402
from trace.services.statistics.report_files import report_csv, report_pdf, report_xlsx  # noqa: E402
from trace.services.statistics.reports import monthly_report  # noqa: E402

CATEGORIES = {"vegetables": "KGM", "fruit": "KGM", "grain_oil": "LTR", "tea": "KGM", "livestock_poultry": "KGM",
              "eggs": "H87", "aquatic": "KGM", "edible_fungi": "KGM"}
STAGES = ("planting", "input", "harvest", "inspection", "packing", "storage", "shipping", "receiving", "sale")
FIRST_DAY = dt.date(2024, 12, 1)  # 24 months: 2024-12 .. 2026-11
DAYS = 730


def fill_counters(batches: int, per_batch: int, orgs: int, seed: int = 7) -> tuple[Any, int]:
    """Return the tally of ``batches`` × ``per_batch`` records, made the way the pipeline makes it."""
    rng = random.Random(seed)
    townships = [code for code, *_ in TOWNSHIPS]
    org_place = {o: (townships[o % len(townships)], rng.random() < 0.15) for o in range(1, orgs + 1)}
    org_category = {o: rng.sample(sorted(CATEGORIES), 2) for o in org_place}
    into = new_tally()
    records = 0
    for _ in range(batches):
        org = rng.randint(1, orgs)
        township, aid = org_place[org]
        category = rng.choice(org_category[org])
        uom = CATEGORIES[category]
        start = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS - 30))
        quantity = Decimal(rng.randrange(100, 5000))
        registration = {"quantity": f"{quantity}", "uom": uom}
        tally(into, Place(start, township, category, org), figures_of("registration", registration, None, uom))
        records += 1
        for i, stage in enumerate(STAGES[: per_batch - 1]):
            day = start + dt.timedelta(days=1 + i * 2)
            if day >= FIRST_DAY + dt.timedelta(days=DAYS):
                break
            data: dict[str, Any] = {}
            private = None
            if stage == "inspection":
                data = {"result": "pass" if rng.random() < 0.95 else "fail",
                        "basis": rng.choice(("commissioned", "supervisory", "self_check"))}
            elif stage == "sale":
                sold = Decimal(rng.randrange(1, 100))
                data = {"channel": "online" if rng.random() < 0.4 else "market", "quantity": f"{sold}", "uom": uom}
                private = {"amount": f"{sold * Decimal(rng.randrange(300, 9000)) / 100:.2f}",
                           "aid": {"kind": "household", "households": 1} if aid else None}
            tally(into, Place(day, township, category, org), figures_of(stage, data, private, uom))
            records += 1
    return into, records


CPU_TIMES: list[float] = []  # this process's CPU time of each run (SQLite works in-process; a loaded machine
# stretches the wall time, much less the CPU time)


def _median_ms(run: Any, n: int) -> float:
    """Return the median wall time of ``n`` runs in ms; their median CPU time goes to ``CPU_TIMES``."""
    times, cpu = [], []
    for _ in range(n):
        started, used = time.perf_counter(), time.process_time()
        run()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - used) * 1000)
    CPU_TIMES.append(statistics.median(cpu))
    return statistics.median(times)


def measure_queries(name: str, app: Any, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    into, records = fill_counters(args.batches, args.per_batch, args.orgs)
    tallied = time.perf_counter() - started
    with app.app_context():
        save(db.session(), into)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        else:
            db.session.execute(sa.text("ANALYZE"))
            db.session.commit()
        rows = db.session.scalar(sa.select(sa.func.count()).select_from(StatisticsCounter))
        print(f"[{name}] counters of {records:,} records of {args.batches:,} batches over 24 months: {rows:,} rows "
              f"(tallied in {tallied:.0f} s, written in {time.perf_counter() - started - tallied:.0f} s)")
        year = (dt.date(2025, 1, 1), dt.date(2025, 12, 31))
        for group in ("township", "category", "month", "organization"):
            ms = _median_ms(lambda g=group: county_statistics(db.session(), None, g, *year), args.samples)
            budget = "  (budget 50 ms median)" if group == "township" else ""
            print(f"[{name}] statistics of 2025 by {group}: median {ms:.1f} ms over {args.samples} runs "
                  f"(CPU of this process {CPU_TIMES[-1]:.1f} ms){budget}")
        ms = _median_ms(lambda: county_statistics(db.session(), None, "township", dt.date(2025, 3, 15),
                                                  dt.date(2025, 9, 14)), args.samples)
        print(f"[{name}] statistics 2025-03-15..2025-09-14 by township (two cut months read from day rows): "
              f"median {ms:.1f} ms")

        def report() -> None:
            built = monthly_report(db.session(), None, "2026-10")
            report_csv(built), report_xlsx(built), report_pdf(built)

        ms = _median_ms(report, max(3, args.samples // 10))
        print(f"[{name}] monthly report 2026-10 (statistics of 3 months × 3 sections + 13-month trend; CSV, XLSX "
              f"and PDF written): median {ms:.0f} ms (CPU of this process {CPU_TIMES[-1]:.0f} ms; budget 2 s)")
        print(f"[{name}] load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


def measure_recording(name: str, app: Any, args: argparse.Namespace) -> None:
    from trace.services.catalog.catalog import create_product
    from trace.services.organizations.organizations import add_member, create_organization
    from trace.services.organizations.township_seeds import seed_townships
    from trace.services.records import pipeline
    from trace.services.records.batches import register_batch
    from trace.services.records.events import record_bulk

    ledger = app.extensions["trace.ledger"]
    with app.app_context():
        session = db.session()
        seed_townships(session)
        org = create_organization(session, None, {"kind": "cooperative", "name": "基准合作社",
                                                  "region": {"province": "浙江省", "county": "松阳县",
                                                             "township_code": "331124104000"}})
        user = add_member(session, None, org, "bench", "producer")
        product = create_product(session, user, {"category": "vegetables", "name": "番茄"}, ledger=ledger)
        codes = [register_batch(session, user, {"product": product.id, "lot": f"B{i}", "quantity": Decimal(10**6),
                                                "uom": "KGM"}, ledger=ledger).trace_code for i in range(100)]
        session.commit()
        when = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)

        def bulk(n: int, mix: str) -> list[dict[str, Any]]:
            events = []
            for i in range(n):
                batch = [codes[i % len(codes)]]
                if mix == "sales" and i % 2:
                    events.append({"id": uuid.uuid4(), "stage": "sale", "batches": batch, "occurred_at": when,
                                   "attachments": [],
                                   "data": {"channel": "online" if i % 4 == 1 else "market", "quantity": "1",
                                            "uom": "KGM", "unitPrice": "4.80", "order": f"O{i}"}})
                else:
                    events.append({"id": uuid.uuid4(), "stage": "storage", "batches": batch, "occurred_at": when,
                                   "attachments": [], "data": {"warehouse": "1号冷库"}})
            return events

        record_bulk(session, user, bulk(args.bulk, "sales"), ledger=ledger)  # warm-up: keys, caches
        session.commit()
        kept = pipeline.count_records
        for mix, label in (("storage", "storage records (the ingest benchmark's mix)"),
                           ("sales", "half sales (sealed prices), half storage")):
            rates: dict[str, list[float]] = {"with counters": [], "without counters": []}
            for round_ in range(args.rounds * 2):
                mode = "with counters" if round_ % 2 == 0 else "without counters"
                pipeline.count_records = kept if mode == "with counters" else _no_counters  # type: ignore[assignment]
                payloads = bulk(args.bulk, mix)
                started = time.perf_counter()
                record_bulk(session, user, payloads, ledger=ledger)
                session.commit()
                rates[mode].append(args.bulk / (time.perf_counter() - started))
            pipeline.count_records = kept
            with_, without = statistics.median(rates["with counters"]), statistics.median(rates["without counters"])
            print(f"[{name}] recording {args.rounds} × {args.bulk} {label} per mode, alternating: "
                  f"{with_:,.0f} records/s with counters, {without:,.0f} without (medians of the rounds); "
                  f"cost {100 * (1 - with_ / without):.1f} % (budget ≤ 10 %)")


def _no_counters(*_: Any, **__: Any) -> None:
    """Stand in for ``count_records`` in the rounds recorded without counters."""


def run(name: str, config: Config, args: argparse.Namespace) -> None:
    app = create_app(config)
    with app.app_context():
        from flask_migrate import upgrade

        from trace.services.catalog.catalog import seed_categories

        upgrade(revision="heads")
        seed_categories(db.session)
        db.session.commit()
    if not args.skip_queries:
        measure_queries(name, app, args)
    if not args.skip_recording:
        measure_recording(name, app, args)
    with app.app_context():
        db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", type=int, default=100_000)
    parser.add_argument("--per-batch", type=int, default=10, help="records per batch (registration first)")
    parser.add_argument("--orgs", type=int, default=400)
    parser.add_argument("--samples", type=int, default=30)
    parser.add_argument("--bulk", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--skip-queries", action="store_true")
    parser.add_argument("--skip-recording", action="store_true")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args()
    server = os.environ.get("TRACE_TEST_POSTGRES_URL")
    with tempfile.TemporaryDirectory(prefix="suyuan-bench-stats-") as tmp:
        base = Config(instance_path=Path(tmp), master_key="00" * 32, secret_key="bench")
        if not args.skip_sqlite:
            run("sqlite", base, args)
        if server:
            name = f"suyuan_bench_stats_{os.getpid()}"
            admin = sa.create_engine(server, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            try:
                run("postgresql", base.with_(database_url=sa.make_url(server).set(database=name)
                                             .render_as_string(hide_password=False)), args)
            finally:
                with admin.connect() as conn:
                    conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                admin.dispose()


if __name__ == "__main__":
    main()
