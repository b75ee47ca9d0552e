"""What who-vouches costs the page's verdict: results through lineage on the demo county's products.

Run from the repository root::

    .venv/bin/python bench/quality.py [--samples 200]

Loads the demo county into a temporary SQLite database, then for the pressed oil (a merge of two
rapeseed fields, one tested on request, one 自检), the packed tea (processed from a leaf tested on
request) and the sorted kiwi (split from a batch with a supervisory sample) times, in process:
``batch_quality`` (the sources' results, requests and samples, recalls: what this work added) and
``page_verdict`` uncached (signatures, inclusion proofs, facts and who vouches: what a page pays on
a cache miss). Lookup pages are cached per batch, language and log state (bench/lookup.py), so
this is paid once per append, not per scan. Medians and p90 in milliseconds.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the local ``trace``, not the stdlib one

import sqlalchemy as sa  # noqa: E402

from trace import create_app  # noqa: E402
from trace.config import Config  # noqa: E402
from trace.db import db  # noqa: E402
from trace.models import Batch  # noqa: E402
from trace.services.audit.verification import page_verdict  # noqa: E402
from trace.services.quality.results import batch_quality  # noqa: E402
from trace.services.records.batches import batch_events  # noqa: E402

LOTS = {"pressed oil (merge)": "OIL2026-07", "packed tea (processing)": "T2026-041P",
        "kiwi grade A (split)": "K2026-009A"}


def _times(call: Callable[[], Any], samples: int) -> tuple[float, float]:
    taken = []
    for _ in range(samples):
        start = time.perf_counter()
        call()
        taken.append((time.perf_counter() - start) * 1000)
    taken.sort()
    return statistics.median(taken), taken[int(0.9 * (len(taken) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="suyuan-bench-") as tmp:
        app = create_app(Config(instance_path=Path(tmp), master_key="00" * 32, secret_key="bench"))
        with app.app_context():
            from flask_migrate import upgrade

            from trace.demo import load_demo

            upgrade(revision="heads")
            ledger = app.extensions["trace.ledger"]
            load_demo(db.session, ledger)
            db.session.commit()
            session = db.session()
            for name, lot in LOTS.items():
                batch = session.scalar(sa.select(Batch).where(Batch.lot == lot))
                events = batch_events(session, batch)
                quality = batch_quality(session, batch)
                q_median, q_p90 = _times(lambda b=batch: batch_quality(session, b), args.samples)
                v_median, v_p90 = _times(lambda b=batch, e=events: page_verdict(session, ledger, b, e),
                                         max(20, args.samples // 4))
                print(f"{name}: {len(events)} own records, {len(quality.results)} results "
                      f"({sum(r.source for r in quality.results)} of sources); batch_quality median "
                      f"{q_median:.2f} ms (p90 {q_p90:.2f}); page_verdict uncached median {v_median:.1f} ms "
                      f"(p90 {v_p90:.1f})")
            db.engine.dispose()


if __name__ == "__main__":
    main()
