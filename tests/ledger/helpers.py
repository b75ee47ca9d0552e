"""Factories for ledger tests: keys, records, and a small in-memory log that issues bundles."""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import strategies as st

from trace.ledger import (
    MemoryTileStore,
    append_leaves,
    build_bundle,
    bundle_entry,
    device_view,
    format_checkpoint,
    generate_private_key,
    hash_leaf,
    inclusion_proof,
    key_id,
    leaf_bytes,
    private_key_from_raw,
    public_raw,
    root_from_nodes,
    sign_note,
    sign_record,
    signature_entry,
    tile_node_reader,
    vkey,
)

ORIGIN = "trace.test.example/log"
ORG = "91330100MA27XL0E2X"


def leaf_hashes(n: int, salt: bytes = b"") -> list[bytes]:
    """Return ``n`` distinct leaf hashes."""
    return [hash_leaf(salt + i.to_bytes(8, "big")) for i in range(n)]


def make_record(**overrides: Any) -> dict[str, Any]:
    """Return a valid record; keyword arguments replace fields."""
    record: dict[str, Any] = {
        "v": 1,
        "id": str(uuid.uuid4()),
        "stage": "harvest",
        "bizStep": "urn:epcglobal:cbv:bizstep:harvesting",
        "batches": ["B-0001"],
        "occurredAt": "2024-05-01T08:00:00+08:00",
        "recordedAt": "2024-05-01T08:05:00+08:00",
        "org": ORG,
        "actor": "user:42",
        "location": "urn:epc:id:sgln:6901234.00001.0",
        "data": {"weightKg": "120.50", "field": "east-3"},
        "attachments": [],
        "prev": {"B-0001": None},
    }
    record.update(overrides)
    return record


@dataclass
class SigningKey:
    """A private key with its C2SP name."""

    name: str
    private: Ed25519PrivateKey
    role: str

    @property
    def key_id(self) -> str:
        return key_id(self.name, public_raw(self.private))

    def sign(self, record: dict[str, Any]) -> dict[str, str]:
        """Return the leaf signature entry for a record (device keys sign the device view)."""
        signed = device_view(record) if self.role == "device" else record
        return signature_entry(self.key_id, sign_record(self.private, signed))


@dataclass
class FakeLog:
    """A whole log in memory: keys, leaves in a tile store, batch heads and checkpoints."""

    origin: str = ORIGIN
    log_key: Ed25519PrivateKey = field(default_factory=generate_private_key)
    store: MemoryTileStore = field(default_factory=MemoryTileStore)
    leaves: list[bytes] = field(default_factory=list)
    keys: list[dict[str, Any]] = field(default_factory=list)
    heads: dict[str, str | None] = field(default_factory=dict)

    @property
    def log_vkey(self) -> str:
        return vkey(self.origin, public_raw(self.log_key))

    @property
    def log_signer(self) -> SigningKey:
        return SigningKey(self.origin, self.log_key, "log")

    def add_key(
        self,
        name: str,
        role: str = "organization",
        org: str | None = ORG,
        created_at: str = "2024-01-01T00:00:00+08:00",
        revoked_at: str | None = None,
    ) -> SigningKey:
        """Create a key and list it as the keys endpoint would."""
        private = generate_private_key()
        self.keys.append(
            {
                "name": name,
                "vkey": vkey(name, public_raw(private)),
                "role": role,
                "org": org,
                "createdAt": created_at,
                "revokedAt": revoked_at,
            }
        )
        return SigningKey(name, private, role)

    def record(self, codes: tuple[str, ...] = ("B-0001",), **overrides: Any) -> dict[str, Any]:
        """Return a record touching ``codes`` with ``prev`` linked to the current batch heads."""
        fields: dict[str, Any] = {"batches": list(codes), "prev": {c: self.heads.get(c) for c in codes}}
        fields.update(overrides)
        return make_record(**fields)

    def append(
        self, record: dict[str, Any], signers: list[SigningKey], signatures: list[dict[str, str]] | None = None
    ) -> int:
        """Sign and log a record; return its index."""
        sigs = [s.sign(record) for s in signers] if signatures is None else signatures
        leaf = leaf_bytes(record, sigs)
        index = len(self.leaves)
        self.leaves.append(leaf)
        append_leaves(self.store, index, [hash_leaf(leaf)])
        for code in record.get("prev", {}):
            self.heads[code] = hash_leaf(leaf).hex()
        return index

    def checkpoint(self, size: int | None = None, key: Ed25519PrivateKey | None = None) -> str:
        """Return the signed checkpoint note at ``size`` (default: now)."""
        size = len(self.leaves) if size is None else size
        root = root_from_nodes(size, tile_node_reader(self.store))
        return sign_note(format_checkpoint(self.origin, size, root), self.origin, key or self.log_key)

    def proof(self, index: int, size: int | None = None) -> list[bytes]:
        size = len(self.leaves) if size is None else size
        return inclusion_proof(index, size, tile_node_reader(self.store))

    def bundle(self, indices: list[int] | None = None, batches: list[str] | None = None) -> dict[str, Any]:
        """Return an audit bundle of the given entries (default: all) at the current size."""
        indices = list(range(len(self.leaves))) if indices is None else indices
        entries = [bundle_entry(i, self.leaves[i], self.proof(i)) for i in indices]
        return build_bundle(self.origin, self.checkpoint(), self.keys, entries, batches)


def flip_bit(data: bytes, bit: int = 0) -> bytes:
    """Return ``data`` with one bit flipped."""
    out = bytearray(data)
    out[bit // 8 % len(out)] ^= 1 << (bit % 8)
    return bytes(out)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


PETER_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"


PETER_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"


def peter_private() -> Ed25519PrivateKey:
    seed = base64.b64decode(PETER_SKEY.split("+", 4)[4])
    assert seed[0] == 0x01
    return private_key_from_raw(seed[1:])


# JSON values as records hold them (no floats, integers within ±(2^53 − 1)), for property tests.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**53) + 1, max_value=2**53 - 1) | st.text(),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5),
    max_leaves=30,
)
