"""Is the log a bundle shows the one the user saw before, and the one the witnesses saw?

``check_views`` compares an audit bundle's checkpoint with checkpoints the user kept (named
problems: ``rollback`` when the log is now smaller than a kept checkpoint, ``fork`` when it does
not extend it) and with the witnesses the user trusts (``witness-quorum``, ``fork``,
``unwitnessed`` for entries newer than what the witnesses cosigned).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from trace.ledger.b64 import b64decode_strict, b64encode
from trace.ledger.bundle import BundleProblem, BundleReport
from trace.ledger.cosignature import cosigners, parse_witness_vkey
from trace.ledger.errors import BundleFormatError, LedgerError
from trace.ledger.keys import parse_vkey
from trace.ledger.merkle import verify_consistency
from trace.ledger.note import Checkpoint, open_checkpoint

ROLLBACK, FORK, NO_PROOF, KEPT, QUORUM, UNWITNESSED = (
    "rollback", "fork", "consistency-missing", "kept-checkpoint", "witness-quorum", "unwitnessed")


def _proof(part: Any) -> list[bytes]:
    return [b64decode_strict(p, BundleFormatError, "consistency proof hash") for p in part["proof"]]


def _extends(old: Checkpoint, new: Checkpoint, proof: Sequence[bytes] | None, what: str) -> BundleProblem | None:
    """Return the problem if ``new`` does not extend ``old`` (or cannot be shown to)."""
    if old.size > new.size:
        return BundleProblem(None, ROLLBACK, f"the log's checkpoint has {new.size} entries, fewer than the "
                                             f"{old.size} of {what}: entries were removed (rolled back) or the log's "
                                             "latest checkpoints were deleted, unless the bundle is older than that "
                                             "checkpoint")
    if old.size == new.size:
        if old.root_hash != new.root_hash:
            return BundleProblem(None, FORK, f"{what} has the same size {old.size} but another root: the log forked")
        return None
    if proof is None:
        return BundleProblem(None, NO_PROOF, f"the bundle has no consistency proof from size {old.size} ({what}); "
                                             f"fetch it again with ?since={old.size}")
    try:
        verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof)
    except LedgerError as exc:
        return BundleProblem(None, FORK, f"the log of size {new.size} does not extend {what} of size {old.size} "
                                         f"({exc}): the log forked or was rewritten")
    return None


def check_views(bundle: dict[str, Any], report: BundleReport, log_vkey: str, kept: Sequence[str] = (),
                witnesses: Sequence[str] = (), quorum: int | None = None) -> None:
    """Add to ``report`` the problems of the bundle's log against kept checkpoints and trusted witnesses.

    ``kept`` are signed checkpoint notes the user saved; ``witnesses`` are witness verifier keys
    (type 0x04); ``quorum`` is how many of them must have cosigned (default: all).
    """
    verifier = parse_vkey(log_vkey)
    current = report.checkpoint
    problems: list[BundleProblem] = []
    if current is None:
        if kept or witnesses:
            problems.append(BundleProblem(None, KEPT, "the bundle's checkpoint does not verify: nothing to compare"))
        report.problems[:0] = problems
        return
    since = bundle.get("consistency")
    for i, note in enumerate(kept, 1):
        try:
            old = open_checkpoint(note, verifier, report.origin)
        except LedgerError as exc:
            problems.append(BundleProblem(None, KEPT, f"kept checkpoint {i} is not this log's: {exc}"))
            continue
        proof = _proof(since) if isinstance(since, dict) and since.get("old") == old.size else None
        problem = _extends(old, current, proof, f"the checkpoint you kept ({i})")
        if problem:
            problems.append(problem)
    if witnesses:
        problems.extend(_check_witnessed(bundle, report, verifier, witnesses, quorum))
    report.problems[:0] = problems


def _check_witnessed(bundle: dict[str, Any], report: BundleReport, verifier: Any, witnesses: Sequence[str],
                     quorum: int | None) -> list[BundleProblem]:
    keys = [parse_witness_vkey(w) for w in witnesses]
    need = len(keys) if quorum is None else quorum
    cosigned = bundle.get("cosigned")
    if not isinstance(cosigned, dict):
        return [BundleProblem(None, QUORUM, "the bundle carries no cosigned checkpoint: no witness has vouched "
                                            "for this log")]
    try:
        witnessed = open_checkpoint(cosigned["checkpoint"], verifier, report.origin)
        found = cosigners(cosigned["checkpoint"], keys)
    except LedgerError as exc:
        return [BundleProblem(None, QUORUM, f"the cosigned checkpoint does not verify: {exc}")]
    problems = []
    if len(found) < need:
        names = ", ".join(sorted(found)) or "none"
        problems.append(BundleProblem(None, QUORUM, f"{len(found)} of the {need} witnesses needed cosigned the "
                                                    f"checkpoint (valid: {names})"))
    assert report.checkpoint is not None
    problem = _extends(witnessed, report.checkpoint, _proof(cosigned), "the witnessed checkpoint")
    if problem:
        problems.append(problem)
    for entry in report.entries:
        if entry.index >= witnessed.size:
            problems.append(BundleProblem(entry.index, UNWITNESSED, f"newer than the witnessed checkpoint "
                                                                    f"({witnessed.size} entries); fetch the bundle "
                                                                    "again after the next witness round"))
    return problems


def describe(checkpoint: Checkpoint) -> str:
    """Return a one-line description of a checkpoint."""
    return f"size {checkpoint.size}, root {b64encode(checkpoint.root_hash)}"
