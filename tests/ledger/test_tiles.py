"""The tiled hash store: appends in any chunking give the same tiles, reading only the right edge."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trace.ledger import MemoryTileStore, TileError, append_leaves, node_from_tiles, root_hash
from trace.ledger.tiles import TILE_WIDTH, TileKey, tile_updates, tiles_for_leaves

from .helpers import leaf_hashes

LEAVES = leaf_hashes(1500)


class RecordingStore(MemoryTileStore):
    """A memory store that remembers which tiles were read."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: list[TileKey] = []

    def read_tile(self, level: int, index: int) -> bytes | None:
        self.reads.append((level, index))
        return super().read_tile(level, index)


def _append_in_chunks(leaves: list[bytes], chunks: list[int]) -> MemoryTileStore:
    store = MemoryTileStore()
    size = 0
    for n in chunks:
        size = append_leaves(store, size, leaves[size : size + n])
    if size < len(leaves):
        size = append_leaves(store, size, leaves[size:])
    assert size == len(leaves)
    return store


@settings(max_examples=60, database=None, deadline=None)
@given(total=st.integers(0, 1500), chunks=st.lists(st.integers(0, 400), max_size=20))
def test_chunked_appends_give_the_same_tiles(total: int, chunks: list[int]) -> None:
    leaves = LEAVES[:total]
    assert _append_in_chunks(leaves, chunks).tiles == tiles_for_leaves(leaves).tiles


def test_tile_layout() -> None:
    store = tiles_for_leaves(LEAVES[:600])
    assert set(store.tiles) == {(0, 0), (0, 1), (0, 2), (1, 0)}
    assert store.tiles[(0, 0)] == b"".join(LEAVES[:256])
    assert store.tiles[(0, 2)] == b"".join(LEAVES[512:600])  # partial right-edge tile
    # The level-1 tile holds the roots of the two complete 256-leaf subtrees.
    assert store.tiles[(1, 0)] == root_hash(LEAVES[:256]) + root_hash(LEAVES[256:512])


def test_level_two_tiles_after_65536_leaves() -> None:
    leaves = leaf_hashes(TILE_WIDTH**2 + 300, salt=b"big")
    store = _append_in_chunks(leaves, [1, 70_000 // 3, 255, 30_000])
    assert store.tiles == tiles_for_leaves(leaves).tiles
    assert store.tiles[(2, 0)] == root_hash(leaves[: TILE_WIDTH**2])
    assert node_from_tiles(store, 16, 0) == root_hash(leaves[: TILE_WIDTH**2])
    assert node_from_tiles(store, 9, 1) == root_hash(leaves[512:1024])


@settings(max_examples=40, database=None, deadline=None)
@given(size=st.integers(0, 1400), extra=st.integers(1, 100))
def test_append_reads_only_right_edge_tiles(size: int, extra: int) -> None:
    store = RecordingStore()
    store.write_tiles(tiles_for_leaves(LEAVES[:size]).tiles)
    append_leaves(store, size, LEAVES[size : size + extra])
    right_edge = {(level, (size >> (8 * level)) // TILE_WIDTH) for level in range(3)}
    assert set(store.reads) <= right_edge
    assert len(store.reads) == len(set(store.reads))


def test_append_returns_changed_tiles_only() -> None:
    store = tiles_for_leaves(LEAVES[:600])
    updates = tile_updates(store, 600, LEAVES[600:610])
    assert set(updates) == {(0, 2)}
    assert updates[(0, 2)] == b"".join(LEAVES[512:610])


def test_every_node_matches_the_plain_tree() -> None:
    size = 1100
    store = tiles_for_leaves(LEAVES[:size])
    for level in range(11):
        width = 1 << level
        for i in range(size // width):
            assert node_from_tiles(store, level, i) == root_hash(LEAVES[i * width : (i + 1) * width]), (level, i)


def test_missing_nodes_raise() -> None:
    store = tiles_for_leaves(LEAVES[:300])
    with pytest.raises(TileError):
        node_from_tiles(store, 0, 300)  # leaf not yet appended
    with pytest.raises(TileError):
        node_from_tiles(store, 9, 0)  # 512-leaf subtree incomplete
    with pytest.raises(TileError):
        node_from_tiles(store, -1, 0)


def test_append_with_wrong_size_raises() -> None:
    store = tiles_for_leaves(LEAVES[:300])
    with pytest.raises(TileError, match=r"tile \(0, 1\) should hold 45 hashes"):
        append_leaves(store, 301, LEAVES[301:302])
    with pytest.raises(TileError, match="missing"):
        append_leaves(MemoryTileStore(), 10, LEAVES[10:11])
    with pytest.raises(TileError, match="not 32"):
        append_leaves(store, 300, [b"short"])
