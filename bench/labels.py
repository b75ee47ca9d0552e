"""Time 1,000-label PDFs in every layout; the target is <= 5 s each.

Run from the repository root: ``.venv/bin/python bench/labels.py [--labels N] [--repeat R]``.
Through the endpoint (``GET /api/v1/batches/<code>/labels.pdf`` in the app, on a temporary
SQLite instance: token check, batch query, labels, PDF), for ``count=N`` labels of the batch and
for a run of N unit serials (``run=<id>``); then the drawing code alone, for a batch (every
label encodes the batch's URL, so one QR symbol is made) and for units (every label has its own
Digital Link URL with a serial, N symbols, the worst case). Caches are cleared before each run,
so every time includes making the symbols.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the local ``trace``, not the stdlib one

from trace.codes import pdfdraw, qr  # noqa: E402
from trace.codes.digital_link import digital_link_url  # noqa: E402
from trace.codes.labels import LAYOUTS, LabelInfo, labels_pdf  # noqa: E402
from trace.codes.qr import lookup_url, qr_friendly_url  # noqa: E402
from trace.codes.tracecode import new_trace_code  # noqa: E402

BASE = "https://trace.example.cn"
BUDGET_S = 5.0  # DESIGN.md §10: a 1,000-label PDF


def make_labels(count: int, units: bool) -> list[LabelInfo]:
    """Return count labels of one batch, each with its own serial if units."""
    code = new_trace_code()
    labels = []
    for _ in range(count):
        serial = new_trace_code() if units else None
        url = (
            qr_friendly_url(digital_link_url(BASE, "06901234567892", "2024-09-A", serial))
            if units
            else lookup_url(BASE, code)
        )
        labels.append(
            LabelInfo(
                url=url,
                product_name="五常有机稻花香大米（一级）礼盒装 5kg",
                trace_code=code,
                lot="2024-09-A",
                date="2024-09-28",
                producer_name="黑龙江省五常市稻香农业专业合作社",
                serial=serial,
            )
        )
    return labels


def timed(make: Callable[[], bytes], repeat: int) -> tuple[float, int]:
    """Return the median seconds make() takes with cold QR caches, and the size of what it made."""
    times, size = [], 0
    for _ in range(repeat):
        qr._cached_symbol.cache_clear()  # noqa: SLF001 - time the symbols too
        pdfdraw._module_path.cache_clear()  # noqa: SLF001
        start = time.perf_counter()
        size = len(make())
        times.append(time.perf_counter() - start)
    return statistics.median(times), size


def time_layout(labels: list[LabelInfo], layout: str, repeat: int) -> tuple[float, int]:
    """Return the median seconds to render labels in layout, and the PDF's size."""
    return timed(lambda: labels_pdf(labels, layout), repeat)


def time_endpoint(count: int, repeat: int) -> None:
    """Time GET labels.pdf for count labels in every layout on a temporary SQLite instance."""
    from flask_migrate import upgrade

    from trace import create_app
    from trace.config import Config
    from trace.db import db
    from trace.services.catalog.catalog import create_product, seed_categories
    from trace.services.organizations.organizations import add_member, create_organization, issue_token
    from trace.services.printing.labels import issue_labels
    from trace.services.records.batches import register_batch

    with tempfile.TemporaryDirectory(prefix="suyuan-bench-labels-") as tmp:
        app = create_app(Config(instance_path=Path(tmp), public_url=BASE, master_key="11" * 32, secret_key="bench"))
        with app.app_context():
            upgrade(revision="heads")
            seed_categories(db.session)
            ledger = app.extensions["trace.ledger"]
            org = create_organization(db.session, None, {
                "kind": "cooperative", "name": "黑龙江省五常市稻香农业专业合作社",
                "region": {"province": "黑龙江省", "county": "五常市"}})
            user = add_member(db.session, None, org, "printer", "producer")
            _, token = issue_token(db.session, None, user, "bench")
            product = create_product(db.session, user, {"category": "grain_oil", "gtin": "06901234567892",
                                                        "name": "五常有机稻花香大米（一级）礼盒装 5kg"}, ledger=ledger)
            batch = register_batch(db.session, user, {"product": product.id, "lot": "2024-09-A",
                                                      "quantity": Decimal(1000), "uom": "KGM"}, ledger=ledger)
            code = batch.trace_code
            run_id = issue_labels(db.session, user, batch, count)[0].id
            db.session.commit()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}

        def get(query: str) -> bytes:
            response = client.get(f"/api/v1/batches/{code}/labels.pdf?{query}", headers=headers)
            assert response.status_code == 200, response.get_data(as_text=True)
            return response.data

        for layout in LAYOUTS:
            for case, query in (("endpoint: batch", f"layout={layout}&count={count}"),
                                ("endpoint: unit run", f"layout={layout}&run={run_id}")):
                seconds, size = timed(lambda query=query: get(query), repeat)
                verdict = "ok" if seconds <= BUDGET_S else f"OVER the {BUDGET_S:.0f} s budget"
                print(f"{layout:14} {case:21} {count} labels  {seconds:6.2f} s  {size / 1e6:5.2f} MB", verdict)
        with app.app_context():
            db.engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    time_endpoint(args.labels, args.repeat)
    for units in (False, True):
        labels = make_labels(args.labels, units)
        case = "units (one URL each)" if units else "batch (one URL)"
        for layout in LAYOUTS:
            seconds, size = time_layout(labels, layout, args.repeat)
            print(f"{layout:14} {case:21} {args.labels} labels  {seconds:6.2f} s  {size / 1e6:5.2f} MB")


if __name__ == "__main__":
    main()
