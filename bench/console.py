"""The console at county scale: 100,000 batches and 1,000,000 events (SQLite).

Builds the genealogy of bench/trace_lineage.py (plain rows, bulk INSERTs: signing is measured in
bench/ingest.py), adds console users, then times, through the app's own request handling (Flask's
test client with a signed-in session, so routing, guards, queries and templates all count):

- the producer's batch list (the organization with the most batches), first page;
- a batch's page with its timeline;
- the inspector dashboard;
- a search by part of a product name, and by a trace code (which opens the batch).

Budget (issue 13): each ≤ 100 ms median.

    .venv/bin/python bench/console.py [--events 1000000] [--samples 50]
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the local ``trace``, not the stdlib one
sys.path.insert(0, str(ROOT / "bench"))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from trace_lineage import generate  # noqa: E402

from trace import create_app  # noqa: E402
from trace.config import Config  # noqa: E402
from trace.db import db  # noqa: E402
from trace.extensions import limiter  # noqa: E402
from trace.models import Batch, Organization  # noqa: E402
from trace.services.catalog.catalog import seed_categories  # noqa: E402
from trace.services.organizations.accounts import add_account  # noqa: E402
from trace.services.organizations.organizations import create_organization  # noqa: E402

PASSWORD = "bench password 1234"
BUDGET_MS = 100.0


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def _signed_in(app, username: str):
    client = app.test_client()
    token = _csrf(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": token, "username": username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def _time(client, urls: list[str], expect: int = 200) -> tuple[float, float]:
    times = []
    for i, url in enumerate(urls):
        start = time.perf_counter()
        response = client.get(url)
        elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == expect, (url, response.status_code)
        if i >= 3:  # warm-up
            times.append(elapsed)
    ordered = sorted(times)
    return statistics.median(times), ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=50)
    args = parser.parse_args()
    rng = random.Random(5)
    with tempfile.TemporaryDirectory(prefix="suyuan-bench-console-") as tmp:
        app = create_app(Config(instance_path=Path(tmp), master_key="00" * 32, secret_key="bench",
                                rate_limit_enabled=False))
        with app.app_context():
            upgrade(revision="heads")
            seed_categories(db.session)
            db.session.commit()
            start = time.perf_counter()
            with db.engine.begin() as conn:
                counts = generate(conn, args.events)
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
            print(f"generated {counts['batches']:,} batches and {counts['events']:,} events "
                  f"in {time.perf_counter() - start:.0f} s")
            busiest = db.session.execute(sa.select(Batch.organization_id, sa.func.count()).group_by(
                Batch.organization_id).order_by(sa.func.count().desc()).limit(1)).one()
            producer_org = db.session.get(Organization, busiest[0])
            authority = create_organization(db.session, None, {
                "kind": "authority", "name": "县农业农村局", "contact": {"name": "王五", "phone": "0578-8000000"},
                "region": {"province": "浙江省", "county": "松阳县", "township": "西屏街道"}})
            add_account(db.session, None, producer_org, "bench-producer", "producer", PASSWORD)
            add_account(db.session, None, authority, "bench-inspector", "inspector", PASSWORD)
            db.session.commit()
            codes = list(db.session.scalars(sa.select(Batch.trace_code).where(
                Batch.organization_id == producer_org.id).limit(2000)))
        limiter.enabled = False
        producer = _signed_in(app, "bench-producer")
        inspector = _signed_in(app, "bench-inspector")
        n = args.samples + 3
        rows = [
            ("producer's batch list", producer, ["/console/batches"] * n, 200),
            ("batch page with timeline", producer, [f"/console/batches/{rng.choice(codes)}" for _ in range(n)], 200),
            ("inspector dashboard", inspector, ["/console/dashboard"] * n, 200),
            ("search by product name", inspector, [f"/console/batches?q=product+{rng.randint(1, 220)}"
                                                   for _ in range(n)], 200),
            ("search by trace code", inspector, [f"/console/batches?q={rng.choice(codes)}" for _ in range(n)], 302),
        ]
        print(f"{producer_org.name}: {busiest[1]:,} batches; each figure is {args.samples} requests after 3 warm-up")
        for name, client, urls, status in rows:
            median, p90 = _time(client, urls, status)
            verdict = "OK" if median <= BUDGET_MS else "OVER"
            print(f"{name:28s} median {median:7.1f} ms  p90 {p90:7.1f} ms  (budget {BUDGET_MS:.0f} ms: {verdict})")


if __name__ == "__main__":
    main()
