"""The operator's station: the current mode, counterpart, location and quantity, and what each scan does."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from scanner_client.codes import Command, new_trace_code
from scanner_client.device import Device
from scanner_client.i18n import Words
from scanner_client.parse import BAD_CHECK, NO_LOT, Item, ScanError, parse_scan
from scanner_client.records import build_record, rfc3339, sign_record

# Feedback kinds; each has its own beep (see ``BEEPS``).
OK, COMMAND, NOTICE, ERROR, CHECK = "ok", "command", "notice", "error", "check"
BEEPS = {OK: "\a", COMMAND: "\a", NOTICE: "", ERROR: "\a\a", CHECK: "\a\a\a"}
# What each mode needs before an item scan records anything.
NEEDS = {"receive": "org", "ship": "org", "sample": "org", "store": "location", "sell": None}


@dataclass(frozen=True)
class Feedback:
    """What the operator sees and hears after a scan."""

    kind: str
    message: str
    record_id: str | None = None

    @property
    def beep(self) -> str:
        return BEEPS[self.kind]


@dataclass
class Station:
    """Turns scans into outbox rows, keeping the operator's choices in the outbox's settings."""

    device: Device
    words: Words
    dedup_seconds: float = 10.0
    recent: list[tuple[str, Feedback]] = field(default_factory=list)

    def setting(self, name: str) -> str:
        return self.device.outbox.get(f"station.{name}")

    def choose(self, **values: str) -> None:
        self.device.outbox.put(**{f"station.{k}": v for k, v in values.items()})

    @property
    def mode(self) -> str:
        return self.setting("mode")

    def scan(self, raw: str, now: dt.datetime | None = None) -> Feedback:
        """Handle one scanned line and return the feedback."""
        now = now or dt.datetime.now(dt.UTC)
        parsed = parse_scan(raw)
        if isinstance(parsed, Command):
            feedback = self._command(parsed)
        elif isinstance(parsed, ScanError):
            w = self.words
            if parsed.reason == BAD_CHECK:
                feedback = Feedback(CHECK, w("bad_check", detail=parsed.detail))
            elif parsed.reason == NO_LOT:
                feedback = Feedback(ERROR, w("no_lot"))
            else:
                feedback = Feedback(ERROR, w("unknown_code", detail=parsed.detail))
        else:
            feedback = self._item(parsed, now)
        self.recent.append((raw.strip(" \r\n\t"), feedback))
        del self.recent[:-20]
        return feedback

    def _command(self, command: Command) -> Feedback:
        w = self.words
        if command.kind == "mode":
            self.choose(mode=command.value)
            return Feedback(COMMAND, w("mode_set", mode=w(command.value)))
        if command.kind == "org":
            self.choose(org=command.value, org_name=command.name or f"#{command.value}")
            return Feedback(COMMAND, w("org_set", name=command.name or f"#{command.value}"))
        if command.kind == "location":
            self.choose(location=command.value, location_name=command.name or f"#{command.value}")
            return Feedback(COMMAND, w("location_set", name=command.name or f"#{command.value}"))
        if command.kind == "quantity":
            self.choose(quantity=command.value, uom=command.uom)
            return Feedback(COMMAND, w("quantity_set", quantity=command.value, uom=command.uom))
        if command.kind == "channel":
            self.choose(channel=command.value)
            return Feedback(COMMAND, w("channel_set", name=w(f"ch_{command.value}")))
        self.choose(quantity="", uom="", org="", org_name="")
        return Feedback(COMMAND, w("cleared"))

    def _item(self, item: Item, now: dt.datetime) -> Feedback:
        w, mode = self.words, self.mode
        if not mode:
            return Feedback(ERROR, w("need_mode"))
        need = NEEDS[mode]
        if need == "org" and not self.setting("org"):
            return Feedback(ERROR, w("need_org"))
        if need == "location" and not self.setting("location"):
            return Feedback(ERROR, w("need_location"))
        quantity, uom = self.setting("quantity"), self.setting("uom")
        if mode == "sample" and not quantity:
            return Feedback(ERROR, w("need_quantity"))
        last = self.device.outbox.last_scan_of(item.key)
        if last is not None and (now - dt.datetime.fromisoformat(last)).total_seconds() < self.dedup_seconds:
            return Feedback(NOTICE, w("duplicate", ident=item.key, seconds=f"{self.dedup_seconds:g}"))
        context = self._context(mode, item, quantity, uom)
        record_id = str(uuid.uuid4())
        cached = self.device.outbox.resolution(item.key)
        # A code is taken for a batch code at once (it is one, on cartons and batch labels); if the server
        # says it is a unit serial, sync signs the record again for the unit's batch. GS1 keys wait for a look-up.
        batch = cached[0] if cached else item.code  # what was scanned (a split ships a part of it)
        record, sig = None, None
        if batch is not None:
            if cached and cached[1] and not context.get("split"):
                context["unit"] = True
            record = make_record(self.device, record_id, mode, batch, now, context)
            sig = sign_record(self.device.private, record)
        self.device.outbox.add(record_id=record_id, scanned_at=rfc3339(now), ident=item.key, mode=mode,
                               context=context, record=record, sig=sig)
        if quantity:
            self.choose(quantity="", uom="")  # a quantity code counts for one scan
        return Feedback(OK, w("queued", ident=item.key, mode=w(mode)), record_id)

    def _context(self, mode: str, item: Item, quantity: str, uom: str) -> dict[str, Any]:
        context: dict[str, Any] = {"mode": mode}
        for name in ("org", "org_name", "location", "location_name", "channel"):
            value = self.setting(name)
            if value:
                context[name] = value
        if quantity:
            context.update(quantity=quantity, uom=uom)
        if mode == "ship" and quantity:
            context["split"] = new_trace_code()  # the part shipped becomes a batch of its own (DESIGN §12)
        return context


def make_record(device: Device, record_id: str, mode: str, batch: str, scanned_at: dt.datetime,
                context: dict[str, Any]) -> dict[str, Any]:
    """Return the record of a scan whose batch is known."""
    data: dict[str, Any] = {}
    location = None
    if context.get("location"):
        location = {"id": int(context["location"]), "name": context.get("location_name", "")}
    if mode == "receive":
        data["from"] = int(context["org"])
    elif mode == "ship":
        data["recipient"] = int(context["org"])
    elif mode == "sample":
        data["laboratory"] = int(context["org"])
    elif mode == "store":
        data["warehouse"] = context.get("location_name", "")
    elif mode == "sell":
        data["channel"] = context.get("channel", "market")
    if mode == "sample":  # a test request: the sample's size is text on it
        if context.get("quantity"):
            data["sampleQuantity"] = f'{context["quantity"]} {context["uom"]}'
    elif context.get("quantity"):
        data.update(quantity=context["quantity"], uom=context["uom"])
    elif context.get("unit") and mode == "sell":
        data.update(quantity="1", uom="H87")  # one unit per unit-serial scan
    if context.get("split"):  # the part shipped is a new batch; the signed record binds what it was split from
        data["splitFrom"] = batch
        batch = context["split"]
    return build_record(record_id=record_id, mode=mode, batch=batch, scanned_at=scanned_at, org=device.org,
                        actor=device.actor, data=data, location=location)


def sign_later(device: Device, row_id: str, mode: str, batch: str, scanned_at: str,
               context: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Return the record and signature of a kept scan whose batch became known after it was scanned."""
    moment = dt.datetime.fromisoformat(scanned_at.replace("Z", "+00:00"))
    record = make_record(device, row_id, mode, batch, moment, context)
    return record, sign_record(device.private, record)
