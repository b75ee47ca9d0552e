"""Lookup counters: batch-page lookups and unit-serial scans per code and China day, without a write per lookup.

Operational figures, not signed records. A lookup adds one to a pending tally: in Redis when
``TRACE_REDIS_URL`` is set (shared by every worker and machine), otherwise in the process. A
flusher moves the pending tallies into ``lookup_counts`` every second, in one upsert per flush;
the process flushes what it holds when it stops (``close``). What a crash can lose: in-process,
the tallies since the last flush (at most one second's); with Redis, nothing a worker held (the
tallies wait in Redis; a flush that died between taking them and committing is redone later).

A page shows a unit's count as what is flushed plus what is pending: exact within one process
(or with Redis), and at most one second behind for lookups other workers hold in-process.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from trace.db import utcnow, writing
from trace.models import Batch, LookupCount
from trace.models.counter import PAGE, SCAN
from trace.times import CHINA

__all__ = ["PAGE", "SCAN", "LookupCounter", "Tally", "UnitCount", "lookups_per_day", "unit_counts"]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tally:
    """Lookups of one code on one China day, not yet flushed (or as flushed)."""

    code: str
    day: dt.date
    kind: str
    batch_id: int
    count: int
    first_at: dt.datetime
    last_at: dt.datetime


@dataclass(frozen=True)
class UnitCount:
    """How often a code was looked up in all, and when first."""

    count: int
    first_at: dt.datetime | None


Key = tuple[str, dt.date, str, int]  # code, day, kind, batch


class PendingStore(Protocol):
    def add(self, key: Key, now: dt.datetime) -> tuple[int, dt.datetime]: ...
    def peek(self, key: Key) -> tuple[int, dt.datetime | None]: ...
    def take(self) -> tuple[list[Tally], Callable[[], None]]: ...


class MemoryStore:
    """Pending tallies in this process, under a lock."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pending: dict[Key, list[Any]] = {}

    def add(self, key: Key, now: dt.datetime) -> tuple[int, dt.datetime]:
        with self._lock:
            entry = self._pending.get(key)
            if entry is None:
                entry = self._pending[key] = [0, now, now]
            entry[0] += 1
            entry[2] = now
            return entry[0], entry[1]

    def peek(self, key: Key) -> tuple[int, dt.datetime | None]:
        with self._lock:
            entry = self._pending.get(key)
            return (entry[0], entry[1]) if entry else (0, None)

    def take(self) -> tuple[list[Tally], Callable[[], None]]:
        with self._lock:
            taken, self._pending = self._pending, {}
        return [Tally(*key, *entry) for key, entry in taken.items()], lambda: None


class RedisStore:
    """Pending tallies in one Redis hash shared by every worker: ``c|key`` counts, ``f|key`` and ``l|key`` times.

    A flush renames the hash (atomically) to a key of its own and deletes that only after its
    commit; a renamed hash left over by a flush that died is taken again after ``STALE`` seconds.
    """

    PENDING = "trace:lookups:pending"
    STALE = 60.0

    def __init__(self, url: str) -> None:
        import redis

        self._redis = redis.Redis.from_url(url)

    @staticmethod
    def _field(key: Key) -> str:
        code, day, kind, batch_id = key
        return f"{code}|{day.isoformat()}|{kind}|{batch_id}"

    def add(self, key: Key, now: dt.datetime) -> tuple[int, dt.datetime]:
        field, stamp = self._field(key), now.timestamp()
        pipe = self._redis.pipeline(transaction=False)
        pipe.hincrby(self.PENDING, f"c|{field}", 1)
        pipe.hsetnx(self.PENDING, f"f|{field}", stamp)
        pipe.hset(self.PENDING, f"l|{field}", stamp)
        pipe.hget(self.PENDING, f"f|{field}")
        count, _, _, first = pipe.execute()
        return int(count), _moment(first) or now

    def peek(self, key: Key) -> tuple[int, dt.datetime | None]:
        field = self._field(key)
        count, first = self._redis.hmget(self.PENDING, [f"c|{field}", f"f|{field}"])
        return int(count or 0), _moment(first)

    def take(self) -> tuple[list[Tally], Callable[[], None]]:
        stale = self._stale()
        names = [stale] if stale else []
        mine = f"{self.PENDING}:{time.time():.3f}:{uuid.uuid4().hex}"
        try:
            self._redis.rename(self.PENDING, mine)
            names.append(mine)
        except Exception as exc:  # redis answers "no such key" when nothing is pending
            if "no such key" not in str(exc).lower():
                raise
        tallies: list[Tally] = []
        for name in names:
            tallies.extend(_parse(self._redis.hgetall(name)))  # type: ignore[arg-type]

        def forget() -> None:
            if names:
                self._redis.delete(*names)

        return tallies, forget

    def _stale(self) -> str | None:
        """Return (and claim) a taken hash whose flush died, if any."""
        for name in self._redis.scan_iter(match=f"{self.PENDING}:*", count=100):
            text = name.decode()
            taken_at = float(text.split(":")[3])
            if time.time() - taken_at > self.STALE:
                claimed = f"{self.PENDING}:{time.time():.3f}:{uuid.uuid4().hex}"
                try:
                    self._redis.rename(text, claimed)
                except Exception:  # another flusher claimed it first
                    continue
                return claimed
        return None


def _moment(value: Any) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(float(value), dt.UTC) if value is not None else None


def _parse(raw: dict[bytes, bytes]) -> list[Tally]:
    fields = {k.decode(): v.decode() for k, v in raw.items()}
    tallies = []
    for name, count in fields.items():
        if not name.startswith("c|"):
            continue
        field = name[2:]
        code, day, kind, batch_id = field.split("|")
        first, last = _moment(fields.get(f"f|{field}")), _moment(fields.get(f"l|{field}"))
        now = utcnow()
        tallies.append(Tally(code, dt.date.fromisoformat(day), kind, int(batch_id), int(count), first or now,
                             last or first or now))
    return tallies


def flush_tallies(session: Session, tallies: Iterable[Tally]) -> int:
    """Add tallies to ``lookup_counts`` in one upsert; return how many lookups were added."""
    merged: dict[tuple[str, dt.date], Tally] = {}
    for t in tallies:  # one row per code and day (an upsert may touch a row once)
        seen = merged.get((t.code, t.day))
        merged[(t.code, t.day)] = t if seen is None else Tally(
            t.code, t.day, t.kind, t.batch_id, seen.count + t.count, min(seen.first_at, t.first_at),
            max(seen.last_at, t.last_at))
    rows = [{"code": t.code, "day": t.day, "kind": t.kind, "batch_id": t.batch_id, "count": t.count,
             "first_at": t.first_at, "last_at": t.last_at} for t in merged.values()]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(LookupCount).values(rows)
    table = LookupCount.__table__
    stmt = stmt.on_conflict_do_update(index_elements=["code", "day"], set_={
        "count": table.c.count + stmt.excluded.count,
        "first_at": sa.func.least(table.c.first_at, stmt.excluded.first_at) if dialect == "postgresql"
        else sa.func.min(table.c.first_at, stmt.excluded.first_at),
        "last_at": sa.func.greatest(table.c.last_at, stmt.excluded.last_at) if dialect == "postgresql"
        else sa.func.max(table.c.last_at, stmt.excluded.last_at),
    })
    session.execute(stmt)
    session.flush()
    return sum(t.count for t in merged.values())


class LookupCounter:
    """Counts lookups into a pending store; flushes them to the database every ``interval`` seconds.

    ``interval`` 0 starts no flusher: the owner flushes (tests, scripts). ``session_factory`` makes
    the flusher's own sessions (never a request's).
    """

    def __init__(self, store: PendingStore, session_factory: Callable[[], Session] | None = None,
                 interval: float = 1.0) -> None:
        self.store, self.session_factory, self.interval = store, session_factory, interval
        self._pid: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()
        # Codes' totals as last read from the database (monotonic time read, count, first time); kept
        # for ``interval`` seconds, and moved on by this process's own flushes.
        self._flushed: dict[str, tuple[float, int, dt.datetime | None]] = {}

    def count(self, code: str, batch_id: int, kind: str) -> tuple[int, dt.datetime]:
        """Count one lookup of a code today; return its pending count today and the pending first time."""
        self._ensure_flusher()
        now = utcnow()
        return self.store.add((code, now.astimezone(CHINA).date(), kind, batch_id), now)

    def pending(self, code: str, batch_id: int, kind: str) -> tuple[int, dt.datetime | None]:
        """Return today's pending count of a code without counting."""
        return self.store.peek((code, utcnow().astimezone(CHINA).date(), kind, batch_id))

    def remembered(self, code: str) -> tuple[int, dt.datetime | None] | None:
        """Return a code's flushed total and first lookup as read less than ``interval`` seconds ago, or None."""
        found = self._flushed.get(code)
        if found is None or time.monotonic() - found[0] >= max(self.interval, 0.0):
            return None
        return found[1], found[2]

    def remember(self, code: str, count: int, first: dt.datetime | None) -> None:
        """Keep a code's flushed total as just read (a later read within ``interval`` seconds is saved)."""
        if len(self._flushed) > 10_000:
            self._flushed.clear()
        self._flushed[code] = (time.monotonic(), count, first)

    def flush(self, session: Session) -> int:
        """Move the pending tallies into the database in the session's transaction; the caller commits.

        The store forgets them only after ``commit_done`` (call ``forget``) for Redis; in-process
        tallies are taken at once (a failed commit loses them, and says so in the log).
        """
        tallies, forget = self.store.take()
        added = flush_tallies(session, tallies)
        self._forget = forget
        for t in tallies:  # what this flush moved is no longer pending: totals remembered include it now
            known = self._flushed.get(t.code)
            if known is not None:
                first = min(known[2], t.first_at) if known[2] else t.first_at
                self._flushed[t.code] = (known[0], known[1] + t.count, first)
        return added

    def forget(self) -> None:
        """Tell the store the last flush is committed."""
        getattr(self, "_forget", lambda: None)()

    def flush_now(self) -> int:
        """Flush in a session of the flusher's own, and commit (the flusher's and ``close``'s step)."""
        if self.session_factory is None:
            return 0
        session = self.session_factory()
        try:
            with writing():  # SQLite: take the write lock when the transaction begins
                added = self.flush(session)
                session.commit()
            self.forget()
            return added
        except Exception:
            session.rollback()
            log.exception("lookup counts could not be flushed; they are lost for this second")
            return 0
        finally:
            session.close()

    def _ensure_flusher(self) -> None:
        if self.interval <= 0 or self.session_factory is None or self._pid == os.getpid():
            return
        with self._start_lock:  # first lookup in this process (gunicorn forks after the app is built)
            if self._pid == os.getpid():
                return
            self._pid = os.getpid()
            self._stop = threading.Event()
            self._thread = threading.Thread(target=self._run, name="lookup-counts", daemon=True)
            self._thread.start()
            atexit.register(self.close)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush_now()

    def close(self) -> None:
        """Stop the flusher and flush what is pending (a clean stop loses nothing)."""
        self._stop.set()
        if self._thread is not None and self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(timeout=5)
        self.flush_now()


def unit_counts(session: Session, codes: Iterable[str]) -> dict[str, UnitCount]:
    """Return each code's flushed total and first lookup (codes never looked up are absent)."""
    wanted = sorted(set(codes))
    found: dict[str, UnitCount] = {}
    for start in range(0, len(wanted), 500):
        chunk = wanted[start:start + 500]
        rows = session.execute(sa.select(LookupCount.code, sa.func.sum(LookupCount.count),
                                         sa.func.min(LookupCount.first_at))
                               .where(LookupCount.code.in_(chunk)).group_by(LookupCount.code))
        found.update({code: UnitCount(int(total or 0), first) for code, total, first in rows})
    return found


def lookups_per_day(session: Session, start: dt.date, end: dt.date, *, by: str = "code",
                    organization_id: int | None = None) -> list[dict[str, Any]]:
    """Return lookups per China day from ``start`` to ``end`` (inclusive), per code or per organization.

    Rows: ``{"day", "kind", "count"}`` with ``code`` and ``batch`` (``by="code"``) or ``organization``
    (``by="organization"``); what statistics read. Pending tallies (under a second old) are not included.
    """
    if by not in ("code", "organization"):
        raise ValueError("by is 'code' or 'organization'")
    where = [LookupCount.day >= start, LookupCount.day <= end]
    if organization_id is not None:
        where.append(Batch.organization_id == organization_id)
    joined = sa.select().select_from(LookupCount).join(Batch, Batch.id == LookupCount.batch_id).where(*where)
    if by == "code":
        rows = session.execute(joined.add_columns(LookupCount.day, LookupCount.code, Batch.trace_code,
                                                  LookupCount.kind, LookupCount.count)
                               .order_by(LookupCount.day, LookupCount.code))
        return [{"day": d, "code": c, "batch": b, "kind": k, "count": n} for d, c, b, k, n in rows]
    total = sa.func.sum(LookupCount.count, type_=sa.BigInteger)
    grouped = session.execute(joined.add_columns(LookupCount.day, Batch.organization_id, LookupCount.kind, total)
                           .group_by(LookupCount.day, Batch.organization_id, LookupCount.kind)
                           .order_by(LookupCount.day, Batch.organization_id, LookupCount.kind))
    return [{"day": d, "organization": o, "kind": k, "count": n} for d, o, k, n in grouped]
