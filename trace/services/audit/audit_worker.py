"""The audit's worker side: read one index range of the log and check everything in it that order allows.

The main side (``services/audit/audit.py``) hands out ranges. A worker reads its range on its own
database connection (leaves, event rows, batch lines and the hashes the log committed to) and
checks each entry: leaf hash, committed hash, canonical form, signatures, key revocation, the
event row against its signed record, attachments, and the prev links within the range. It
returns the leaf hashes (for the tree), its findings, and each batch's first and last link in
the range (the main side joins the ranges' chains).

An intact event row takes the fast path (``audit_fast``: its raw column values rebuild the
signed bytes exactly). Anything else goes the reference way (``parse_leaf`` and the typed ORM
columns), so only the reference path ever reports a finding about a record. Workers also verify
the signed notes of the checkpoints whose sizes fall in their range.
"""

from __future__ import annotations

import base64
import datetime as dt
import gc
import hashlib
import json
from dataclasses import dataclass, field
from hashlib import sha256
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from trace import ledger
from trace.ledger import policy
from trace.services.audit.audit_fast import LEAF_HEAD, LEAF_SIGS, NO_KEY, fast_leaf, fast_record
from trace.services.audit.audit_reads import TILE, RangeReader
from trace.services.records.attachments import attachment_path
from trace.services.signing.log import build_record
from trace.times import parse_time

KeyRow = tuple[str, str, "str | None", bytes]  # name, role, organization, public key
Finding = tuple["int | None", str, str]


@dataclass
class RangeResult:
    """What the main side needs of one range: all of it is small except the leaf hashes."""

    lo: int
    hi: int
    count: int = 0
    hashes: bytes = b""  # the leaf hashes of the entries present, in index order
    missing: list[int] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    heads: dict[str, tuple[int, bytes | None]] = field(default_factory=dict)  # first link per batch
    tails: dict[str, tuple[bytes, ...]] = field(default_factory=dict)  # last entry's hashes per batch
    broken: list[tuple[int, str, bytes | None, bool]] = field(default_factory=list)  # prev links to resolve
    moved: list[tuple[int, bytes]] = field(default_factory=list)  # leaves committed elsewhere
    keys: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # key records seen
    unverified: list[int] = field(default_factory=list)  # checkpoint sizes whose note does not verify
    events: int = 0  # entries whose event row was found


def link_broken(named: bytes | None, expected: tuple[bytes, ...] | None) -> bool:
    """Tell whether a prev link fails to name the batch's previous entry (known by either of its hashes)."""
    if named is None:
        return expected is not None
    return named not in (expected or ())


def _named(link: Any) -> bytes | None:
    if not isinstance(link, str):
        return None
    try:
        return bytes.fromhex(link)
    except ValueError:
        return b""  # names nothing


class Checker:
    """Checks ranges on one connection with the published keys and the logged revocations."""

    def __init__(
        self,
        connection: sa.Connection,
        keys: dict[str, KeyRow],
        revoked: dict[str, dt.datetime],
        attachments_root: Path | None,
        log_key: str | None = None,
        origin: str | None = None,
        rows: bool = True,
    ) -> None:
        self.connection = connection
        self.rows = rows  # compare event rows with their records (False: signatures and the log only)
        self.log_key = ledger.parse_vkey(log_key) if log_key else None
        self.origin = origin
        self.keys: dict[str, tuple[Ed25519PublicKey | None, str, str, str | None]] = {}
        for key_id, (name, role, org, public) in keys.items():
            try:
                verifier: Ed25519PublicKey | None = Ed25519PublicKey.from_public_bytes(public)
            except ValueError:
                verifier = None
            self.keys[key_id] = (verifier, name, role, org)
        self.revoked = revoked
        self.root = attachments_root
        self.reader = RangeReader(connection, rows)

    # --- reading --------------------------------------------------------------------------

    # --- checking -------------------------------------------------------------------------

    def check_range(self, lo: int, hi: int) -> RangeResult:
        """Check the entries with ``lo <= index < hi``."""
        enabled = gc.isenabled()
        gc.disable()  # thousands of rows and records, no cycles: collections would only rescan them
        try:
            return self._check_range(lo, hi)
        finally:
            if enabled:
                gc.enable()

    def _check_range(self, lo: int, hi: int) -> RangeResult:
        out = RangeResult(lo, hi)
        tiles = self.reader.tiles(lo, hi)
        entries = self.reader.entries(lo, hi)
        codes = self.reader.codes({line[1] for _, lines in entries for line in lines})
        hashes: list[bytes] = []
        signed_entries: list[Any] = []  # verified together at the end
        last: dict[str, tuple[bytes, ...]] = {}
        expected = lo
        for row, raw_lines in entries:
            index = row[0]
            lines = [(role, codes.get(batch_id), amount, uom) for role, batch_id, amount, uom in raw_lines]
            if index != expected:
                out.missing.extend(range(expected, index))
            expected = index + 1
            leaf = row[1] if type(row[1]) is bytes else bytes(row[1])
            digest = sha256(b"\x00" + leaf).digest()
            hashes.append(digest)
            tile, at = tiles.get(index // TILE), index % TILE * 32
            committed = tile[at : at + 32] if tile is not None and len(tile) >= at + 32 else None
            if row[4] is not None:
                out.events += 1
            self._entry(out, last, index, leaf, digest, bytes(row[2]), committed, row, lines, signed_entries)
        out.missing.extend(range(expected, hi))
        self._signatures(out, signed_entries)
        self._checkpoints(out, lo, hi)
        out.count = len(hashes)
        out.hashes = b"".join(hashes)
        out.tails = last
        return out

    def _entry(
        self,
        out: RangeResult,
        last: dict[str, tuple[bytes, ...]],
        index: int,
        leaf: bytes,
        digest: bytes,
        stored: bytes,
        committed: bytes | None,
        row: Any,
        lines: list[Any],
        signed_entries: list[Any],
    ) -> None:
        find = out.findings.append
        if digest != stored:
            find((index, "leaf-hash", "the leaf bytes do not hash to the stored leaf hash (the leaf was altered)"))
        if committed is None:
            find((index, "uncommitted", "the log's hash tiles do not cover this entry"))
        elif committed != digest:
            out.moved.append((index, digest))
        if self.rows:
            fast = fast_record(leaf, row, lines, self.keys) if row[4] is not None else None
        else:
            fast = fast_leaf(leaf, self.keys)
        if fast is not None:
            record, signed, sigs = fast
        else:
            parsed = self._reference(out, index, leaf, row[3] if self.rows else None)
            if parsed is None:
                return
            record, signed, sigs, differs = parsed
            if differs:
                find((index, "event-row", differs))
        signed_entries.append((index, record, signed, sigs))
        self._chain(out, last, index, record, (digest, committed or digest))
        if record.get("stage") == "key":
            out.keys.append((index, record))
        if self.root is not None and record.get("attachments"):
            self._attachments(out, index, record)

    def _checkpoints(self, out: RangeResult, lo: int, hi: int) -> None:
        """Verify the signed notes of the checkpoints of sizes ``lo < size <= hi`` (the main side checks roots)."""
        if self.log_key is None:
            return
        for size, root, note in self.reader.checkpoints(lo, hi):
            try:
                cp = ledger.open_checkpoint(note, self.log_key, self.origin)
            except ledger.LedgerError as exc:
                out.findings.append((None, "checkpoint", f"checkpoint {size} does not verify: {exc}"))
                out.unverified.append(size)
                continue
            if cp.size != size or cp.root_hash != bytes(root):
                out.findings.append((None, "checkpoint", f"checkpoint row {size} differs from its signed note"))

    def _reference(self, out: RangeResult, index: int, leaf: bytes, event_id: str | None) -> Any:
        """Parse the leaf and compare its event row the reference way; None when the leaf is unreadable."""
        try:
            record, signatures = ledger.parse_leaf_fast(leaf)
        except ledger.LedgerError as exc:
            out.findings.append((index, "leaf", f"unreadable leaf: {exc}"))
            return None
        cut = leaf.rfind(LEAF_SIGS)
        signed = leaf[len(LEAF_HEAD) : cut] if leaf.startswith(LEAF_HEAD) and cut > 0 else None
        sigs = [(s["keyId"], base64.b64decode(s["sig"])) for s in signatures]
        differs = None
        if event_id is not None:
            row, lines = self.reader.reference_row(event_id)
            differs = _compare_event(record, signed, row, lines)
        return record, signed, sigs, differs

    def _signatures(self, out: RangeResult, signed_entries: list[tuple[int, dict[str, Any], bytes | None, list[Any]]]
                    ) -> None:
        """Verify the range's signatures, then judge each entry's.

        All verifications run in one loop, after the range's other work: between them, that work
        would push the curve tables out of the CPU caches (about a tenth more per verify).
        """
        checks: list[tuple[Ed25519PublicKey | None, bytes | None, bytes]] = []
        for _, record, signed, sigs in signed_entries:
            message = ledger.RECORD_PREFIX + signed if signed is not None else None
            for key_id, raw in sigs:
                verifier, _, role, _ = self.keys.get(key_id, NO_KEY)  # an unpublished key: no verifier, fails
                if role == "device":
                    checks.append((verifier, ledger.RECORD_PREFIX + ledger.canonical(ledger.device_view(record)), raw))
                else:
                    checks.append((verifier, message, raw))
        results = iter([_verify(verifier, message, raw) for verifier, message, raw in checks])
        for index, record, _, sigs in signed_entries:
            self._judge(out, index, record, [(key_id, next(results)) for key_id, _ in sigs])

    def _judge(self, out: RangeResult, index: int, record: dict[str, Any], sigs: list[tuple[str, bool]]) -> None:
        """Name an entry's unknown, invalid or revoked signatures, or the lack of one that vouches for it."""
        vouched = False
        for key_id, ok in sigs:
            _, name, role, org = self.keys.get(key_id, NO_KEY)
            if not name:
                out.findings.append((index, "unknown-key", f"signed by an unpublished key {key_id[:16]}…"))
                continue
            if not ok:
                out.findings.append((index, "signature", f"the {role} signature by {name} does not verify"))
                continue
            revoked = self.revoked.get(key_id)
            if revoked is not None:
                recorded = parse_time(record.get("recordedAt"))
                if recorded is not None and recorded >= revoked:
                    out.findings.append(
                        (index, "revoked-key", f"signed by {name} after its revocation at {revoked.isoformat()}")
                    )
                    continue
            if policy.vouches(record, role, org):
                vouched = True
        if not vouched:
            out.findings.append((index, "missing-signature", f"no valid signature by {policy.expected_signer(record)}"))

    @staticmethod
    def _chain(
        out: RangeResult, last: dict[str, tuple[bytes, ...]], index: int, record: dict[str, Any],
        own: tuple[bytes, ...],
    ) -> None:
        """Check prev links within the range; a batch's first link here is left to the main side."""
        prev = record.get("prev")
        if not isinstance(prev, dict):
            out.findings.append((index, "prev-chain", "the record has no prev object"))
            return
        for code, link in sorted(prev.items()) if len(prev) > 1 else prev.items():
            named = _named(link)
            expected = last.get(code)
            if expected is None and code not in out.heads:
                out.heads[code] = (index, named)
            elif link_broken(named, expected):
                out.broken.append((index, code, named, expected is None))
            last[code] = own

    def _attachments(self, out: RangeResult, index: int, record: dict[str, Any]) -> None:
        assert self.root is not None
        for item in record.get("attachments") or []:
            path = attachment_path(self.root, str(item.get("sha256")))
            try:
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
            except OSError:
                out.findings.append(
                    (index, "attachment", f"attachment {item.get('name')} ({item.get('sha256')}) is missing")
                )
                continue
            if digest != item.get("sha256"):
                out.findings.append(
                    (index, "attachment", f"attachment {item.get('name')} was swapped: its content hashes to {digest}")
                )


# --- the reference path -------------------------------------------------------------------------


def _compare_event(record: dict[str, Any], signed: bytes | None, row: Any, lines: list[Any]) -> str | None:
    """Return why an event row (typed columns) differs from the record signed for it, or None."""
    if row is None:
        return f"event {record.get('id')} is missing from the events table"
    built = build_record(row, lines)
    if signed is not None and ledger.matches_canonical({**built, "prev": record.get("prev")}, signed):
        return None
    signed_view = {k: v for k, v in record.items() if k != "prev"}
    actual = json.loads(json.dumps(built))
    diff = sorted(k for k in signed_view.keys() | actual.keys() if signed_view.get(k) != actual.get(k))
    return f"event {row.id} differs from its signed record in {', '.join(diff)}" if diff else None


def _verify(public: Ed25519PublicKey | None, message: bytes | None, signature: bytes) -> bool:
    if public is None or message is None:
        return False
    try:
        public.verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


# --- worker processes ---------------------------------------------------------------------------

_checker: Checker | None = None
_failed = ""


def init_worker(url: str, *checker_args: Any) -> None:
    """Open this worker process's own connection (the log is append-only: a range once written stays).

    A failure is kept for the first task to raise: an initializer that raises makes the pool
    start the process again, forever.
    """
    global _checker, _failed
    _checker = None
    try:
        engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        if engine.dialect.name == "sqlite":
            sa.event.listen(engine, "connect", _sqlite_reader)
        _checker = Checker(engine.connect(), *checker_args)
    except Exception as exc:  # noqa: BLE001  (reported by check_range, in the main process)
        _failed = f"{type(exc).__name__}: {exc}"


def _sqlite_reader(dbapi_connection: Any, _record: Any) -> None:
    """Read through a memory map with a larger page cache, and never write."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA query_only=ON")
    cursor.execute("PRAGMA mmap_size=2147418112")  # SQLite's default ceiling; the OS pages it in
    cursor.execute("PRAGMA cache_size=-131072")  # 128 MiB
    cursor.close()


def check_range(bounds: tuple[int, int]) -> RangeResult:
    if _checker is None:
        raise RuntimeError(f"an audit worker could not open the database: {_failed}")
    return _checker.check_range(*bounds)
