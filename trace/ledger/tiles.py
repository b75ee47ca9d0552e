"""Tiled storage of the Merkle tree's complete subtree hashes, after C2SP tlog-tiles.

Tiles have height 8: tile level ``L`` holds the hashes of tree level ``8 * L`` in runs of
256. Tile ``(L, N)`` holds those nodes with indices ``[N * 256, N * 256 + w)``, as ``w``
concatenated 32-byte hashes; only the rightmost tile of a level is partial (``w < 256``).
Every node of a tree level between two tile levels is hashed up from at most 128 hashes
of the tile below, so any ``node(level, i)`` costs one tile read.

Appending reads only the right-edge tile of each level and rewrites only the tiles that
changed; complete tiles are never rewritten.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from trace.ledger.errors import TileError
from trace.ledger.merkle import HASH_SIZE, NodeReader, hash_children

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
TILE_BYTES = TILE_WIDTH * HASH_SIZE

TileKey = tuple[int, int]


class TileStore(Protocol):
    """Where tiles live: a database table in the service, a dict in tests and audits."""

    def read_tile(self, level: int, index: int) -> bytes | None:
        """Return the tile's bytes, or ``None`` if it was never written."""

    def write_tiles(self, tiles: dict[TileKey, bytes]) -> None:
        """Store every given tile, replacing older (shorter) versions."""


class MemoryTileStore:
    """A ``TileStore`` held in a dict."""

    def __init__(self) -> None:
        self.tiles: dict[TileKey, bytes] = {}

    def read_tile(self, level: int, index: int) -> bytes | None:
        """Return the tile's bytes, or ``None`` if it was never written."""
        return self.tiles.get((level, index))

    def write_tiles(self, tiles: dict[TileKey, bytes]) -> None:
        """Store every given tile."""
        self.tiles.update(tiles)


def _hash_up(hashes: bytes) -> bytes:
    """Return the root of a complete subtree from its ``2**k`` concatenated bottom hashes."""
    level = [hashes[i : i + HASH_SIZE] for i in range(0, len(hashes), HASH_SIZE)]
    while len(level) > 1:
        level = [hash_children(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


def tile_updates(store: TileStore, size_before: int, leaf_hashes: Sequence[bytes]) -> dict[TileKey, bytes]:
    """Return every tile that changes when ``leaf_hashes`` are appended to a tree of ``size_before``."""
    if size_before < 0:
        raise TileError("tree size must not be negative")
    updates: dict[TileKey, bytes] = {}
    level = 0
    new_nodes = list(leaf_hashes)
    for i, h in enumerate(new_nodes):
        if len(h) != HASH_SIZE:
            raise TileError(f"leaf hash {i} is {len(h)} bytes, not {HASH_SIZE}")
    count_before = size_before  # complete nodes at this tile level before the append
    while new_nodes:
        tile_index, width = divmod(count_before, TILE_WIDTH)
        buf = bytearray()
        if width:
            existing = store.read_tile(level, tile_index)
            if existing is None or len(existing) != width * HASH_SIZE:
                have = "missing" if existing is None else f"{len(existing) // HASH_SIZE} hashes"
                raise TileError(
                    f"tile ({level}, {tile_index}) should hold {width} hashes at size {size_before}, but is {have}"
                )
            buf += existing
        parents: list[bytes] = []  # new complete nodes one tile level up
        pos = 0
        while pos < len(new_nodes):
            take = min(TILE_WIDTH - len(buf) // HASH_SIZE, len(new_nodes) - pos)
            buf += b"".join(new_nodes[pos : pos + take])
            pos += take
            updates[(level, tile_index)] = bytes(buf)
            if len(buf) == TILE_BYTES:
                parents.append(_hash_up(bytes(buf)))
                tile_index += 1
                buf = bytearray()
        new_nodes = parents
        count_before >>= TILE_HEIGHT
        level += 1
    return updates


def append_leaves(store: TileStore, size_before: int, leaf_hashes: Sequence[bytes]) -> int:
    """Append leaf hashes to the tree in ``store``; write the changed tiles; return the new size."""
    updates = tile_updates(store, size_before, leaf_hashes)
    if updates:
        store.write_tiles(updates)
    return size_before + len(leaf_hashes)


def _node_from_tile(tile: bytes | None, level: int, index: int) -> bytes:
    tile_level, sub = divmod(level, TILE_HEIGHT)
    first = index << sub  # first node of tree level 8 * tile_level under this node
    offset = (first % TILE_WIDTH) * HASH_SIZE
    length = (1 << sub) * HASH_SIZE
    if tile is None or len(tile) < offset + length:
        raise TileError(f"node ({level}, {index}) is not in the tile store")
    if sub == 0:
        return tile[offset : offset + HASH_SIZE]
    return _hash_up(tile[offset : offset + length])


def tile_for_node(level: int, index: int) -> TileKey:
    """Return the key of the tile that holds the hashes node ``(level, index)`` is built from."""
    tile_level, sub = divmod(level, TILE_HEIGHT)
    return tile_level, (index << sub) // TILE_WIDTH


def node_from_tiles(store: TileStore, level: int, index: int) -> bytes:
    """Return the hash of the complete subtree ``(level, index)`` from the tile store."""
    if level < 0 or index < 0:
        raise TileError(f"no node ({level}, {index})")
    return _node_from_tile(store.read_tile(*tile_for_node(level, index)), level, index)


def tile_node_reader(store: TileStore) -> NodeReader:
    """Return a ``node(level, i)`` callback that reads each tile at most once.

    Use a fresh reader per proof: it caches tiles, and right-edge tiles grow.
    """
    cache: dict[TileKey, bytes | None] = {}

    def node(level: int, index: int) -> bytes:
        if level < 0 or index < 0:
            raise TileError(f"no node ({level}, {index})")
        key = tile_for_node(level, index)
        if key not in cache:
            cache[key] = store.read_tile(*key)
        return _node_from_tile(cache[key], level, index)

    return node


def tiles_for_leaves(leaf_hashes: Iterable[bytes]) -> MemoryTileStore:
    """Return a memory tile store holding a tree of the given leaf hashes."""
    store = MemoryTileStore()
    append_leaves(store, 0, list(leaf_hashes))
    return store
