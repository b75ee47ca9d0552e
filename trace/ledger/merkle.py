"""RFC 9162 Merkle tree: hashes, proofs built from stored subtree hashes, and proof checks.

Proofs are built through a ``node(level, i)`` callback that returns the hash of the
complete, aligned subtree at ``level`` covering leaves ``[i * 2**level, (i + 1) * 2**level)``.
Complete subtrees never change once the log has grown past them, so a store of them (see
``trace.ledger.tiles``) answers proofs for any past tree size without rehashing the log.
The verifiers raise ``ProofError`` with a reason and return ``None`` when a proof holds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

from trace.ledger.errors import ProofError

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeReader = Callable[[int, int], bytes]


def hash_leaf(leaf: bytes) -> bytes:
    """Return the RFC 9162 leaf hash ``SHA-256(0x00 || leaf)``."""
    return hashlib.sha256(b"\x00" + leaf).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash ``SHA-256(0x01 || left || right)``."""
    return hashlib.sha256(b"\x01" + left + right).digest()


class Frontier:
    """The complete subtrees of a growing tree, largest first (a compact range).

    ``push`` adds a leaf hash (one interior hash on average); ``root`` is the tree head at the
    current size (one hash per subtree, at most log2 of the size). The audit uses it to recompute
    the root at every checkpoint's size in one pass over the leaves.
    """

    def __init__(self) -> None:
        self.size = 0
        self.nodes: list[bytes] = []

    def push(self, leaf_hash: bytes) -> None:
        node, carry = leaf_hash, self.size
        while carry & 1:  # like a binary counter: equal subtrees merge
            node = hashlib.sha256(b"\x01" + self.nodes.pop() + node).digest()
            carry >>= 1
        self.nodes.append(node)
        self.size += 1

    def root(self) -> bytes:
        if not self.nodes:
            return EMPTY_ROOT
        node = self.nodes[-1]
        for left in reversed(self.nodes[:-1]):
            node = hash_children(left, node)
        return node


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return the Merkle tree hash of a whole list of leaf hashes (O(n); for tests and audits)."""
    frontier = Frontier()
    for leaf in leaf_hashes:
        frontier.push(leaf)
    return frontier.root()


def _split(n: int) -> int:
    """Return the largest power of two strictly less than ``n`` (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def range_hash(start: int, end: int, node: NodeReader) -> bytes:
    """Return the hash of leaves ``[start, end)`` as RFC 9162 defines it, from complete nodes.

    ``start`` must be a multiple of the smallest power of two >= ``end - start``, which
    holds for every subtree the RFC recursion visits.
    """
    if end <= start:
        raise ProofError(f"empty range [{start}, {end})")
    # The RFC splits off the largest power of two from the left, so the range is a run of
    # complete subtrees of decreasing size; hash them together from the right.
    parts: list[bytes] = []
    pos, remaining = start, end - start
    while remaining:
        level = remaining.bit_length() - 1
        if pos % (1 << level):
            raise ProofError(f"range [{start}, {end}) is not aligned")
        parts.append(node(level, pos >> level))
        pos += 1 << level
        remaining -= 1 << level
    acc = parts.pop()
    while parts:
        acc = hash_children(parts.pop(), acc)
    return acc


def root_from_nodes(size: int, node: NodeReader) -> bytes:
    """Return the tree head hash at ``size`` from complete-subtree hashes."""
    if size < 0:
        raise ProofError("tree size must not be negative")
    return EMPTY_ROOT if size == 0 else range_hash(0, size, node)


def inclusion_proof(index: int, size: int, node: NodeReader) -> list[bytes]:
    """Return the RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size`` leaves."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            path.append(range_hash(start + k, end, node))
            end = start + k
        else:
            path.append(range_hash(start, start + k, node))
            start += k
    # Collected root-side first; the proof runs from the leaf's sibling upwards.
    path.reverse()
    return path


def consistency_proof(old: int, new: int, node: NodeReader) -> list[bytes]:
    """Return the RFC 9162 consistency proof between tree sizes ``old`` and ``new``."""
    if not 0 < old <= new:
        raise ProofError(f"no consistency proof from size {old} to size {new}")
    if old == new:
        return []
    siblings: list[bytes] = []
    start, end = 0, new
    whole_old_tree = True  # the RFC's ``b``: is [start, end) still within the old tree's root?
    while old != end:
        k = _split(end - start)
        if old - start <= k:
            siblings.append(range_hash(start + k, end, node))
            end = start + k
        else:
            siblings.append(range_hash(start, start + k, node))
            start += k
            whole_old_tree = False
    head = [] if whole_old_tree else [range_hash(start, end, node)]
    siblings.reverse()
    return head + siblings


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes, not {HASH_SIZE}")


def root_from_inclusion_proof(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes:
    """Return the root an inclusion proof implies (RFC 9162 section 2.1.3.2)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is outside a tree of size {size}")
    _check_hash(leaf_hash, "leaf hash")
    fn, sn, r = index, size - 1, leaf_hash
    for i, p in enumerate(proof):
        _check_hash(p, f"proof element {i}")
        if sn == 0:
            raise ProofError("inclusion proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            r = hash_children(p, r)
            # Skip the levels where this node is a right-edge node without a sibling.
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = hash_children(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("inclusion proof is shorter than the tree is deep")
    return r


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that ``proof`` shows leaf ``index`` with ``leaf_hash`` in the tree with ``root``."""
    _check_hash(root, "root hash")
    if root_from_inclusion_proof(leaf_hash, index, size, proof) != root:
        raise ProofError("inclusion proof does not lead to the root hash")


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Check that the tree with ``new_root`` extends the tree with ``old_root`` (RFC 9162 2.1.4.2)."""
    if old_size < 0 or new_size < old_size:
        raise ProofError(f"new size {new_size} is smaller than old size {old_size}")
    if old_size == 0:
        # Everything extends the empty tree; such a proof proves nothing, so refuse it.
        raise ProofError("a consistency proof from the empty tree proves nothing")
    if old_size == new_size:
        if proof:
            raise ProofError("sizes are equal but the proof is not empty")
        if old_root != new_root:
            raise ProofError("sizes are equal but the roots differ")
        return
    if not proof:
        raise ProofError("consistency proof is empty")
    _check_hash(old_root, "old root hash")
    _check_hash(new_root, "new root hash")
    for i, p in enumerate(proof):
        _check_hash(p, f"proof element {i}")
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        # The old tree is a complete subtree of the new one: its root starts the path.
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise ProofError("consistency proof is longer than the tree is deep")
        if fn & 1 or fn == sn:
            fr = hash_children(c, fr)
            sr = hash_children(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = hash_children(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("consistency proof is shorter than the tree is deep")
    if fr != old_root:
        raise ProofError("consistency proof does not lead to the old root hash")
    if sr != new_root:
        raise ProofError("consistency proof does not lead to the new root hash")
