"""Time 1,000-label PDFs in every layout; the target is <= 5 s each.

Run from the repository root: ``.venv/bin/python bench/labels.py [--labels N] [--repeat R]``.
Two cases a layout: a batch (every label encodes the batch's lookup URL, so one QR symbol
is made) and units (every label has its own Digital Link URL with a serial, N symbols, the
worst case). Caches are cleared before each run, so every time includes making the symbols.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the local ``trace``, not the stdlib one

from trace.codes import pdfdraw, qr  # noqa: E402
from trace.codes.digital_link import digital_link_url  # noqa: E402
from trace.codes.labels import LAYOUTS, LabelInfo, labels_pdf  # noqa: E402
from trace.codes.qr import lookup_url, qr_friendly_url  # noqa: E402
from trace.codes.tracecode import new_trace_code  # noqa: E402

BASE = "https://trace.example.cn"


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


def time_layout(labels: list[LabelInfo], layout: str, repeat: int) -> tuple[float, int]:
    """Return the median seconds to render labels in layout, and the PDF's size."""
    times, size = [], 0
    for _ in range(repeat):
        qr._cached_symbol.cache_clear()  # noqa: SLF001 - time the symbols too
        pdfdraw._module_path.cache_clear()  # noqa: SLF001
        start = time.perf_counter()
        size = len(labels_pdf(labels, layout))
        times.append(time.perf_counter() - start)
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--labels", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for units in (False, True):
        labels = make_labels(args.labels, units)
        case = "units (one URL each)" if units else "batch (one URL)"
        for layout in LAYOUTS:
            seconds, size = time_layout(labels, layout, args.repeat)
            print(f"{layout:14} {case:21} {args.labels} labels  {seconds:6.2f} s  {size / 1e6:5.2f} MB")


if __name__ == "__main__":
    main()
