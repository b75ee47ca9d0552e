"""Time inclusion and consistency proofs from a 1,000,000-leaf tiled tree.

Run from the repository root: ``.venv/bin/python bench/ledger_proofs.py [--leaves N]``.
Prints median and p99 per proof; the target is an inclusion proof in <= 5 ms at 1M entries.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the local ``trace``, not the stdlib one

from trace.ledger import (  # noqa: E402
    MemoryTileStore,
    append_leaves,
    consistency_proof,
    inclusion_proof,
    root_from_nodes,
    tile_node_reader,
    verify_consistency,
    verify_inclusion,
)


def _timed(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def _summary(name: str, times: list[float]) -> str:
    times = sorted(times)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    median = statistics.median(times)
    return f"{name:<24} median {median:7.3f} ms   p99 {p99:7.3f} ms   max {times[-1]:7.3f} ms  (n={len(times)})"


def main() -> None:
    """Build the tree, then time proofs."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=2000)
    args = parser.parse_args()
    size, rng = args.leaves, random.Random(1)

    start = time.perf_counter()
    leaves = [hashlib.sha256(b"\x00" + i.to_bytes(8, "big")).digest() for i in range(size)]
    store = MemoryTileStore()
    built = 0
    while built < size:  # append in chunks, as a busy log would
        built = append_leaves(store, built, leaves[built : built + 10_000])
    print(f"built {size:,} leaves in {len(store.tiles):,} tiles in {time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    extra = [hashlib.sha256(b"extra" + i.to_bytes(8, "big")).digest() for i in range(1000)]
    grown = size
    for h in extra:
        grown = append_leaves(store, grown, [h])
    per_leaf_ms = (time.perf_counter() - start) * 1000 / len(extra)
    print(f"single-leaf append       mean   {per_leaf_ms:7.3f} ms (n={len(extra)})")

    root = root_from_nodes(size, tile_node_reader(store))
    gc.collect()  # start timing from a quiet heap, as a long-running server would be
    indices = [rng.randrange(size) for _ in range(args.runs)]
    it = iter(indices)
    print(
        _summary("inclusion proof", _timed(lambda: inclusion_proof(next(it), size, tile_node_reader(store)), args.runs))
    )
    for index in indices[:50]:
        verify_inclusion(leaves[index], index, size, inclusion_proof(index, size, tile_node_reader(store)), root)

    olds = [rng.randrange(1, size) for _ in range(args.runs)]
    it = iter(olds)
    print(
        _summary(
            "consistency proof", _timed(lambda: consistency_proof(next(it), size, tile_node_reader(store)), args.runs)
        )
    )
    for old in olds[:20]:
        old_root = root_from_nodes(old, tile_node_reader(store))
        verify_consistency(old, size, old_root, root, consistency_proof(old, size, tile_node_reader(store)))

    def prove_and_verify(index: int) -> None:
        verify_inclusion(leaves[index], index, size, inclusion_proof(index, size, tile_node_reader(store)), root)

    it = iter(indices)
    print(_summary("inclusion prove+verify", _timed(lambda: prove_and_verify(next(it)), args.runs)))
    print("all sampled proofs verified")


if __name__ == "__main__":
    main()
