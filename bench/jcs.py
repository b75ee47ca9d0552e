"""Canonical JSON (RFC 8785) speed: ``ledger.canonical`` against the reference rfc8785, and signing.

Times, on one core, ``trace.ledger.canonical`` for a storage record shaped like the ones
bench/ingest.py records (its leaf's record), for a transformation with inputs and outputs, and
for a record whose data holds a float (which takes the reference path), then ``rfc8785.dumps``
on the same values, and ``ledger.sign_record`` (JCS + Ed25519: bench/ingest.py's raw baseline).
Every figure is the best of ``--repeat`` rounds of ``--number`` calls.

Run it in two checkouts in the same session to compare implementations:

    .venv/bin/python bench/jcs.py [--number 20000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the local ``trace``, not the stdlib one

import rfc8785  # noqa: E402

from trace import ledger  # noqa: E402

WHEN = "2026-12-02T05:00:00.123456Z"
STORAGE = {
    "v": 1, "id": "0a6f4c1e-6a0b-4d51-9c3e-4b8f0a1d2c3e", "stage": "storage", "bizStep": "storing",
    "batches": ["7KQ2M9RT4XBHC"], "occurredAt": WHEN, "recordedAt": "2026-12-02T06:00:01.654321Z",
    "org": "1", "actor": "user:1", "attachments": [],
    "data": {"warehouse": "1号冷库", "temperatures": [{"time": WHEN, "celsius": "3.5"}]},
    "prev": {"7KQ2M9RT4XBHC": "ab" * 32},
}
TRANSFORMATION = {
    **STORAGE, "stage": "processing", "bizStep": "commissioning", "batches": [],
    "inputs": [{"batch": f"7KQ2M9RT4XBH{c}", "quantity": "250.5", "uom": "KGM"} for c in "CDEF"],
    "outputs": [{"batch": f"9ZQ2M9RT4XBH{c}", "quantity": "120", "uom": "KGM"} for c in "GH"],
    "data": {"process": "碾米", "line": "2号线", "notes": "抛光两遍，色选一遍", "operator": "张三"},
    "location": {"name": "五常市稻香合作社加工厂", "gln": "6901234000017"},
    "prev": {f"7KQ2M9RT4XBH{c}": "cd" * 32 for c in "CDEF"},
}
FLOAT = {**STORAGE, "data": {"warehouse": "1号冷库", "celsius": 3.5}}


def best_us(call: object, number: int, repeat: int) -> float:
    """Return the best time of one call, in microseconds."""
    return min(timeit.repeat(call, number=number, repeat=repeat)) / number * 1e6  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--number", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    key = ledger.generate_private_key()
    print(f"{'value':32} {'canonical':>11} {'rfc8785':>11} {'sign_record':>12}")
    for name, value in (("storage record (ingest)", STORAGE), ("transformation record", TRANSFORMATION),
                        ("record with a float", FLOAT)):
        assert ledger.canonical(value) == rfc8785.dumps(value)
        ours = best_us(lambda value=value: ledger.canonical(value), args.number, args.repeat)
        reference = best_us(lambda value=value: rfc8785.dumps(value), args.number // 5, args.repeat)
        signing = best_us(lambda value=value: ledger.sign_record(key, value), args.number // 5, args.repeat)
        print(f"{name:32} {ours:8.2f} µs {reference:8.2f} µs {signing:9.2f} µs")


if __name__ == "__main__":
    main()
