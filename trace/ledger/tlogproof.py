"""C2SP ``c2sp.org/tlog-proof@v1``: an entry's index, inclusion proof and signed checkpoint in one text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from trace.ledger.b64 import b64decode_strict, b64encode
from trace.ledger.errors import TlogProofError
from trace.ledger.keys import Verifier
from trace.ledger.merkle import HASH_SIZE, hash_leaf, verify_inclusion
from trace.ledger.note import Checkpoint, open_checkpoint

HEADER = "c2sp.org/tlog-proof@v1"
_INDEX = re.compile(r"index (0|[1-9][0-9]*)")


@dataclass(frozen=True)
class TlogProof:
    """A parsed tlog-proof; ``extra`` is unauthenticated and must not be trusted."""

    index: int
    proof: tuple[bytes, ...]
    checkpoint_note: str
    extra: bytes | None = None


def format_tlog_proof(index: int, proof: Sequence[bytes], checkpoint_note: str, extra: bytes | None = None) -> str:
    """Return the tlog-proof text for entry ``index`` with its proof and the signed checkpoint."""
    if index < 0:
        raise TlogProofError("entry index must not be negative")
    lines = [HEADER]
    if extra is not None:
        lines.append(f"extra {b64encode(extra)}")
    lines.append(f"index {index}")
    for i, h in enumerate(proof):
        if len(h) != HASH_SIZE:
            raise TlogProofError(f"proof hash {i} is {len(h)} bytes, not {HASH_SIZE}")
        lines.append(b64encode(h))
    return "\n".join(lines) + "\n\n" + checkpoint_note


def parse_tlog_proof(text: str) -> TlogProof:
    """Parse tlog-proof text; the checkpoint note is returned unverified."""
    lines = text.split("\n")
    if lines[0] != HEADER:
        raise TlogProofError(f"first line must be {HEADER}")
    pos = 1
    extra = None
    if pos < len(lines) and lines[pos].startswith("extra "):
        extra = b64decode_strict(lines[pos][len("extra ") :], TlogProofError, "extra data")
        pos += 1
    match = _INDEX.fullmatch(lines[pos]) if pos < len(lines) else None
    if match is None:
        raise TlogProofError("expected an 'index N' line")
    index = int(match.group(1))
    pos += 1
    proof: list[bytes] = []
    while pos < len(lines) and lines[pos]:
        h = b64decode_strict(lines[pos], TlogProofError, f"proof line {len(proof)}")
        if len(h) != HASH_SIZE:
            raise TlogProofError(f"proof hash {len(proof)} is {len(h)} bytes, not {HASH_SIZE}")
        proof.append(h)
        pos += 1
    if pos >= len(lines):
        raise TlogProofError("no blank line before the checkpoint")
    checkpoint_note = "\n".join(lines[pos + 1 :])
    if not checkpoint_note:
        raise TlogProofError("the checkpoint is missing")
    return TlogProof(index=index, proof=tuple(proof), checkpoint_note=checkpoint_note, extra=extra)


def verify_tlog_proof(text: str, leaf: bytes, log_verifier: Verifier, origin: str | None = None) -> Checkpoint:
    """Check that ``leaf`` is in the log under a checkpoint signed by ``log_verifier``; return it.

    Raises ``TlogProofError``, ``NoteError`` or ``ProofError`` (all ``LedgerError``).
    """
    parsed = parse_tlog_proof(text)
    checkpoint = open_checkpoint(parsed.checkpoint_note, log_verifier, origin)
    verify_inclusion(hash_leaf(leaf), parsed.index, checkpoint.size, parsed.proof, checkpoint.root_hash)
    return checkpoint
