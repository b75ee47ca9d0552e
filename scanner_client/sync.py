"""Upload the outbox: look up scanned GS1 keys, then send signed records in chunks, settling each by its answer.

The server answers per item (accepted, already recorded, refused with why); the record id is the
idempotency key, so a chunk whose answer was lost (the client killed, the server stopped) is
simply sent again and comes back "already recorded". Nothing is settled before its answer.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from scanner_client.device import Device
from scanner_client.http import UnreachableError, call
from scanner_client.outbox import ACCEPTED, ALREADY, REFUSED, UNRESOLVED, WAITING, Row
from scanner_client.station import sign_later

CHUNK = int(os.environ.get("SUYUAN_SCANNER_CHUNK", "500"))  # records an upload holds
STATES = {"accepted": ACCEPTED, "already": ALREADY, "refused": REFUSED}


@dataclass
class Tally:
    accepted: int = 0
    already: int = 0
    refused: int = 0

    def add(self, state: str) -> None:
        setattr(self, state, getattr(self, state) + 1)


def sync_once(device: Device, chunk: int = CHUNK) -> Tally:
    """Upload everything waiting; raise UnreachableError when the server cannot be reached."""
    tally = Tally()
    _resolve(device)
    rounds = 0
    while True:
        rows = device.outbox.rows(WAITING, limit=chunk)
        if not rows:
            return tally
        rounds += 1
        body = {"records": [_item(device.key_id, r) for r in rows]}
        answers = call(device.server, "POST", "/devices/records", body)["items"]
        by_id = {r.id: r for r in rows}
        settled: list[tuple[str, str, str | None, int | None]] = []
        again: list[tuple[str, dict[str, Any], str, dict[str, Any]]] = []
        for answer in answers:
            row = by_id.get(answer["id"])
            if row is None:
                continue
            unit_of = answer.get("unitOf")
            if answer["status"] == "refused" and unit_of and not row.context.get("unit"):
                # The code is a unit serial: the record names its batch, one unit when selling.
                device.outbox.remember({row.ident: (unit_of, True)})
                context = {**row.context, "unit": True}
                record, sig = sign_later(device, row.id, row.mode, unit_of, row.scanned_at, context)
                again.append((row.id, record, sig, context))
                continue
            state = STATES[answer["status"]]
            tally.add(state)
            settled.append((row.id, state, answer.get("reason"), answer.get("logIndex")))
        device.outbox.settle(settled)
        device.outbox.resign(again)
        if rounds > 1000 or (not settled and not again):
            raise UnreachableError("the server answered no item of the chunk")


def _item(key_id: str, row: Row) -> dict[str, Any]:
    # A split travels inside the signed record (data.splitFrom): the server cannot re-point it.
    return {"record": row.record, "signature": {"keyId": key_id, "sig": row.sig}}


def _resolve(device: Device) -> None:
    """Match scanned GS1 keys to their batches, then sign those scans' records."""
    rows = device.outbox.rows(UNRESOLVED, limit=100_000)
    if not rows:
        return
    idents = sorted({r.ident for r in rows})
    found: dict[str, tuple[str, bool]] = {}
    for start in range(0, len(idents), 1000):
        answer = call(device.server, "POST", "/devices/resolve", {"items": idents[start:start + 1000]})["items"]
        found.update({k: (v["batch"], bool(v["unit"])) for k, v in answer.items() if v})
    device.outbox.remember(found)
    signed = []
    unknown: list[tuple[str, str, str | None, int | None]] = []
    for row in rows:
        if row.ident in found:
            batch, unit = found[row.ident]
            context = {**row.context, "unit": True} if unit else row.context
            record, sig = sign_later(device, row.id, row.mode, batch, row.scanned_at, context)
            signed.append((row.id, record, sig))
        else:
            unknown.append((row.id, REFUSED, f"no batch has the identifier {row.ident}", None))
    device.outbox.sign_resolved(signed)
    device.outbox.settle(unknown)


def sync_until_done(device: Device, on_wait: Callable[[str, float], None] = lambda _d, _s: None,
                    max_delay: float = 60.0, attempts: int | None = None) -> Tally:
    """Sync, retrying with exponential backoff and jitter while the server is unreachable."""
    delay, tried = 1.0, 0
    while True:
        try:
            return sync_once(device)
        except UnreachableError as exc:
            tried += 1
            if attempts is not None and tried >= attempts:
                raise
            pause = delay * random.uniform(0.5, 1.5)
            on_wait(str(exc), pause)
            time.sleep(pause)
            delay = min(max_delay, delay * 2)
