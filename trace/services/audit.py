"""Audit the whole log: recompute the tree, check every signature, prev link and checkpoint.

Findings name the log index of each bad entry and why. Signature checks, the expensive part,
run in worker processes; the main process streams rows and checks order-dependent facts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace import ledger
from trace.models import Batch, Checkpoint, Event, EventBatch, LogEntry, LogHead, LogTile, SigningKey
from trace.services.attachments import attachment_path
from trace.services.audit_worker import JSON_COLUMNS, Checked, Row, check_chunk, init_worker
from trace.services.log import HEAD_ID

CHUNK = 2000


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


def _parse_time(text: Any) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment if moment.tzinfo else None


class _Auditor:
    def __init__(self, session: Session, attachments_root: Path | None) -> None:
        self.session = session
        self.root = attachments_root
        self.report = AuditReport()
        self.keys = {
            k.key_id: _Key(
                k.name,
                k.role,
                None if k.organization_id is None else str(k.organization_id),
                k.public_key,
                k.created_at,
            )
            for k in session.scalars(sa.select(SigningKey))
        }
        self.table_revoked = {k.key_id: k.revoked_at for k in session.scalars(sa.select(SigningKey))}
        self.logged_revoked: dict[str, dt.datetime] = {}
        self.logged_keys: set[str] = set()
        self.tree = ledger.MemoryTileStore()
        self.size = 0
        self.expected = 0
        self.missing: set[int] = set()
        self.committed: dict[int, bytes] = {}
        self.committed_index: dict[bytes, int] = {}
        self.last: dict[str, set[bytes]] = {}
        self.hashes: list[bytes] = []  # leaf hashes not yet in the tree

    def grow(self) -> None:
        """Add the leaf hashes seen since the last call to the recomputed tree."""
        ledger.append_leaves(self.tree, self.size, self.hashes)
        self.size += len(self.hashes)
        self.hashes = []

    def find(self, index: int | None, kind: str, message: str) -> None:
        self.report.findings.append(Finding(index, kind, message))

    def load_committed(self, start: int, end: int) -> None:
        """Read the level-0 tiles: the leaf hashes the log committed to when appending."""
        for tile in self.session.scalars(
            sa.select(LogTile).where(LogTile.level == 0, LogTile.index >= start // 256, LogTile.index <= end // 256)
        ):
            for i in range(len(tile.hashes) // 32):
                index = tile.index * 256 + i
                if index not in self.committed:
                    h = tile.hashes[i * 32 : (i + 1) * 32]
                    self.committed[index] = h
                    self.committed_index[h] = index

    def entry(
        self,
        index: int,
        leaf_hash: bytes,
        stored_hash: bytes,
        record: dict[str, Any] | None,
        sigs: list[tuple[str, bool]],
        error: str | None,
    ) -> None:
        if index != self.expected:
            for gone in range(self.expected, index):
                self.missing.add(gone)
                self.find(gone, "missing", "the entry is gone from the log table")
        self.expected = index + 1
        committed = self.committed.get(index)
        if leaf_hash != stored_hash:
            self.find(index, "leaf-hash", "the leaf bytes do not hash to the stored leaf hash (the leaf was altered)")
        if committed is None:
            self.find(index, "uncommitted", "the log's hash tiles do not cover this entry")
        elif committed != leaf_hash:
            moved = self.committed_index.get(leaf_hash)
            why = f"it was committed at index {moved} (entries reordered)" if moved is not None else "it was altered"
            self.find(index, "not-committed", f"the leaf differs from the hash the log committed to: {why}")
        self.hashes.append(leaf_hash)
        if record is None:
            self.find(index, "leaf", f"unreadable leaf: {error}")
            return
        self.signatures(index, record, sigs)
        self.chain(index, record, {leaf_hash, committed or leaf_hash})
        if record.get("stage") == "key":
            self.key_record(index, record)
        self.attachments(index, record)

    def signatures(self, index: int, record: dict[str, Any], sigs: list[tuple[str, bool]]) -> None:
        recorded = _parse_time(record.get("recordedAt"))
        vouched = False
        for key_id, ok in sigs:
            key = self.keys.get(key_id)
            if key is None:
                self.find(index, "unknown-key", f"signed by an unpublished key {key_id[:16]}…")
                continue
            if not ok:
                self.find(index, "signature", f"the {key.role} signature by {key.name} does not verify")
                continue
            revoked = self.logged_revoked.get(key_id)
            if revoked is not None and recorded is not None and recorded >= revoked:
                self.find(index, "revoked-key", f"signed by {key.name} after its revocation at {revoked.isoformat()}")
                continue
            if key.role == "log" or (key.role == "organization" and key.org == record.get("org")):
                vouched = True
        if not vouched:
            self.find(index, "missing-signature", "no valid signature by the log key or the record's organization")

    def chain(self, index: int, record: dict[str, Any], own_hashes: set[bytes]) -> None:
        """Check prev links; an entry is known by its leaf hash and by the hash committed at its index."""
        prev = record.get("prev")
        if not isinstance(prev, dict):
            self.find(index, "prev-chain", "the record has no prev object")
            return
        for code, link in sorted(prev.items()):
            expected = self.last.get(code)
            named = bytes.fromhex(link) if isinstance(link, str) else None
            if (named is None and expected is not None) or (named is not None and named not in (expected or ())):
                gone = self.committed_index.get(named) if named is not None else None
                if gone is None or gone not in self.missing:
                    want = "null" if expected is None else "the batch's previous entry"
                    self.find(index, "prev-chain", f"prev[{code}] should name {want}")
            self.last[code] = own_hashes

    def key_record(self, index: int, record: dict[str, Any]) -> None:
        key = record.get("key") or {}
        key_id = key.get("keyId")
        self.logged_keys.add(key_id)
        if record.get("action") == "revoke":
            moment = _parse_time(key.get("revokedAt")) or _parse_time(record.get("recordedAt"))
            if moment is not None:
                self.logged_revoked[key_id] = moment

    def attachments(self, index: int, record: dict[str, Any]) -> None:
        if self.root is None:
            return
        for item in record.get("attachments") or []:
            path = attachment_path(self.root, str(item.get("sha256")))
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                self.find(index, "attachment", f"attachment {item.get('name')} ({item.get('sha256')}) is missing")
                continue
            if digest != item.get("sha256"):
                self.find(
                    index, "attachment", f"attachment {item.get('name')} was swapped: its content hashes to {digest}"
                )

    def finish(
        self, checkpoints: Sequence[tuple[int, bytes, str]], log_verifiers: list[ledger.Verifier], origin: str
    ) -> None:
        self.grow()
        reader = ledger.tile_node_reader(self.tree)
        for size, root, note in checkpoints:
            self.report.checkpoints += 1
            try:
                cp = ledger.open_checkpoint(note, log_verifiers[0], origin) if log_verifiers else None
            except ledger.LedgerError as exc:
                self.find(None, "checkpoint", f"checkpoint {size} does not verify: {exc}")
                continue
            if cp is not None and (cp.size != size or cp.root_hash != root):
                self.find(None, "checkpoint", f"checkpoint row {size} differs from its signed note")
            if size > self.size + len(self.missing & set(range(self.size, size))):
                for gone in range(self.expected, size):
                    if gone not in self.missing:
                        self.missing.add(gone)
                        self.find(
                            gone, "rolled-back", f"checkpoint {size} was issued, but the log ends at {self.expected}"
                        )
                continue
            if ledger.root_from_nodes(size, reader) != root:
                self.find(None, "checkpoint", f"the recomputed tree of size {size} does not match its checkpoint")
        for key_id in self.logged_revoked:
            if self.table_revoked.get(key_id) is None:
                self.find(None, "key", f"key {key_id[:16]}… is revoked in the log but valid in the key table")
        for key_id in self.keys.keys() - self.logged_keys:
            self.find(None, "key", f"key {self.keys[key_id].name} is published but its creation is not in the log")


def _event_rows(session: Session, event_ids: list[str]) -> tuple[dict[str, dict[str, Any]], dict[str, list[Any]]]:
    """Return the chunk's event rows and their batch lines, read with Core (no ORM objects)."""
    if not event_ids:
        return {}, {}
    events = Event.__table__
    # JSON columns come as text, decoded by the workers: decoding here would serialize the audit.
    columns = [sa.cast(c, sa.Text).label(c.key) if c.key in JSON_COLUMNS else c for c in events.columns]
    rows = {r.id: dict(r._mapping) for r in session.execute(sa.select(*columns).where(events.c.id.in_(event_ids)))}
    lines: dict[str, list[Any]] = {}
    query = (
        sa.select(EventBatch.event_id, EventBatch.role, Batch.trace_code, EventBatch.quantity, EventBatch.uom)
        .join(Batch, Batch.id == EventBatch.batch_id)
        .where(EventBatch.event_id.in_(event_ids))
        .order_by(EventBatch.id)
    )
    for event_id, role, code, quantity, uom in session.execute(query):
        lines.setdefault(event_id, []).append((role, code, quantity, uom))
    return rows, lines


def _chunks(session: Session) -> Iterator[list[Row]]:
    """Yield the log in chunks of rows for the workers, each with its event row and batch lines."""
    query = sa.select(LogEntry.index, LogEntry.leaf, LogEntry.leaf_hash, LogEntry.event_id).order_by(LogEntry.index)
    raw: list[Any] = []

    def emit() -> list[Row]:
        rows, lines = _event_rows(session, [r[3] for r in raw if r[3] is not None])
        return [
            (
                index,
                leaf,
                stored,
                rows.get(event_id) if event_id else None,
                lines.get(event_id, []) if event_id else [],
                event_id is not None,
            )
            for index, leaf, stored, event_id in raw
        ]

    for row in session.execute(query.execution_options(yield_per=CHUNK)):
        raw.append((row.index, bytes(row.leaf), bytes(row.leaf_hash), row.event_id))
        if len(raw) == CHUNK:
            yield emit()
            raw = []
    if raw:
        yield emit()


def _checked_chunks(session: Session, pool: Any, workers: int) -> Iterator[list[Checked]]:
    """Read chunks in this process while the workers check earlier ones; yield results in log order."""
    if pool is None:
        yield from map(check_chunk, _chunks(session))
        return
    in_flight: deque[Any] = deque()
    for chunk in _chunks(session):
        in_flight.append(pool.apply_async(check_chunk, (chunk,)))
        while in_flight and (len(in_flight) > 2 * workers or in_flight[0].ready()):
            yield in_flight.popleft().get()
    while in_flight:
        yield in_flight.popleft().get()


def audit_log(
    session: Session,
    origin: str,
    *,
    attachments_root: Path | None = None,
    workers: int = 2,
    progress: Callable[[int], None] | None = None,
    external_checkpoints: Sequence[str] = (),
) -> AuditReport:
    """Audit every entry and checkpoint of the log; return the findings."""
    auditor = _Auditor(session, attachments_root)
    keys = {key_id: (k.public, k.role) for key_id, k in auditor.keys.items()}
    size = session.scalar(sa.select(sa.func.max(LogEntry.index)))
    if size is not None:
        auditor.load_committed(0, size + 256)
    ctx = multiprocessing.get_context("fork")
    pool = ctx.Pool(workers, initializer=init_worker, initargs=(keys,)) if workers > 1 else None
    init_worker(keys)
    try:
        for checked in _checked_chunks(session, pool, workers):
            for index, stored, digest, record, sigs, error, differs in checked:
                auditor.entry(index, digest, stored, record, sigs, error)
                if differs:
                    auditor.find(index, "event-row", differs)
            auditor.grow()
            auditor.report.entries += len(checked)
            if progress:
                progress(len(checked))
    finally:
        if pool:
            pool.close()
            pool.join()
    head = session.get(LogHead, HEAD_ID)
    unlogged = session.scalars(
        sa.select(Event.id).outerjoin(LogEntry, LogEntry.event_id == Event.id).where(LogEntry.index.is_(None))
    ).all()
    for event_id in unlogged:
        auditor.find(None, "unlogged-event", f"event {event_id} has no log entry")
    log_keys = [ledger.parse_vkey(ledger.vkey(k.name, k.public)) for k in auditor.keys.values() if k.role == "log"]
    stored = [
        (c.size, bytes(c.root_hash), c.note) for c in session.scalars(sa.select(Checkpoint).order_by(Checkpoint.size))
    ]
    external = []
    for note in external_checkpoints:
        try:
            cp = ledger.open_checkpoint(note, log_keys[0], origin)
        except (ledger.LedgerError, IndexError) as exc:
            auditor.find(None, "checkpoint", f"an external checkpoint does not verify: {exc}")
            continue
        external.append((cp.size, cp.root_hash, note))
    auditor.finish(stored + external, log_keys, origin)
    if head is not None and head.size != auditor.expected:
        auditor.find(None, "head", f"the log head says {head.size} entries; the table holds {auditor.expected}")
    auditor.report.findings.sort(key=lambda f: (-1 if f.index is None else f.index, f.kind))
    return auditor.report
