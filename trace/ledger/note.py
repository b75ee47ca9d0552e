"""C2SP signed notes (c2sp.org/signed-note) with Ed25519, and tlog checkpoints (c2sp.org/tlog-checkpoint)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trace.ledger.b64 import b64decode_strict, b64encode
from trace.ledger.errors import KeyFormatError, NoteError, NoteVerificationError
from trace.ledger.keys import Verifier, check_key_name, key_id, public_raw
from trace.ledger.merkle import HASH_SIZE

SIGNATURE_DASH = "\u2014"  # em dash that starts every signature line
MAX_SIGNATURES = 64  # the spec asks verifiers to accept at least 16
_SIZE = re.compile(r"0|[1-9][0-9]*")


@dataclass(frozen=True)
class Checkpoint:
    """A log's signed tree head: origin, tree size, root hash and opaque extension lines."""

    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()


def _check_text(text: str, what: str) -> None:
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteError(f"{what} contains a control character")


def sign_note(text: str, name: str, private_key: Ed25519PrivateKey) -> str:
    """Return ``text`` as a signed note with one Ed25519 signature line by key ``name``."""
    if not text.endswith("\n"):
        raise NoteError("note text must end with a newline")
    _check_text(text, "note text")
    try:
        check_key_name(name)
    except KeyFormatError as exc:
        raise NoteError(str(exc)) from None
    key_hash = bytes.fromhex(key_id(name, public_raw(private_key)))[:4]
    signature = private_key.sign(text.encode("utf-8"))
    return f"{text}\n{SIGNATURE_DASH} {name} {b64encode(key_hash + signature)}\n"


@dataclass(frozen=True)
class NoteSignature:
    """One signature line of a note: key name, 4-byte key hash and signature bytes."""

    name: str
    key_hash: bytes
    signature: bytes


def split_note(note: str | bytes) -> tuple[str, list[NoteSignature]]:
    """Split a signed note into its text and signature lines, checking only the format."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("note is not valid UTF-8") from None
    _check_text(note, "note")
    if not note.endswith("\n"):
        raise NoteError("note must end with a newline")
    # The text ends at the last blank line; the text itself may contain blank lines.
    cut = note.rfind("\n\n")
    if cut < 0:
        raise NoteError("note has no blank line before its signatures")
    text, sig_block = note[: cut + 1], note[cut + 2 :]
    lines = sig_block[:-1].split("\n") if sig_block else []
    if not lines:
        raise NoteError("note has no signatures")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"note has more than {MAX_SIGNATURES} signatures")
    signatures = []
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != SIGNATURE_DASH:
            raise NoteError(f"malformed signature line {line!r}")
        _, name, blob_b64 = parts
        try:
            check_key_name(name)
        except KeyFormatError as exc:
            raise NoteError(str(exc)) from None
        blob = b64decode_strict(blob_b64, NoteError, "note signature")
        if len(blob) < 5:
            raise NoteError("note signature is too short")
        signatures.append(NoteSignature(name=name, key_hash=blob[:4], signature=blob[4:]))
    return text, signatures


def open_note(note: str | bytes, verifiers: Sequence[Verifier]) -> tuple[str, list[str]]:
    """Return the text of a signed note and the names of the known keys that signed it.

    Signatures by unknown keys are ignored; a failing signature by a known key, or no
    valid signature by any known key, rejects the whole note.
    """
    text, signatures = split_note(note)
    known = {(v.name, v.key_hash): v for v in verifiers}
    signers: list[str] = []
    for sig in signatures:
        verifier = known.get((sig.name, sig.key_hash))
        if verifier is None:
            continue
        if not verifier.verify(text.encode("utf-8"), sig.signature):
            raise NoteVerificationError(f"signature by {sig.name} does not verify")
        if sig.name not in signers:
            signers.append(sig.name)
    if not signers:
        raise NoteVerificationError("note has no signature from a known key")
    return text, signers


def format_checkpoint(origin: str, size: int, root_hash: bytes, extensions: Iterable[str] = ()) -> str:
    """Return the tlog-checkpoint note text for a tree head."""
    if not origin or "\n" in origin:
        raise NoteError("checkpoint origin must be one non-empty line")
    if size < 0:
        raise NoteError("checkpoint size must not be negative")
    if len(root_hash) != HASH_SIZE:
        raise NoteError(f"checkpoint root hash must be {HASH_SIZE} bytes")
    lines = [origin, str(size), b64encode(root_hash)]
    for ext in extensions:
        if not ext or "\n" in ext:
            raise NoteError("checkpoint extension lines must be non-empty single lines")
        lines.append(ext)
    text = "\n".join(lines) + "\n"
    _check_text(text, "checkpoint")
    return text


def parse_checkpoint(text: str) -> Checkpoint:
    """Parse tlog-checkpoint note text (not the signed note: see ``open_checkpoint``)."""
    _check_text(text, "checkpoint")
    if not text.endswith("\n"):
        raise NoteError("checkpoint must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise NoteError("checkpoint needs origin, size and root hash lines")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise NoteError("checkpoint origin is empty")
    if not _SIZE.fullmatch(size_text):
        raise NoteError(f"checkpoint size {size_text!r} is not a canonical decimal")
    root_hash = b64decode_strict(root_text, NoteError, "checkpoint root hash")
    if len(root_hash) != HASH_SIZE:
        raise NoteError(f"checkpoint root hash is {len(root_hash)} bytes, not {HASH_SIZE}")
    if any(not ext for ext in extensions):
        raise NoteError("checkpoint extension lines must be non-empty")
    return Checkpoint(origin=origin, size=int(size_text), root_hash=root_hash, extensions=tuple(extensions))


def open_checkpoint(note: str | bytes, log_verifier: Verifier, origin: str | None = None) -> Checkpoint:
    """Verify a checkpoint note's signature by the log key and return the checkpoint."""
    text, _ = open_note(note, [log_verifier])
    checkpoint = parse_checkpoint(text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteVerificationError(f"checkpoint origin {checkpoint.origin!r} is not {origin!r}")
    return checkpoint
