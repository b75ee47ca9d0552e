"""The audit's reads: one index range of the log, on a worker's own connection (or the session's).

Rows come back as the driver gives them (queries compiled once, no type processing). On SQLite,
a range's events and batch lines are read by rowid window: they are written in log order, and
reading them so is half the work of a lookup by a random UUID each. An entry whose event or
lines fall outside the window only misses the audit's fast path.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

import sqlalchemy as sa

from trace.limits import IN_CHUNK
from trace.models import Batch, Checkpoint, Event, EventBatch, LogEntry, LogTile

TILE = 256
_INDEX = itemgetter(0)


class RangeReader:
    """Reads ranges of the log with their event rows, batch lines, committed hashes and checkpoints."""

    def __init__(self, connection: sa.Connection, with_events: bool = True) -> None:
        self.connection = connection
        self.with_events = with_events
        self.entries_query = _entries_query().compile(dialect=connection.dialect)
        self.log_query = _log_query().compile(dialect=connection.dialect)
        self.tiles_query = _tiles_query().compile(dialect=connection.dialect)
        self.checkpoints_query = _checkpoints_query().compile(dialect=connection.dialect)
        self.known: dict[int, str] = {}  # trace codes by batch id

    def read(self, query: Any, params: dict[str, int]) -> Sequence[Any]:
        """Run a query compiled for this driver; rows come back as the driver gives them (no type processing)."""
        values = query.construct_params(params)
        args: Any = tuple(values[name] for name in query.positiontup or ()) if query.positional else values
        return self.connection.exec_driver_sql(str(query), args).all()

    def entries(self, lo: int, hi: int) -> list[tuple[Any, list[Any]]]:
        """The range's entries in index order, each with its event row and its batch lines.

        Each is ``(row, lines)``: ``row`` the entry's columns then its event's (None without an
        event row), ``lines`` its batch lines as ``(role, batch_id, quantity, uom)``, in line order.
        """
        if not self.with_events:
            return [((*entry, *_NO_EVENT), []) for entry in self.read(self.log_query, {"lo": lo, "hi": hi})]
        if self.connection.dialect.name != "sqlite":
            return self._joined(lo, hi)
        # SQLite: events and their lines are written in log order, so their rowids run along with the
        # range's. Reading them by rowid window is half the work of a lookup by a random UUID each.
        # An entry whose event or lines fall outside the window only misses the fast path.
        entries = self.connection.exec_driver_sql(_SQLITE_ENTRIES, (lo, hi)).all()
        ids = [e[3] for e in entries if e[3] is not None]
        events, lines = self.window(ids) if ids else ({}, {})
        if events is None:  # not in log order here: the join
            return self._joined(lo, hi)
        out: list[tuple[Any, list[Any]]] = []
        for entry in entries:
            event = events.get(entry[3]) if entry[3] is not None else None
            if event is None:
                out.append(((*entry, *_NO_EVENT), []))
            else:
                out.append(((*entry, *event), lines.get(entry[3], [])))
        return out

    def _joined(self, lo: int, hi: int) -> list[tuple[Any, list[Any]]]:
        """The entries through the join (one row per line), grouped by entry."""
        out: list[tuple[Any, list[Any]]] = []
        for _, group in groupby(self.read(self.entries_query, {"lo": lo, "hi": hi}), _INDEX):
            same = list(group)
            out.append((same[0][:15], [r[15:] for r in same if r[15] is not None]))
        return out

    def window(self, ids: list[str]) -> tuple[Any, dict[str, list[Any]]]:
        """The events ``ids`` name and their lines, read by rowid between the first's and the last's."""
        run = self.connection.exec_driver_sql
        first = run("SELECT rowid FROM events WHERE id = ?", (ids[0],)).first()
        last = run("SELECT rowid FROM events WHERE id = ?", (ids[-1],)).first()
        if first is None or last is None or not 0 <= last[0] - first[0] <= 4 * len(ids) + 64:
            return None, {}
        events = {row[0]: row for row in run(_SQLITE_EVENTS, (first[0], last[0])).all()}
        lines: dict[str, list[Any]] = {}
        low, high = self._line_bound(ids, "min"), self._line_bound(reversed(ids), "max")
        if low is not None and high is not None and 0 <= high - low <= 64 * len(ids) + 64:
            for event_id, *line in run(_SQLITE_LINES, (low, high)).all():
                lines.setdefault(str(event_id), []).append(line)
        return events, lines

    def _line_bound(self, ids: Iterable[str], bound: str) -> int | None:
        """The first or last line id of the first event in ``ids`` that has lines (a product record has none)."""
        for tried, event_id in enumerate(ids):
            found = self.connection.exec_driver_sql(
                f"SELECT {bound}(id) FROM event_batches WHERE event_id = ?", (event_id,)).scalar()  # noqa: S608
            if found is not None or tried >= 64:
                return found  # type: ignore[no-any-return]
        return None

    def tiles(self, lo: int, hi: int) -> dict[int, bytes]:
        """The range's level-0 tiles: the leaf hashes the log committed to when appending."""
        return {index: bytes(hashes) for index, hashes in
                self.read(self.tiles_query, {"lo": lo // TILE, "hi": (hi - 1) // TILE})}

    def codes(self, batch_ids: set[int]) -> dict[int, str]:
        """Trace codes by batch id, read once per worker (a batch's code never changes)."""
        unread = [b for b in batch_ids if b not in self.known]
        for start in range(0, len(unread), IN_CHUNK):
            chunk = unread[start : start + IN_CHUNK]
            for batch_id, code in self.connection.execute(
                    sa.select(Batch.id, Batch.trace_code).where(Batch.id.in_(chunk))):
                self.known[batch_id] = code
        return self.known

    def reference_row(self, event_id: str) -> tuple[Any, list[Any]]:
        """The event row and its batch lines through the ORM column types, as the service reads them."""
        row = self.connection.execute(sa.select(Event.__table__).where(Event.id == event_id)).first()
        lines = self.connection.execute(
            sa.select(EventBatch.role, Batch.trace_code, EventBatch.quantity, EventBatch.uom)
            .join(Batch, Batch.id == EventBatch.batch_id)
            .where(EventBatch.event_id == event_id)
            .order_by(EventBatch.id)
        ).all()
        return row, [tuple(line) for line in lines]

    def checkpoints(self, lo: int, hi: int) -> Sequence[Any]:
        """The checkpoints of sizes ``lo < size <= hi``: size, root hash, signed note."""
        return self.read(self.checkpoints_query, {"lo": lo, "hi": hi})


def _entries_query() -> sa.Select[Any]:
    """Each entry of a range with its event row and batch lines (one row per line), raw column values."""
    entries, events, lines = (m.__table__ for m in (LogEntry, Event, EventBatch))
    return (
        sa.select(
            entries.c.index, entries.c.leaf, entries.c.leaf_hash, entries.c.event_id,
            events.c.id, events.c.stage, events.c.biz_step, events.c.organization_id, events.c.actor,
            events.c.occurred_at, events.c.recorded_at, events.c.location, events.c.data, events.c.sensors,
            events.c.attachments, lines.c.role, lines.c.batch_id, lines.c.quantity, lines.c.uom,
        )
        .select_from(
            entries.outerjoin(events, events.c.id == entries.c.event_id)
            .outerjoin(lines, lines.c.event_id == events.c.id)
        )
        .where(entries.c.index >= sa.bindparam("lo"), entries.c.index < sa.bindparam("hi"))
        .order_by(entries.c.index, lines.c.id)
    )


_SQLITE_ENTRIES = ('SELECT "index", leaf, leaf_hash, event_id FROM log_entries '
                   'WHERE "index" >= ? AND "index" < ? ORDER BY "index"')
_SQLITE_EVENTS = ("SELECT id, stage, biz_step, organization_id, actor, occurred_at, recorded_at, location, data, "
                  "sensors, attachments FROM events WHERE rowid BETWEEN ? AND ?")
_SQLITE_LINES = "SELECT event_id, role, batch_id, quantity, uom FROM event_batches WHERE id BETWEEN ? AND ? ORDER BY id"
_NO_EVENT = (None,) * 11


def _log_query() -> sa.Select[Any]:
    entries = LogEntry.__table__
    return (sa.select(entries.c.index, entries.c.leaf, entries.c.leaf_hash, entries.c.event_id)
            .where(entries.c.index >= sa.bindparam("lo"), entries.c.index < sa.bindparam("hi"))
            .order_by(entries.c.index))


def _checkpoints_query() -> sa.Select[Any]:
    table = Checkpoint.__table__
    return sa.select(table.c.size, table.c.root_hash, table.c.note).where(
        table.c.size > sa.bindparam("lo"), table.c.size <= sa.bindparam("hi")
    ).order_by(table.c.size)


def _tiles_query() -> sa.Select[Any]:
    tiles = LogTile.__table__
    return sa.select(tiles.c.index, tiles.c.hashes).where(
        tiles.c.level == 0, tiles.c.index >= sa.bindparam("lo"), tiles.c.index <= sa.bindparam("hi")
    )
