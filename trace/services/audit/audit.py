"""Audit the whole log: recompute the tree, check every signature, prev link and checkpoint.

Findings name the log index of each bad entry and why. The log is cut into index ranges that
worker processes read and check on their own connections (``services/audit/audit_worker.py``); this
side joins their results in order: the tree, prev links across ranges, checkpoints, keys.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace import ledger
from trace.models import Checkpoint, Event, LogEntry, LogHead, LogTile, SigningKey, WitnessCosignature
from trace.services.audit.audit_worker import (
    Checker,
    RangeResult,
    check_range,
    init_worker,
    link_broken,
)
from trace.services.audit.row_audit import row_findings
from trace.services.signing.log import HEAD_ID
from trace.times import parse_time

CHUNK = 4096  # entries per range: a multiple of 256, so each range reads whole hash tiles


@dataclass(frozen=True)
class Finding:
    index: int | None
    kind: str
    message: str

    def __str__(self) -> str:
        where = f"entry {self.index}" if self.index is not None else "log"
        return f"{where}: [{self.kind}] {self.message}"


@dataclass
class AuditReport:
    entries: int = 0
    checkpoints: int = 0
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    def indexes(self) -> set[int]:
        """Return the log indexes that have findings."""
        return {f.index for f in self.findings if f.index is not None}


@dataclass(frozen=True)
class _Key:
    name: str
    role: str
    org: str | None
    public: bytes
    created_at: dt.datetime


# --- main side ---------------------------------------------------------------------------------


class _Auditor:
    """Joins the ranges' results in log order: the tree, prev links across ranges, missing entries."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.report = AuditReport()
        published = list(session.scalars(sa.select(SigningKey)))
        self.keys = {
            k.key_id: _Key(k.name, k.role, None if k.organization_id is None else str(k.organization_id),
                           k.public_key, k.created_at)
            for k in published
        }
        self.table_revoked = {k.key_id: k.revoked_at for k in published}
        self.logged_revoked: dict[str, dt.datetime] = {}
        self.logged_keys: set[str] = set()
        self.tree = ledger.Frontier()  # the recomputed tree
        self.wanted: deque[int] = deque()  # sizes whose roots the checkpoints state, ascending
        self.roots: dict[int, bytes] = {}
        self.unverified: set[int] = set()
        self.expected = 0  # one past the highest index audited
        self.missing: set[int] = set()
        self.last: dict[str, tuple[bytes, ...]] = {}
        self.broken: list[tuple[int, str, bytes | None, bool]] = []
        self.moved: list[tuple[int, bytes]] = []
        self.key_records: list[tuple[int, dict[str, Any]]] = []

    def want(self, sizes: Sequence[int]) -> None:
        self.wanted = deque(sorted(set(sizes)))

    def _roots_up_to_size(self) -> None:
        while self.wanted and self.wanted[0] <= self.tree.size:
            self.roots[self.wanted.popleft()] = self.tree.root()

    def find(self, index: int | None, kind: str, message: str) -> None:
        self.report.findings.append(Finding(index, kind, message))

    def merge(self, result: RangeResult) -> None:
        """Add one range's result; ranges arrive in index order."""
        for gone in result.missing:
            self.missing.add(gone)
            self.find(gone, "missing", "the entry is gone from the log table")
        self.report.findings.extend(Finding(*f) for f in result.findings)
        for code, (index, named) in result.heads.items():
            expected = self.last.get(code)
            if link_broken(named, expected):
                self.broken.append((index, code, named, expected is None))
        self.last.update(result.tails)
        self.broken.extend(result.broken)
        self.moved.extend(result.moved)
        self.key_records.extend(result.keys)
        self.unverified.update(result.unverified)
        self._roots_up_to_size()
        blob, tree, wanted = result.hashes, self.tree, self.wanted
        for i in range(0, len(blob), 32):
            tree.push(blob[i : i + 32])
            while wanted and wanted[0] == tree.size:
                self.roots[wanted.popleft()] = tree.root()
        self.expected = result.hi
        self.report.entries += result.count

    def resolve(self) -> None:
        """Name what needed the whole log: moved leaves and broken prev links (not those into missing entries)."""
        self._roots_up_to_size()
        committed_index: dict[bytes, int] = {}
        if self.broken or self.moved:
            for tile in self.session.scalars(sa.select(LogTile).where(LogTile.level == 0)):
                for i in range(len(tile.hashes) // 32):
                    committed_index.setdefault(tile.hashes[i * 32 : (i + 1) * 32], tile.index * 256 + i)
        for index, leaf_hash in self.moved:
            moved = committed_index.get(leaf_hash)
            why = f"it was committed at index {moved} (entries reordered)" if moved is not None else "it was altered"
            self.find(index, "not-committed", f"the leaf differs from the hash the log committed to: {why}")
        for index, code, named, first in self.broken:
            gone = committed_index.get(named) if named else None
            if gone is None or gone not in self.missing:
                want = "null" if first else "the batch's previous entry"
                self.find(index, "prev-chain", f"prev[{code}] should name {want}")
        for _, record in sorted(self.key_records, key=lambda item: item[0]):
            key_id, revoked = _key_event(record)
            if key_id is not None:
                self.logged_keys.add(key_id)
                if revoked is not None:
                    self.logged_revoked[key_id] = revoked

    @property
    def size(self) -> int:
        """Leaves in the recomputed tree."""
        return self.tree.size

    def open_note(self, size: int, note: str, log_verifiers: list[ledger.Verifier], origin: str) -> Any:
        """Verify a checkpoint note here (the workers verify those inside the log); None when it fails."""
        try:
            return ledger.open_checkpoint(note, log_verifiers[0], origin) if log_verifiers else True
        except ledger.LedgerError as exc:
            self.find(None, "checkpoint", f"checkpoint {size} does not verify: {exc}")
            self.unverified.add(size)
            return None

    def checkpoint(self, size: int, root: bytes) -> None:
        """Check a checkpoint's root against the recomputed tree, or name the entries a rollback removed."""
        self.report.checkpoints += 1
        if size in self.unverified:
            return
        if size > self.size + len(self.missing & set(range(self.size, size))):
            for gone in range(self.expected, size):
                if gone not in self.missing:
                    self.missing.add(gone)
                    self.find(gone, "rolled-back", f"checkpoint {size} was issued, but the log ends at {self.expected}")
            return
        if self.roots.get(size) != root:
            self.find(None, "checkpoint", f"the recomputed tree of size {size} does not match its checkpoint")

    def check_keys(self) -> None:
        """Keys: each published key created in the log, each logged revocation in the key table."""
        for key_id in self.logged_revoked:
            if self.table_revoked.get(key_id) is None:
                self.find(None, "key", f"key {key_id[:16]}… is revoked in the log but valid in the key table")
        for key_id in self.keys.keys() - self.logged_keys:
            self.find(None, "key", f"key {self.keys[key_id].name} is published but its creation is not in the log")


def _latest_checkpoint_findings(session: Session, auditor: _Auditor, end: int) -> None:
    """Every append issues a checkpoint of the new size, so the log's last one must be there; witnesses
    must not have cosigned more than the log holds."""
    if end and session.get(Checkpoint, end) is None:
        auditor.find(None, "deleted-checkpoint", f"the log holds {end} entries, but its checkpoint of size {end} "
                                                 "is gone: the latest checkpoint was deleted")
    row = session.execute(sa.select(WitnessCosignature.witness, WitnessCosignature.size)
                          .order_by(WitnessCosignature.size.desc()).limit(1)).first()
    if row is not None and row.size > end:
        auditor.find(None, "rolled-back", f"witness {row.witness} cosigned a checkpoint of size {row.size}, but the "
                                          f"log ends at {end}")


def _logged_revocations(session: Session, below: int) -> dict[str, dt.datetime]:
    """Read the revocations in the log before the workers start (key records have no event row)."""
    revoked: dict[str, dt.datetime] = {}
    query = sa.select(LogEntry.leaf).where(LogEntry.event_id.is_(None), LogEntry.index < below).order_by(LogEntry.index)
    for (leaf,) in session.execute(query):
        try:
            record, _ = ledger.parse_leaf_fast(bytes(leaf))
        except ledger.LedgerError:
            continue  # the worker that reads this entry names it
        if record.get("stage") == "key":
            key_id, moment = _key_event(record)
            if key_id is not None and moment is not None:
                revoked[key_id] = moment
    return revoked


def _key_event(record: dict[str, Any]) -> tuple[str | None, dt.datetime | None]:
    """Return a key record's key id, and the time it revokes the key from (None unless a revocation)."""
    key = record.get("key") or {}
    key_id = key.get("keyId")
    if not isinstance(key_id, str):
        return None, None
    if record.get("action") != "revoke":
        return key_id, None
    return key_id, parse_time(key.get("revokedAt")) or parse_time(record.get("recordedAt"))


def _worker_url(session: Session) -> str | None:
    """The database URL a worker process can open on its own, or None (an in-memory SQLite database)."""
    url = session.get_bind().engine.url
    if url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:"):
        return None
    return url.render_as_string(hide_password=False)


@contextmanager
def _checking(
    session: Session, checker_args: tuple[Any, ...], ranges: list[tuple[int, int]], workers: int
) -> Iterator[Iterator[RangeResult]]:
    """Check the ranges in worker processes on their own connections (or here, on the session's).

    The workers start at once; the results come in index order as the caller iterates.
    """
    url = _worker_url(session) if workers > 1 and len(ranges) > 1 else None
    if url is None:
        checker = Checker(session.connection(), *checker_args)
        yield (checker.check_range(lo, hi) for lo, hi in ranges)
        return
    pool = multiprocessing.get_context("fork").Pool(workers, initializer=init_worker, initargs=(url, *checker_args))
    try:
        yield pool.imap(check_range, ranges)
    finally:
        pool.close()
        pool.join()


def audit_log(
    session: Session,
    origin: str,
    *,
    attachments_root: Path | None = None,
    workers: int = 2,
    progress: Callable[[int], None] | None = None,
    external_checkpoints: Sequence[str] = (),
    chunk: int = CHUNK,
    rows: bool = True,
) -> AuditReport:
    """Audit every entry and checkpoint of the log; return the findings.

    ``rows=False`` checks signatures and the log only (leaves, signatures, revocations, prev
    links, the tree, checkpoints, keys, attachments), not that the events table still holds what
    was signed.

    With ``workers > 1`` the ranges are read by worker processes on their own connections, so
    they see committed data only; entries appended after the audit starts are not audited.
    """
    auditor = _Auditor(session)
    log_keys = [ledger.vkey(k.name, k.public) for k in auditor.keys.values() if k.role == "log"]
    log_verifiers = [ledger.parse_vkey(v) for v in log_keys]
    external: list[tuple[int, bytes]] = []
    unverifiable: list[str] = []
    for note in external_checkpoints:
        try:
            cp = ledger.open_checkpoint(note, log_verifiers[0], origin)
        except (ledger.LedgerError, IndexError) as exc:
            unverifiable.append(f"an external checkpoint does not verify: {exc}")
            continue
        external.append((cp.size, cp.root_hash))
    # Checkpoints and the head first, then the log's extent: a checkpoint issued meanwhile is
    # never larger than the log audited.
    stored = [(size, bytes(root)) for size, root in session.execute(
        sa.select(Checkpoint.size, Checkpoint.root_hash).order_by(Checkpoint.size))]
    head = session.get(LogHead, HEAD_ID)
    head_size = head.size if head is not None else None
    top = session.scalar(sa.select(sa.func.max(LogEntry.index)))
    end = 0 if top is None else top + 1
    auditor.want([size for size, _ in stored] + [size for size, _ in external])
    revoked = _logged_revocations(session, end)
    key_rows = {key_id: (k.name, k.role, k.org, k.public) for key_id, k in auditor.keys.items()}
    args = (key_rows, revoked, attachments_root, log_keys[0] if log_keys else None, origin, rows)
    ranges = [(lo, min(lo + chunk, end)) for lo in range(0, end, chunk)]
    with _checking(session, args, ranges, workers) as results:
        events = session.scalar(sa.select(sa.func.count()).select_from(Event)) or 0  # while the workers read
        # batch and product rows against their signed facts, while the workers read (the events
        # table they compare is held equal to the signed log entries)
        rows_found = row_findings(session) if rows else []
        logged = 0
        for result in results:
            auditor.merge(result)
            logged += result.events
            if progress:
                progress(result.count)
    # Each event has at most one entry (a unique column): when as many events were found through
    # the log as the table holds, none is unlogged; otherwise name them.
    unlogged: Sequence[str] = []
    if rows and logged != events:
        unlogged = session.scalars(
            sa.select(Event.id).outerjoin(LogEntry, LogEntry.event_id == Event.id).where(LogEntry.index.is_(None))
        ).all()
    auditor.resolve()
    if auditor.logged_revoked != revoked:
        auditor.find(None, "key", "a key revocation is in an entry linked to an event row; signatures were "
                                  "checked without it")
    for event_id in unlogged:
        auditor.find(None, "unlogged-event", f"event {event_id} has no log entry")
    for row in rows_found:
        auditor.find(row.index, row.kind, row.message)
    # The notes of checkpoints no range covers (sizes beyond the log: a rollback) are verified here.
    outside = sa.select(Checkpoint.size, Checkpoint.root_hash, Checkpoint.note).where(
        sa.or_(Checkpoint.size <= 0, Checkpoint.size > end))
    for size, root, note in session.execute(outside):
        cp = auditor.open_note(size, note, log_verifiers, origin)
        if cp not in (None, True) and (cp.size != size or cp.root_hash != bytes(root)):
            auditor.find(None, "checkpoint", f"checkpoint row {size} differs from its signed note")
    for message in unverifiable:
        auditor.find(None, "checkpoint", message)
    for size, root in stored + external:
        auditor.checkpoint(size, root)
    auditor.check_keys()
    _latest_checkpoint_findings(session, auditor, end)
    if head_size is not None and head_size != auditor.expected:
        auditor.find(None, "head", f"the log head says {head_size} entries; the table holds {auditor.expected}")
    auditor.report.findings.sort(key=lambda f: (-1 if f.index is None else f.index, f.kind))
    return auditor.report
