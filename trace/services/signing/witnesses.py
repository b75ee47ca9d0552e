"""Sending the log's checkpoints to its witnesses (c2sp.org/tlog-witness) and keeping their cosignatures.

``publish_round`` sends the latest checkpoint to each witness, with a consistency proof from the
size that witness last cosigned; ``trace witness publish`` calls it every few seconds (never per
request). A witness that refuses (422: not consistent; 409 with a size beyond the log: it has
seen more than the log now holds) is reported by name: that is a fork or a rollback.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace import ledger
from trace.db import utcnow
from trace.ledger.cosignature import WitnessKey, cosigners, format_add_checkpoint, parse_witness_vkey
from trace.models import Checkpoint, WitnessCosignature
from trace.services.signing.log import DbTileStore

# pg_try_advisory_xact_lock key: one publisher at a time across app nodes ("suyuanwt").
PUBLISHER_LOCK = int.from_bytes(b"suyuanwt", "big", signed=True)
# post(url, body) -> (status, response text); raises OSError when the witness cannot be reached.
Post = Callable[[str, bytes], tuple[int, str]]


@dataclass(frozen=True)
class Outcome:
    """What one witness answered in a round: ``cosigned``, ``current``, ``refused``, ``rollback``, ``unreachable``."""

    witness: str
    status: str
    size: int
    detail: str = ""


@dataclass(frozen=True)
class Cosigned:
    """The latest checkpoint with a quorum of witness cosignatures."""

    size: int
    note: str  # the log's signed checkpoint with the witnesses' lines appended
    witnesses: tuple[str, ...]
    cosigned_at: dt.datetime


def _last_cosigned_size(session: Session, name: str) -> int:
    return session.scalar(sa.select(sa.func.max(WitnessCosignature.size))
                          .where(WitnessCosignature.witness == name)) or 0


def _submit(session: Session, checkpoint: Checkpoint, url: str, old: int, post: Post) -> tuple[int, str]:
    proof = ledger.consistency_proof(old, checkpoint.size, ledger.tile_node_reader(DbTileStore(session))) \
        if 0 < old < checkpoint.size else []
    return post(f"{url}/add-checkpoint", format_add_checkpoint(old, proof, checkpoint.note))


def _own_line(note: str, answer: str, key: WitnessKey) -> tuple[str | None, int]:
    """Return the witness's verifying cosignature line in its answer, and its time."""
    for line in answer.splitlines():
        try:
            found = cosigners(note + line + "\n", [key])
        except ledger.LedgerError:
            continue
        if key.name in found:
            return line, found[key.name]
    return None, 0


def publish_round(session: Session, witnesses: Sequence[tuple[str, str]], post: Post) -> list[Outcome]:
    """Send the latest checkpoint to each witness; store the cosignatures that verify; report each answer."""
    if session.get_bind().dialect.name == "postgresql" and not session.scalar(
            sa.select(sa.func.pg_try_advisory_xact_lock(PUBLISHER_LOCK))):
        return []  # another node's publisher is in its round: one at a time
    checkpoint = session.scalar(sa.select(Checkpoint).order_by(Checkpoint.size.desc()).limit(1))
    if checkpoint is None:
        return []
    outcomes = []
    for vkey, url in witnesses:
        key = parse_witness_vkey(vkey)
        old = _last_cosigned_size(session, key.name)
        if old == checkpoint.size:
            outcomes.append(Outcome(key.name, "current", old))
            continue
        if old > checkpoint.size:
            outcomes.append(Outcome(key.name, "rollback", old, f"cosigned size {old} here, but the log now "
                                                               f"ends at {checkpoint.size}"))
            continue
        try:
            status, text = _submit(session, checkpoint, url, old, post)
            if status == 409:  # it cosigned another size than we remember (a lost answer): start from its size
                theirs = int(text.strip()) if text.strip().isdigit() else -1
                if theirs > checkpoint.size:
                    outcomes.append(Outcome(key.name, "rollback", theirs, f"the witness cosigned size {theirs}; the "
                                                                          f"log now ends at {checkpoint.size}"))
                    continue
                if theirs < 0:
                    outcomes.append(Outcome(key.name, "refused", checkpoint.size, f"409 without a size: {text[:200]}"))
                    continue
                status, text = _submit(session, checkpoint, url, theirs, post)
        except OSError as exc:
            outcomes.append(Outcome(key.name, "unreachable", checkpoint.size, str(exc)))
            continue
        if status != 200:
            outcomes.append(Outcome(key.name, "refused", checkpoint.size, f"{status}: {text.strip()[:300]}"))
            continue
        line, when = _own_line(checkpoint.note, text, key)
        if line is None:
            outcomes.append(Outcome(key.name, "refused", checkpoint.size, "no cosignature that verifies"))
            continue
        session.add(WitnessCosignature(witness=key.name, size=checkpoint.size, line=line,
                                       cosigned_at=dt.datetime.fromtimestamp(when, dt.UTC),
                                       created_at=utcnow()))
        session.flush()
        outcomes.append(Outcome(key.name, "cosigned", checkpoint.size))
    return outcomes


def latest_cosigned(session: Session, witnesses: Sequence[str], quorum: int) -> Cosigned | None:
    """Return the largest checkpoint that at least ``quorum`` of the given witnesses (verifier keys) cosigned."""
    if not witnesses:
        return None
    keys = [parse_witness_vkey(v) for v in witnesses]
    names = [k.name for k in keys]
    counted = (sa.select(WitnessCosignature.size).where(WitnessCosignature.witness.in_(names))
               .group_by(WitnessCosignature.size)
               .having(sa.func.count(sa.distinct(WitnessCosignature.witness)) >= quorum)
               .order_by(WitnessCosignature.size.desc()))
    for size in session.scalars(counted.limit(5)):
        checkpoint = session.get(Checkpoint, size)
        if checkpoint is None:
            continue
        rows = list(session.scalars(sa.select(WitnessCosignature).where(
            WitnessCosignature.size == size, WitnessCosignature.witness.in_(names))
            .order_by(WitnessCosignature.witness)))
        note = checkpoint.note + "".join(f"{r.line}\n" for r in rows)
        valid = cosigners(note, keys)
        if len(valid) >= quorum:
            return Cosigned(size, note, tuple(sorted(valid)), max(r.cosigned_at for r in rows))
    return None
