"""The full-screen view, driven through textual's pilot: mode changes, the waiting count, colours of results."""

from __future__ import annotations

import asyncio

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from scanner_client.device import Device, create_key, open_outbox
from scanner_client.i18n import Words
from scanner_client.outbox import Outbox
from scanner_client.station import Station
from scanner_client.tui import ScannerApp

CODE = "SWD72885970ZS"


def offline_device(home) -> Device:
    """A device enrolled (as far as its home says) with a server that is not there: scans wait."""
    home.mkdir()
    private: Ed25519PrivateKey = create_key(home)
    outbox: Outbox = open_outbox(home)
    outbox.put(server="http://127.0.0.1:9", org="1", key_name="suyuan-device1-tui")
    return Device(home=home, private=private, outbox=outbox)


def text(app: ScannerApp, widget: str) -> str:
    return str(app.query_one(widget).render())


def test_the_view_shows_mode_changes_and_the_waiting_count(tmp_path):
    device = offline_device(tmp_path / "home")
    app = ScannerApp(Station(device, Words("en"), dedup_seconds=10), syncer=None)

    async def drive() -> dict[str, list[str]]:
        seen: dict[str, list[str]] = {"mode": [], "waiting": []}
        async with app.run_test(size=(120, 30)) as pilot:
            seen["mode"].append(text(app, "#mode"))
            for scan in ("SYCMD:MODE:RECEIVE", "SYCMD:MODE:STORE", "SYCMD:LOC:4:Cold%20store"):
                await pilot.press(*scan, "enter")
                seen["mode"].append(text(app, "#mode"))
            seen["waiting"].append(text(app, "#waiting"))
            await pilot.press(*CODE, "tab")  # a wedge set to end scans with Tab
            seen["waiting"].append(text(app, "#waiting"))
            await pilot.press(*CODE, "enter")  # the same code again at once: ignored with a notice
            await pilot.press(*(CODE[:-1] + "0"), "enter")  # a bad check character: nothing queued
            seen["waiting"].append(text(app, "#waiting"))
            seen["location"] = [text(app, "#location")]
            table = app.query_one("#scans")
            seen["rows"] = [str(table.get_row_at(i)[1]) for i in range(table.row_count)]  # type: ignore[attr-defined]
        return seen

    seen = asyncio.run(drive())
    assert seen["mode"] == ["Mode: none", "Mode: Receive", "Mode: Store", "Mode: Store"]
    assert seen["waiting"] == ["Waiting: 0", "Waiting: 1", "Waiting: 1"]
    assert seen["location"] == ["Location: Cold store"]
    rows = seen["rows"]
    assert rows[3].startswith("[green]Recorded SWD72885970ZS")
    assert rows[4].startswith("[yellow]") and "ignored" in rows[4]
    assert rows[5].startswith("[magenta]Bad check character")
    assert device.outbox.counts()["waiting"] == 1


def test_status_is_chinese_by_default_and_english_on_request(tmp_path):
    from scanner_client.cli import status_text

    device = offline_device(tmp_path / "home")
    Station(device, Words("zh")).scan("SYCMD:MODE:SELL")
    Station(device, Words("zh")).scan(CODE)
    chinese = status_text(device, Words())
    assert "模式: 销售" in chinese and "待上传: 1" in chinese and "被拒绝: 0" in chinese
    english = status_text(device, Words("en"))
    assert "Mode: Sell" in english and "Waiting: 1" in english
