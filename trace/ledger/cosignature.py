"""Witness cosignatures (c2sp.org/tlog-cosignature, Ed25519 type) and tlog-witness request bodies.

A cosignature is a signed-note signature line over ``cosignature/v1``, ``time <T>`` and the
checkpoint text; its key id uses signature type 0x04, so a log verifier (type 0x01) never
mistakes it for a log signature, and the other way round.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trace.ledger.b64 import b64decode_strict, b64encode
from trace.ledger.errors import KeyFormatError, NoteError
from trace.ledger.keys import check_key_name, public_raw, verify_message
from trace.ledger.merkle import HASH_SIZE
from trace.ledger.note import SIGNATURE_DASH, split_note

COSIGNATURE_TYPE = 0x04
COSIGNATURE_HEADER = "cosignature/v1\n"
MAX_PROOF_LINES = 63
_OLD = re.compile(r"old (0|[1-9][0-9]*)")
_HEX8 = re.compile(r"[0-9a-f]{8}")


def _key_hash(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([COSIGNATURE_TYPE]) + public).digest()[:4]


@dataclass(frozen=True)
class WitnessKey:
    """A witness's Ed25519 cosigning key: name, 4-byte key hash, raw public key."""

    name: str
    key_hash: bytes
    public_raw: bytes

    @property
    def vkey(self) -> str:
        """Return the key in C2SP verifier-key form with signature type 0x04."""
        return witness_vkey(self.name, self.public_raw)


def witness_vkey(name: str, public: bytes) -> str:
    """Return ``name+hex(key hash)+base64(0x04 || public key)``."""
    check_key_name(name)
    if len(public) != 32:
        raise KeyFormatError(f"an Ed25519 public key is 32 bytes, got {len(public)}")
    return f"{name}+{_key_hash(name, public).hex()}+{b64encode(bytes([COSIGNATURE_TYPE]) + public)}"


def parse_witness_vkey(text: str) -> WitnessKey:
    """Parse a witness verifier key (Ed25519 cosignature, type 0x04)."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise KeyFormatError("witness key must be name+hash+key")
    name, hash_hex, material = parts
    check_key_name(name)
    if not _HEX8.fullmatch(hash_hex):
        raise KeyFormatError("witness key hash must be 8 lowercase hex digits")
    raw = b64decode_strict(material, KeyFormatError, "witness key material")
    if len(raw) != 33 or raw[0] != COSIGNATURE_TYPE:
        raise KeyFormatError("a witness key is 0x04 (Ed25519 cosignature) followed by 32 bytes")
    if _key_hash(name, raw[1:]) != bytes.fromhex(hash_hex):
        raise KeyFormatError("witness key hash does not match name and key")
    return WitnessKey(name=name, key_hash=bytes.fromhex(hash_hex), public_raw=raw[1:])


def _message(checkpoint_text: str, timestamp: int) -> bytes:
    return f"{COSIGNATURE_HEADER}time {timestamp}\n{checkpoint_text}".encode()


def cosign(checkpoint_text: str, name: str, private_key: Ed25519PrivateKey, timestamp: int) -> str:
    """Return one cosignature line (ending in a newline) over a checkpoint's note text."""
    if not 0 < timestamp < 2**63:
        raise NoteError("a cosignature's timestamp must be a positive POSIX time")
    key_hash = _key_hash(name, public_raw(private_key))
    signature = private_key.sign(_message(checkpoint_text, timestamp))
    return f"{SIGNATURE_DASH} {name} {b64encode(key_hash + struct.pack('>Q', timestamp) + signature)}\n"


def cosigners(note: str, witnesses: Sequence[WitnessKey]) -> dict[str, int]:
    """Return the witnesses (by name) whose cosignature on a signed note verifies, with its timestamp.

    Lines by other keys (the log's own among them) are ignored; a line by a known witness that
    does not verify counts as no cosignature.
    """
    text, signatures = split_note(note)
    known = {(w.name, w.key_hash): w for w in witnesses}
    found: dict[str, int] = {}
    for sig in signatures:
        witness = known.get((sig.name, sig.key_hash))
        if witness is None or len(sig.signature) != 8 + 64:
            continue
        (timestamp,) = struct.unpack(">Q", sig.signature[:8])
        if verify_message(witness.public_raw, _message(text, timestamp), sig.signature[8:]):
            found[witness.name] = timestamp
    return found


def add_signature_lines(note: str, lines: str) -> str:
    """Return a signed note with more signature lines appended (each already ending in a newline)."""
    for line in lines.splitlines():
        if not line.startswith(SIGNATURE_DASH + " "):
            raise NoteError(f"not a signature line: {line[:40]!r}")
    existing = set(note.splitlines())
    extra = "".join(f"{line}\n" for line in lines.splitlines() if line not in existing)
    return note + extra


def format_add_checkpoint(old: int, proof: Sequence[bytes], note: str) -> bytes:
    """Return a tlog-witness ``add-checkpoint`` request body."""
    if len(proof) > MAX_PROOF_LINES:
        raise NoteError("a consistency proof has at most 63 hashes")
    head = f"old {old}\n" + "".join(f"{b64encode(h)}\n" for h in proof)
    return (head + "\n" + note).encode()


def parse_add_checkpoint(body: bytes) -> tuple[int, list[bytes], str]:
    """Parse an ``add-checkpoint`` body into old size, consistency proof and checkpoint note."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise NoteError("the body is not UTF-8") from None
    head, sep, note = text.partition("\n\n")
    if not sep:
        raise NoteError("the body has no empty line before the checkpoint")
    lines = head.split("\n")
    match = _OLD.fullmatch(lines[0])
    if match is None:
        raise NoteError("the first line must be 'old <size>'")
    if len(lines) - 1 > MAX_PROOF_LINES:
        raise NoteError("more than 63 consistency proof lines")
    proof = [b64decode_strict(line, NoteError, "proof line") for line in lines[1:]]
    if any(len(h) != HASH_SIZE for h in proof):
        raise NoteError(f"proof hashes are {HASH_SIZE} bytes")
    return int(match.group(1)), proof, note
