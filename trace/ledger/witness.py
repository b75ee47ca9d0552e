"""A tlog witness's decision on ``add-checkpoint`` (c2sp.org/tlog-witness), without HTTP or storage.

The caller holds the witness's state for the origin (the latest checkpoint it cosigned) under a
lock, calls ``decide`` and, on 200, stores ``Decision.state`` before answering: checking the old
size and storing the new checkpoint happen atomically, as the spec requires.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from trace.ledger.cosignature import cosign, parse_add_checkpoint
from trace.ledger.errors import LedgerError, NoteError, NoteVerificationError
from trace.ledger.keys import Verifier
from trace.ledger.merkle import EMPTY_ROOT, verify_consistency
from trace.ledger.note import Checkpoint, open_note, parse_checkpoint


@dataclass(frozen=True)
class Decision:
    """An answer: HTTP status, body, content type; and the new state to store when status is 200."""

    status: int
    body: str
    content_type: str = "text/plain; charset=utf-8"
    state: Checkpoint | None = None
    note: str | None = None  # the checkpoint as submitted, with the new cosignature appended


def _first_line_origin(note: str) -> str:
    return note.split("\n", 1)[0]


def decide(body: bytes, logs: Mapping[str, Sequence[Verifier]], latest: Mapping[str, Checkpoint],
           name: str, key: Ed25519PrivateKey, now: int) -> Decision:
    """Return the answer to an ``add-checkpoint`` body.

    ``logs`` maps each known origin to the log keys the witness trusts for it; ``latest`` is the
    checkpoint last cosigned per origin. 404 unknown origin, 403 no valid log signature, 400 bad
    request, 409 old size is not what was cosigned (body: that size), 422 not consistent.
    """
    try:
        old, proof, note = parse_add_checkpoint(body)
    except NoteError as exc:
        return Decision(400, f"{exc}\n")
    origin = _first_line_origin(note)
    verifiers = logs.get(origin)
    if verifiers is None:
        return Decision(404, "unknown log origin\n")
    try:
        text, _ = open_note(note, list(verifiers))
        checkpoint = parse_checkpoint(text)
    except NoteVerificationError as exc:
        return Decision(403, f"{exc}\n")
    except LedgerError as exc:
        return Decision(400, f"{exc}\n")
    if old > checkpoint.size:
        return Decision(400, "old size is larger than the checkpoint's\n")
    current = latest.get(origin)
    current_size = current.size if current is not None else 0
    if old != current_size:
        return Decision(409, f"{current_size}\n", content_type="text/x.tlog.size")
    if checkpoint.size == 0 and checkpoint.root_hash != EMPTY_ROOT:
        return Decision(422, "a checkpoint of size 0 must have the empty tree's root\n")
    if old == 0:
        if proof:
            return Decision(422, "a proof from size 0 must be empty\n")
    else:
        assert current is not None
        try:
            verify_consistency(old, checkpoint.size, current.root_hash, checkpoint.root_hash, proof)
        except LedgerError as exc:
            return Decision(422, f"not consistent with the checkpoint cosigned at size {old}: {exc}\n")
    line = cosign(text, name, key, now)
    return Decision(200, line, state=checkpoint, note=note + line)
