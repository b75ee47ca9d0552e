"""A sensor for tests: enrolled at a place, it signs SenML packs as a device would."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from decimal import Decimal
from typing import Any

from trace.ledger.keys import generate_private_key, public_raw
from trace.ledger.senml import pack, sign_message
from trace.models import Location
from trace.services.devices.enrolment import enroll_device
from trace.services.devices.locations import add_location


def place(session: Any, actor: Any, kind: str = "cold_store", name: str | None = None) -> Location:
    fields = {"kind": kind, "name": name or f"{kind}-{uuid.uuid4().hex[:6]}"}
    return add_location(session, actor.user, actor.org.id, fields)


class Sensor:
    """An enrolled sensor with its private key."""

    def __init__(self, session: Any, ledger: Any, actor: Any, location: Location, *, kind: str = "sensor") -> None:
        self.private = generate_private_key()
        self.name = f"T-{uuid.uuid4().hex[:8]}"
        self.device = enroll_device(session, ledger, actor.user, self.name, public_raw(self.private), kind=kind,
                                    location_id=location.id)
        self.key_id = self.device.key.key_id
        self.topic = f"suyuan/senml/{actor.org.id}/{self.name}"

    def signed(self, readings: list[tuple[dt.datetime, Any]], message_id: str | None = None,
               quantity: str = "temperature") -> dict[str, Any]:
        values = [(quantity, int(at.timestamp()), float(v) if isinstance(v, str | Decimal) else v)
                  for at, v in readings]
        return sign_message(self.private, message_id or str(uuid.uuid4()), self.key_id,
                            pack(f"urn:dev:suyuan:{self.name}:", values))

    def payload(self, readings: list[tuple[dt.datetime, Any]], message_id: str | None = None) -> bytes:
        return json.dumps(self.signed(readings, message_id)).encode()


def minutes(start: dt.datetime, values: list[Any], step: int = 1) -> list[tuple[dt.datetime, Any]]:
    """Return readings ``step`` minutes apart from start."""
    return [(start + dt.timedelta(minutes=i * step), v) for i, v in enumerate(values)]
