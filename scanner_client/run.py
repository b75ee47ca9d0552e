"""The running client: read scans (keyboard wedge on standard input, or a serial port), record, upload behind."""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Callable, Iterator
from typing import BinaryIO

from scanner_client.device import Device, load_device
from scanner_client.http import UnreachableError
from scanner_client.i18n import Words
from scanner_client.outbox import UNRESOLVED, WAITING
from scanner_client.station import CHECK, COMMAND, ERROR, NOTICE, OK, Feedback, Station
from scanner_client.sync import sync_once

TERMINATORS = b"\r\n\t"
SYMBOLS = {OK: "✓", COMMAND: "»", NOTICE: "·", ERROR: "✗", CHECK: "‼"}


def split_lines(read: Callable[[], bytes]) -> Iterator[str]:
    """Yield scanned lines from a byte stream: each ends in CR, LF or Tab; empty ones are skipped."""
    buffer = bytearray()
    while True:
        chunk = read()
        if not chunk:
            break
        for byte in chunk:
            if byte in TERMINATORS:
                if buffer:
                    yield buffer.decode("utf-8", errors="replace")
                    buffer.clear()
            else:
                buffer.append(byte)
    if buffer:
        yield buffer.decode("utf-8", errors="replace")


def stdin_reader(stream: BinaryIO) -> Iterator[str]:
    read1 = getattr(stream, "read1", None)
    return split_lines(lambda: read1(4096) if read1 else stream.read(1))


def serial_reader(port: str, baud: int) -> Iterator[str]:
    """Yield lines from a serial scanner (pyserial URL or device: /dev/ttyACM0, COM3, loop://)."""
    import serial

    link = serial.serial_for_url(port, baudrate=baud, timeout=0.2)

    def read() -> bytes:
        while True:
            try:
                data = link.read(link.in_waiting or 1)
            except (serial.SerialException, OSError):  # the port went away (unplugged, pty closed): end of input
                return b""
            if data:
                return bytes(data)
            if not link.is_open:
                return b""

    return split_lines(read)


class Syncer:
    """Uploads in the background: soon after a scan, and with backoff and jitter while the server is away."""

    def __init__(self, device: Device, interval: float = 1.0, max_delay: float = 60.0) -> None:
        self.device = load_device(device.home)  # its own connection to the outbox
        self.interval, self.max_delay = interval, max_delay
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="sync", daemon=True)
        self.reachable: bool | None = None

    def start(self) -> None:
        self.thread.start()

    def _attempt(self) -> bool:
        try:
            sync_once(self.device)
        except UnreachableError:
            self.reachable = False
            self.device.outbox.put(reachable="offline")
            return False
        self.reachable = True
        self.device.outbox.put(reachable="online")
        return True

    def _loop(self) -> None:
        delay = self.interval
        while not self.stopping.is_set():
            counts = self.device.outbox.counts()
            if counts[WAITING] + counts[UNRESOLVED]:
                delay = self.interval if self._attempt() else min(self.max_delay, delay * 2)
            self.wake.wait(delay * random.uniform(0.5, 1.5) if self.reachable is False else self.interval)
            self.wake.clear()

    def stop(self) -> None:
        self.stopping.set()
        self.wake.set()
        self.thread.join()

    def final(self) -> None:
        """Try once more to upload everything (at the end of input)."""
        self._attempt()


def run(device: Device, words: Words, *, serial: str | None, baud: int, plain: bool, dedup_seconds: float,
        sync: bool) -> int:
    station = Station(device, words, dedup_seconds=dedup_seconds)
    lines = serial_reader(serial, baud) if serial else stdin_reader(sys.stdin.buffer)
    syncer = Syncer(device) if sync else None
    if not plain and (serial or sys.stdin.isatty()) and sys.stdout.isatty():
        from scanner_client.tui import ScannerApp

        app = ScannerApp(station, syncer, lines if serial else None)
        app.run()
        return 0
    if syncer:
        syncer.start()
    print(words("ready", source=serial or "stdin"), flush=True)
    try:
        for line in lines:
            feedback = station.scan(line)
            _show(feedback)
            if syncer and feedback.kind == OK:
                syncer.wake.set()
    except KeyboardInterrupt:
        pass
    finally:
        if syncer:
            syncer.stop()
            syncer.final()
    counts = device.outbox.counts()
    print(f"{words('waiting')}: {counts[WAITING] + counts[UNRESOLVED]}", flush=True)
    return 0


def _show(feedback: Feedback) -> None:
    sys.stderr.write(feedback.beep)
    sys.stderr.flush()
    print(f"{SYMBOLS[feedback.kind]} {feedback.message}", flush=True)
