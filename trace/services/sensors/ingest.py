"""Sensor messages in: each checked (shape, enrolled and unrevoked sensor, signature, SenML) and kept once.

A message is published on ``suyuan/senml/<org id>/<device name>`` (docs/sensors.md). It is kept as
signed in ``sensor_messages``; its window's record is made when the window closes (``windows.py``).
The same id with the same content again (a QoS 1 redelivery, a replay) is answered ``already`` and
adds nothing; the same id with other content, an unsigned, forged or unknown or revoked device's
message is refused, logged and kept in ``device_refusals`` (counted by ``refusal_count``).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.db import utcnow
from trace.ledger.numbers import canonical_decimal
from trace.ledger.senml import (
    Reading,
    SenMLError,
    body_of,
    check_shape,
    digest,
    resolve,
    signed_bytes,
    verify_message,
)
from trace.models import Device, DeviceRefusal, SensorMessage, SigningKey
from trace.times import rfc3339

log = logging.getLogger("trace.sensors")
TOPIC_PREFIX = "suyuan/senml/"
SUBSCRIPTION = TOPIC_PREFIX + "+/+"
WINDOW = dt.timedelta(hours=1)
SENSOR_KINDS = ("sensor", "gateway")
STORED, ALREADY, REFUSED = "stored", "already", "refused"


@dataclass(frozen=True)
class Outcome:
    """What became of one message."""

    status: str  # stored, already, refused
    message_id: str = ""
    reason: str | None = None
    readings: int = 0


class _Refused(Exception):
    pass


def window_of(moment: dt.datetime) -> dt.datetime:
    """Return the start of the window a moment falls in (windows are aligned to the epoch)."""
    seconds = int(moment.timestamp())
    step = int(WINDOW.total_seconds())
    return dt.datetime.fromtimestamp(seconds - seconds % step, dt.UTC)


def _strict_json(payload: bytes) -> Any:
    def refuse(name: str) -> Any:
        raise ValueError(f"{name} is not a JSON number")

    return json.loads(payload, parse_constant=refuse)


def summarize(readings: list[Reading]) -> dict[str, dict[str, Any]]:
    """Return the count, lowest and highest value of each quantity."""
    out: dict[str, dict[str, Any]] = {}
    for r in readings:
        s = out.get(r.quantity)
        if s is None:
            out[r.quantity] = {"count": 1, "min": r.value, "max": r.value}
        else:
            s["count"] += 1
            s["min"], s["max"] = min(s["min"], r.value), max(s["max"], r.value)
    return {q: {"count": s["count"], "min": canonical_decimal(s["min"]), "max": canonical_decimal(s["max"])}
            for q, s in sorted(out.items())}


def _devices(session: Session, key_ids: set[str]) -> dict[str, tuple[SigningKey, Device]]:
    """Return the devices with these key ids (one query per 500)."""
    found: dict[str, tuple[SigningKey, Device]] = {}
    ids = sorted(key_ids)
    for start in range(0, len(ids), 500):
        rows = session.execute(sa.select(SigningKey, Device).join(Device, Device.key_id == SigningKey.id)
                               .where(SigningKey.key_id.in_(ids[start:start + 500])))
        found.update((key.key_id, (key, device)) for key, device in rows)
    return found


def ingest_messages(session: Session, messages: Sequence[tuple[str, bytes]]) -> list[Outcome]:
    """Check and keep published messages (topic, payload); return one outcome per message, in order."""
    outcomes: list[Outcome | None] = [None] * len(messages)
    checked: list[tuple[int, Device, dict[str, Any], str, list[Reading]]] = []
    parsed: list[Any] = []
    for payload in (p for _, p in messages):
        try:
            parsed.append(check_shape(_strict_json(payload)))
        except (ValueError, UnicodeDecodeError) as exc:
            parsed.append(exc)
    devices = _devices(session, {m["key"] for m in parsed if isinstance(m, dict)})
    for i, (topic, _) in enumerate(messages):
        claimed_key, claimed_id = "", ""
        try:
            message = parsed[i]
            if not isinstance(message, dict):
                raise _Refused(f"not a signed SenML message: {message}")
            claimed_key, claimed_id = message["key"], message["id"]
            found = devices.get(claimed_key)
            if found is None or found[0].role != "device" or found[1].kind not in SENSOR_KINDS:
                raise _Refused("the key is not an enrolled sensor's")
            key, device = found
            if key.revoked_at is not None:
                raise _Refused(f"the sensor was revoked at {rfc3339(key.revoked_at)}")
            own_topic = f"{TOPIC_PREFIX}{device.organization_id}/{device.name}"
            if topic != own_topic:
                raise _Refused(f"sensor {device.name} publishes on {own_topic}")
            signed = signed_bytes(body_of(message))
            if not verify_message(key.public_key, message, signed):
                raise _Refused("the signature does not verify over the message")
            readings = resolve(message["senml"])
            checked.append((i, device, message, digest(message, signed), readings))
        except (_Refused, SenMLError) as exc:
            outcomes[i] = Outcome(REFUSED, claimed_id, str(exc))
            _refuse(session, topic, claimed_key, claimed_id, str(exc))
    _keep(session, checked, outcomes)
    session.flush()
    assert all(o is not None for o in outcomes)
    return outcomes  # type: ignore[return-value]


def _keep(session: Session, checked: list[tuple[int, Device, dict[str, Any], str, list[Reading]]],
          outcomes: list[Outcome | None]) -> None:
    """Insert the new messages (one statement); judge ids seen before by their content."""
    if not checked:
        return
    stored: dict[tuple[int, str], str] = {}
    for chunk_start in range(0, len(checked), 500):
        chunk = checked[chunk_start:chunk_start + 500]
        stored.update(((d, m), s) for d, m, s in session.execute(
            sa.select(SensorMessage.device_id, SensorMessage.message_id, SensorMessage.sha256)
            .where(SensorMessage.device_id.in_({c[1].id for c in chunk}),
                   SensorMessage.message_id.in_({c[2]["id"] for c in chunk}))))
    rows = []
    now = utcnow()
    for i, device, message, sha, readings in checked:
        seen = stored.get((device.id, message["id"]))
        if seen == sha:
            outcomes[i] = Outcome(ALREADY, message["id"])
            continue
        if seen is not None:
            reason = "the same message id came before with other content"
            outcomes[i] = Outcome(REFUSED, message["id"], reason)
            _refuse(session, f"{TOPIC_PREFIX}{device.organization_id}/{device.name}", message["key"], message["id"],
                    reason)
            continue
        stored[(device.id, message["id"])] = sha
        rows.append({"device_id": device.id, "message_id": message["id"], "sha256": sha, "body": body_of(message),
                     "signature": message["sig"], "location_id": device.location_id, "first_at": readings[0].at,
                     "last_at": readings[-1].at, "readings": len(readings), "summary": summarize(readings),
                     "window_start": window_of(readings[0].at), "received_at": now})
        outcomes[i] = Outcome(STORED, message["id"], readings=len(readings))
        device.last_seen_at = now
    if rows:
        session.execute(sa.insert(SensorMessage), rows)


def _refuse(session: Session, topic: str, key_id: str, message_id: str, reason: str) -> None:
    log.warning("refused a sensor message %s from key %s on %s: %s", message_id[:64], key_id[:16], topic[:64], reason)
    session.add(DeviceRefusal(key_id=key_id[:64], record_id=message_id[:64], reason=f"sensor: {reason}"[:500],
                              remote_addr=f"mqtt:{topic}"[:64]))


def refusal_count(session: Session) -> int:
    """Return how many sensor messages have been refused."""
    return session.scalar(sa.select(sa.func.count()).select_from(DeviceRefusal)
                          .where(DeviceRefusal.reason.startswith("sensor: "))) or 0


def message_series(session: Session, *, location_id: int | None = None, device_id: int | None = None,
                   start: dt.datetime, end: dt.datetime, quantity: str = "temperature"
                   ) -> list[tuple[dt.datetime, Decimal, SensorMessage]]:
    """Return the readings of one quantity from the messages of a place or a sensor between two moments, by time."""
    query = sa.select(SensorMessage).where(SensorMessage.first_at <= end, SensorMessage.last_at >= start)
    if location_id is not None:
        query = query.where(SensorMessage.location_id == location_id)
    if device_id is not None:
        query = query.where(SensorMessage.device_id == device_id)
    series = []
    for message in session.scalars(query.order_by(SensorMessage.first_at, SensorMessage.id)):
        for r in resolve(message.body["senml"]):
            if r.quantity == quantity and start <= r.at <= end:
                series.append((r.at, r.value, message))
    series.sort(key=lambda item: item[0])
    return series
