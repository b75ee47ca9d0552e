"""The local outbox: every accepted scan is written here (WAL, synchronous=FULL) before any network call.

States of a row: ``unresolved`` (the scanned identifier still has to be matched to its batch:
a unit serial, GS1 keys, or a code this client has not seen), ``waiting`` (signed, to upload),
``accepted``, ``already`` (the server had it: an earlier upload whose answer was lost) and
``refused`` (with the server's reason; never retried by itself, never blocks the others).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS resolved (ident TEXT PRIMARY KEY, batch TEXT NOT NULL, unit INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    scanned_at TEXT NOT NULL,
    ident TEXT NOT NULL,
    mode TEXT NOT NULL,
    context TEXT NOT NULL,
    record TEXT,
    sig TEXT,
    state TEXT NOT NULL,
    reason TEXT,
    log_index INTEGER,
    updated_at TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, seq);
"""
UNRESOLVED, WAITING, ACCEPTED, ALREADY, REFUSED = "unresolved", "waiting", "accepted", "already", "refused"
PENDING = (UNRESOLVED, WAITING)


@dataclass(frozen=True)
class Row:
    """One scan in the outbox."""

    seq: int
    id: str
    scanned_at: str
    ident: str
    mode: str
    context: dict[str, Any]
    record: dict[str, Any] | None
    sig: str | None
    state: str
    reason: str | None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat()


class Outbox:
    """The client's SQLite file: settings, resolved identifiers and the outbox of scans."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # --- settings ---------------------------------------------------------------------------
    def get(self, name: str, default: str = "") -> str:
        row = self.db.execute("SELECT value FROM settings WHERE name = ?", (name,)).fetchone()
        return str(row[0]) if row else default

    def put(self, **values: str) -> None:
        with self.transaction() as db:
            db.executemany("INSERT INTO settings (name, value) VALUES (?, ?) "
                           "ON CONFLICT (name) DO UPDATE SET value = excluded.value", list(values.items()))

    # --- identifiers ------------------------------------------------------------------------
    def resolution(self, ident: str) -> tuple[str, bool] | None:
        row = self.db.execute("SELECT batch, unit FROM resolved WHERE ident = ?", (ident,)).fetchone()
        return (str(row[0]), bool(row[1])) if row else None

    def remember(self, found: dict[str, tuple[str, bool]]) -> None:
        with self.transaction() as db:
            db.executemany("INSERT OR REPLACE INTO resolved (ident, batch, unit) VALUES (?, ?, ?)",
                           [(k, b, int(u)) for k, (b, u) in found.items()])

    # --- scans ------------------------------------------------------------------------------
    def add(self, *, record_id: str, scanned_at: str, ident: str, mode: str, context: dict[str, Any],
            record: dict[str, Any] | None, sig: str | None) -> None:
        """Keep a scan (durably: the commit is synced to disk before this returns)."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO outbox (id, scanned_at, ident, mode, context, record, sig, state, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (record_id, scanned_at, ident, mode, json.dumps(context, ensure_ascii=False),
                 None if record is None else json.dumps(record, ensure_ascii=False), sig,
                 WAITING if record is not None else UNRESOLVED, _now()))

    def sign_resolved(self, signed: list[tuple[str, dict[str, Any], str]]) -> None:
        """Store the signed records of scans whose batch is now known."""
        with self.transaction() as db:
            db.executemany("UPDATE outbox SET record = ?, sig = ?, state = ?, updated_at = ? "
                           "WHERE id = ? AND state = ?",
                           [(json.dumps(r, ensure_ascii=False), s, WAITING, _now(), i, UNRESOLVED)
                            for i, r, s in signed])

    def resign(self, signed: list[tuple[str, dict[str, Any], str, dict[str, Any]]]) -> None:
        """Replace refused-before-stored records by ones naming the right batch (same id, still waiting)."""
        with self.transaction() as db:
            db.executemany("UPDATE outbox SET record = ?, sig = ?, context = ?, updated_at = ? WHERE id = ?",
                           [(json.dumps(r, ensure_ascii=False), s, json.dumps(c, ensure_ascii=False), _now(), i)
                            for i, r, s, c in signed])

    def settle(self, answers: list[tuple[str, str, str | None, int | None]]) -> None:
        """Record the server's answers: (id, state, reason, log index)."""
        with self.transaction() as db:
            db.executemany("UPDATE outbox SET state = ?, reason = ?, log_index = ?, updated_at = ? WHERE id = ?",
                           [(state, reason, index, _now(), i) for i, state, reason, index in answers])

    def rows(self, *states: str, limit: int = 1000) -> list[Row]:
        marks = ",".join("?" * len(states))
        cur = self.db.execute(f"SELECT seq, id, scanned_at, ident, mode, context, record, sig, state, reason "
                              f"FROM outbox WHERE state IN ({marks}) ORDER BY seq LIMIT ?", (*states, limit))
        return [_row(r) for r in cur]

    def latest(self, limit: int = 10) -> list[Row]:
        cur = self.db.execute("SELECT seq, id, scanned_at, ident, mode, context, record, sig, state, reason "
                              "FROM outbox ORDER BY seq DESC LIMIT ?", (limit,))
        return [_row(r) for r in cur]

    def counts(self) -> dict[str, int]:
        found = dict(self.db.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state").fetchall())
        return {s: int(found.get(s, 0)) for s in (UNRESOLVED, WAITING, ACCEPTED, ALREADY, REFUSED)}

    def last_scan_of(self, ident: str) -> str | None:
        row = self.db.execute("SELECT scanned_at FROM outbox WHERE ident = ? ORDER BY seq DESC LIMIT 1",
                              (ident,)).fetchone()
        return str(row[0]) if row else None


def _row(r: tuple[Any, ...]) -> Row:
    return Row(seq=r[0], id=r[1], scanned_at=r[2], ident=r[3], mode=r[4], context=json.loads(r[5]),
               record=json.loads(r[6]) if r[6] else None, sig=r[7], state=r[8], reason=r[9])
