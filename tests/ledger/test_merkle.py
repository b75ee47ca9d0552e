"""The Merkle tree against a literal transcription of RFC 9162's recursive definitions."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trace.ledger import (
    EMPTY_ROOT,
    ProofError,
    consistency_proof,
    hash_children,
    hash_leaf,
    inclusion_proof,
    root_from_nodes,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from trace.ledger.tiles import tile_node_reader, tiles_for_leaves

from .helpers import flip_bit, leaf_hashes

MAX = 600
LEAVES = leaf_hashes(MAX)
STORE = tiles_for_leaves(LEAVES)  # proofs at every smaller size come from this one store
SETTINGS = settings(max_examples=300, database=None, deadline=None)


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: Sequence[bytes]) -> bytes:
    """MTH from RFC 9162 section 2.1.1, over leaf hashes."""
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = _k(len(d))
    return hash_children(ref_mth(d[:k]), ref_mth(d[k:]))


def ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) from RFC 9162 section 2.1.3.1."""
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b) from RFC 9162 section 2.1.4.1."""
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


def test_hashes_use_rfc_domain_separation() -> None:
    assert hash_leaf(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert hash_children(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    assert root_hash([]) == EMPTY_ROOT == hashlib.sha256(b"").digest()


@SETTINGS
@given(size=st.integers(0, MAX))
def test_roots_agree(size: int) -> None:
    expected = ref_mth(LEAVES[:size])
    assert root_hash(LEAVES[:size]) == expected
    assert root_from_nodes(size, tile_node_reader(STORE)) == expected


@SETTINGS
@given(data=st.data(), size=st.integers(1, MAX))
def test_inclusion_proofs_from_tiles_verify(data: st.DataObject, size: int) -> None:
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, tile_node_reader(STORE))
    assert proof == ref_path(index, LEAVES[:size])
    root = root_hash(LEAVES[:size])
    assert verify_inclusion(LEAVES[index], index, size, proof, root) is None
    if proof:
        bad = list(proof)
        i = data.draw(st.integers(0, len(bad) - 1))
        bad[i] = flip_bit(bad[i], data.draw(st.integers(0, 255)))
        with pytest.raises(ProofError):
            verify_inclusion(LEAVES[index], index, size, bad, root)
    other = (index + 1) % size
    if other != index:
        with pytest.raises(ProofError):
            verify_inclusion(LEAVES[index], other, size, proof, root)


@SETTINGS
@given(size=st.integers(1, 300), data=st.data())
def test_inclusion_from_a_store_of_exact_size(size: int, data: st.DataObject) -> None:
    leaves = leaf_hashes(size, salt=b"exact")
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, tile_node_reader(tiles_for_leaves(leaves)))
    assert verify_inclusion(leaves[index], index, size, proof, root_hash(leaves)) is None


@SETTINGS
@given(data=st.data(), new=st.integers(1, MAX))
def test_consistency_proofs_from_tiles_verify(data: st.DataObject, new: int) -> None:
    old = data.draw(st.integers(1, new))
    proof = consistency_proof(old, new, tile_node_reader(STORE))
    assert proof == ref_subproof(old, LEAVES[:new], True)
    old_root, new_root = root_hash(LEAVES[:old]), root_hash(LEAVES[:new])
    assert verify_consistency(old, new, old_root, new_root, proof) is None
    if old < new:
        with pytest.raises(ProofError):
            verify_consistency(old, new, flip_bit(old_root), new_root, proof)
        with pytest.raises(ProofError):
            verify_consistency(old, new, old_root, flip_bit(new_root), proof)
        i = data.draw(st.integers(0, len(proof) - 1))
        bad = list(proof)
        bad[i] = flip_bit(bad[i], data.draw(st.integers(0, 255)))
        with pytest.raises(ProofError):
            verify_consistency(old, new, old_root, new_root, bad)


@pytest.mark.parametrize(("index", "size"), [(-1, 5), (5, 5), (0, 0)])
def test_inclusion_proof_rejects_out_of_range(index: int, size: int) -> None:
    with pytest.raises(ProofError, match="outside"):
        inclusion_proof(index, size, tile_node_reader(STORE))


@pytest.mark.parametrize(("old", "new"), [(0, 5), (6, 5), (-1, 3)])
def test_consistency_proof_rejects_bad_sizes(old: int, new: int) -> None:
    with pytest.raises(ProofError, match="no consistency proof"):
        consistency_proof(old, new, tile_node_reader(STORE))


def test_proofs_read_only_logarithmically_many_nodes() -> None:
    calls: list[tuple[int, int]] = []
    node = tile_node_reader(STORE)

    def counting(level: int, i: int) -> bytes:
        calls.append((level, i))
        return node(level, i)

    inclusion_proof(300, 599, counting)
    assert 0 < len(calls) <= 2 * 10
    calls.clear()
    consistency_proof(299, 599, counting)
    assert 0 < len(calls) <= 3 * 10


def _mth(leaves: list[bytes]) -> bytes:
    """RFC 9162 section 2.1.1, written out as the recursion it states."""
    import hashlib

    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return hashlib.sha256(b"\x01" + _mth(leaves[:k]) + _mth(leaves[k:])).digest()


def test_the_frontier_gives_the_root_at_every_size() -> None:
    import hashlib

    from trace.ledger import Frontier

    leaves = [hashlib.sha256(bytes([i % 256, i // 256])).digest() for i in range(300)]
    frontier = Frontier()
    assert frontier.root() == _mth([])
    for size, leaf in enumerate(leaves, start=1):
        frontier.push(leaf)
        assert frontier.size == size
        assert frontier.root() == _mth(leaves[:size]), size
