"""The full-screen view: mode, counterpart, location, the last scans in colour, waiting and refused counts, server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import DataTable, Footer, Input, Static

from scanner_client.outbox import REFUSED, UNRESOLVED, WAITING
from scanner_client.run import Syncer
from scanner_client.station import CHECK, COMMAND, ERROR, NOTICE, OK, Feedback, Station

COLOURS = {OK: "green", COMMAND: "cyan", NOTICE: "yellow", ERROR: "red", CHECK: "magenta"}


class ScannerApp(App[None]):
    """Scans come as typed lines (a keyboard wedge types into the input) or from a serial reader thread."""

    CSS = """
    #bar { height: 3; }
    .cell { width: 1fr; content-align: center middle; border: round $accent; }
    #counts { height: 3; }
    #scans { height: 1fr; }
    """
    BINDINGS = [Binding("ctrl+q", "quit", "退出 Quit")]

    def __init__(self, station: Station, syncer: Syncer | None, lines: Iterator[str] | None = None) -> None:
        super().__init__()
        self.station, self.syncer, self.lines = station, syncer, lines
        self.words = station.words

    def compose(self) -> ComposeResult:
        with Horizontal(id="bar"):
            yield Static(id="mode", classes="cell")
            yield Static(id="counterpart", classes="cell")
            yield Static(id="location", classes="cell")
        with Horizontal(id="counts"):
            yield Static(id="waiting", classes="cell")
            yield Static(id="refused", classes="cell")
            yield Static(id="server", classes="cell")
        table: DataTable[Any] = DataTable(id="scans")
        yield table
        yield Input(id="scan", placeholder="扫码 / scan")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#scans", DataTable)
        table.add_columns(self.words("last_scans"), "")
        self.refresh_status()
        self.set_interval(0.5, self.refresh_status)
        if self.syncer:
            self.syncer.start()
        if self.lines is not None:
            threading.Thread(target=self._read_serial, daemon=True).start()
        self.query_one("#scan", Input).focus()

    def _read_serial(self) -> None:
        assert self.lines is not None
        for line in self.lines:
            self.call_from_thread(self.handle_scan, line)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.input.value = ""
        if event.value:
            self.handle_scan(event.value)

    def on_key(self, event: Any) -> None:
        if event.key == "tab":  # wedges may end a scan with Tab
            field = self.query_one("#scan", Input)
            value, field.value = field.value, ""
            event.prevent_default()
            event.stop()
            if value:
                self.handle_scan(value)

    def handle_scan(self, line: str) -> Feedback:
        feedback = self.station.scan(line)
        if feedback.beep:
            self.bell()
        table = self.query_one("#scans", DataTable)
        colour = COLOURS[feedback.kind]
        table.add_row(f"[{colour}]{line.strip()[:60]}[/]", f"[{colour}]{feedback.message}[/]")
        table.move_cursor(row=table.row_count - 1)
        if self.syncer and feedback.kind == OK:
            self.syncer.wake.set()
        self.refresh_status()
        return feedback

    def refresh_status(self) -> None:
        w, box = self.words, self.station.device.outbox
        mode = box.get("station.mode")
        counts = box.counts()
        reachable = box.get("reachable")
        self.query_one("#mode", Static).update(f"{w('mode')}: [b]{w(mode) if mode else w('none')}[/b]")
        self.query_one("#counterpart", Static).update(
            f"{w('counterpart')}: {box.get('station.org_name') or w('none')}")
        self.query_one("#location", Static).update(f"{w('location')}: {box.get('station.location_name') or w('none')}")
        self.query_one("#waiting", Static).update(f"{w('waiting')}: [b]{counts[WAITING] + counts[UNRESOLVED]}[/b]")
        self.query_one("#refused", Static).update(f"{w('refused')}: [b red]{counts[REFUSED]}[/]")
        shown = w(reachable) if reachable else w("unknown")
        colour = "green" if reachable == "online" else "red" if reachable == "offline" else "white"
        self.query_one("#server", Static).update(f"{w('server')}: [{colour}]{shown}[/]")

    def on_unmount(self) -> None:
        if self.syncer:
            self.syncer.stop()
