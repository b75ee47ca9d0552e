"""The one retry rule: a record's id is its idempotency key, its canonical client content decides.

Every way a record comes in (``/events``, ``/events/bulk``, ``/transformations``, ``/capture``,
certificates, recalls, sensors, the demo) is judged the same way: the same id with the same
content from the same organization returns the stored event; the same id with other content,
or from another organization, is a 409. The content is what the client decides (stage,
batches, inputs and outputs, occurredAt, location, data, sensors, attachments and a device
signature's key), in canonical form: JCS over decimals as canonical strings, UUIDs lower-case,
times in UTC. What the server adds (recordedAt, prev, the signing organization) is not part
of it, so a retry that spells the same content differently is still a retry.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from trace.errors import ConflictError
from trace.ledger.jcs import canonical

T = TypeVar("T")

# What the client decides, by the schema-loaded payload's key; everything else is the server's.
CLIENT_FIELDS = ("stage", "batches", "inputs", "outputs", "occurred_at", "location", "data", "sensors", "attachments")


def canonical_decimal(value: Decimal) -> str:
    """Return a decimal's canonical text: plain notation, no trailing zeros, no negative zero."""
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


def record_id(value: Any) -> str:
    """Return the canonical spelling of a record id: a UUID in lower case, whatever spelling came in."""
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def _plain(value: Any) -> Any:
    """Return a value with decimals, UUIDs and times in their canonical JSON form."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:  # most of a record: checked first
        return value
    if kind is dict:
        return {k if type(k) is str else str(k): _plain(v) for k, v in value.items()}
    if kind is list or kind is tuple:
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return canonical_decimal(value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)  # stored naive = UTC
        return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return canonical_decimal(Decimal(repr(value)))
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def client_content(payload: dict[str, Any]) -> dict[str, Any]:
    """Return the canonical client content of a schema-loaded record payload (no id, nothing server-added)."""
    content = {k: _plain(payload[k]) for k in CLIENT_FIELDS if payload.get(k) not in (None, [], {})}
    if "outputs" in content:  # a capture names the outputs' trace codes; elsewhere the server picks them
        content["outputs"] = [{k: v for k, v in line.items() if k != "code"} for line in content["outputs"]]
    device = payload.get("device_signature")
    if device:
        content["deviceKeyId"] = device["key_id"]
    return content


def content_digest(payload: dict[str, Any]) -> str:
    """Return the hex SHA-256 of a payload's canonical client content (JCS)."""
    return hashlib.sha256(canonical(client_content(payload))).hexdigest()


def judge_retry(stored: Any, organization_id: int, digest: str) -> Any:
    """Return the stored event for a faithful retry, or raise ConflictError for a reused id.

    A retry comes from the organization that recorded the event; the same content from anyone
    else is not theirs to replay (and must not read as recorded for them).
    """
    if stored.request_hash != digest or stored.organization_id != organization_id:
        raise ConflictError(
            f"记录 {stored.id} 已用于其他内容。Record id {stored.id} was already used for other content.",
            errors={"id": ["已被使用。Already used."]},
        )
    return stored


def once_more_on_race(session: Session, record: Callable[[], T]) -> T:
    """Record in a savepoint; if a concurrent request stored the same id first, record again.

    The second run finds the stored event and follows the rule above (the stored result, or
    409), so two simultaneous retries give one event and one log entry, never a 500.
    """
    try:
        with session.begin_nested():
            return record()
    except IntegrityError:
        return record()
