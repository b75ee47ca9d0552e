"""Private values of records: sealed by the pipeline, kept apart, read by the permitted, checked by the audit.

A stage lists its private fields (``Stage.private_fields``: a sale's price, amount, order, buyer).
The pipeline takes them out of the data before anything is signed, adds what the record must not
say in clear (the producer's aid-household status at the time), and signs only
``commitment`` = SHA-256(salt ‖ JCS(values)). The salt is an HMAC of the record's id under the
deployment's master key: a retry seals to the same commitment, and nobody without the key can test
guesses of a price against a public record. Rows of ``private_values`` keep the values and the salt.
"""

from __future__ import annotations

import hashlib
import hmac
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from trace.errors import NotFoundError, PermissionDeniedError, ValidationError
from trace.ledger import canonical
from trace.ledger.numbers import canonical_decimal
from trace.models import Batch, Event, OrganizationAid, PrivateValues, User
from trace.models.organization import Role
from trace.stages import STAGES
from trace.stages.base import Stage

SALT_CONTEXT = b"suyuan private values v1\x00"
CENT = Decimal("0.01")


def commitment(salt: bytes, values: dict[str, Any]) -> str:
    """Return the hex SHA-256 of the salt followed by the values' canonical JSON (JCS)."""
    return hashlib.sha256(salt + canonical(values)).hexdigest()


def salt_for(master_key: bytes, event_id: str) -> bytes:
    """Return a record's salt: 16 bytes of HMAC-SHA256(master key, context ‖ record id)."""
    return hmac.new(master_key, SALT_CONTEXT + event_id.encode(), hashlib.sha256).digest()[:16]


class AidLookup:
    """Producers' aid status, read once per organization within one pipeline run."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.known: dict[int, dict[str, Any] | None] = {}

    def __call__(self, organization_id: int) -> dict[str, Any] | None:
        if organization_id not in self.known:
            aid = self.session.get(OrganizationAid, organization_id)
            self.known[organization_id] = {"kind": aid.kind, "households": aid.households} if aid else None
        return self.known[organization_id]


CARRIED_FIELDS = frozenset({"commitment"})  # service fields an EPCIS export carries and a capture keeps


def carried_commitment(named: Stage, data: dict[str, Any]) -> bool:
    """Whether data holds a commitment and no private values: a sealed record exported and captured back."""
    return bool(named.private_fields) and "commitment" in data and not named.private_fields & data.keys()


def private_digest_part(master_key: bytes, sent: dict[str, Any]) -> str:
    """Return the keyed digest of the private values a client sent (the retry rule's part for them)."""
    return hmac.new(master_key, canonical(sent), hashlib.sha256).hexdigest()


def sent_candidates(values: dict[str, Any]) -> list[dict[str, Any]]:
    """Return what a client may have sent for sealed values: without what the server added (and a computed amount)."""
    sent = {k: v for k, v in values.items() if k not in ("currency", "aid")}
    candidates = [sent]
    if "amount" in sent and "unitPrice" in sent:
        candidates.append({k: v for k, v in sent.items() if k != "amount"})
    return candidates


def seal(named: Stage, event_id: str, data: dict[str, Any], batches: list[Batch], master_key: bytes,
         aid: AidLookup) -> tuple[dict[str, Any], dict[str, Any] | None, str]:
    """Take a record's private values out of its data; return the sealed data, the values, and a retry digest part.

    The values (None for a stage without private fields) are what ``private_values`` keeps; the
    digest part is an HMAC of the client's private values, for the retry rule to compare without
    storing an unsalted hash of them.
    """
    if not named.private_fields:
        return data, None, ""
    if "commitment" in data:
        if named.private_fields & data.keys():
            raise ValidationError("A record carries either its private values or their commitment, not both.",
                                  errors={"data": {"commitment": ["Sent with the values it would seal."]}})
        return data, None, ""  # sealed where it was recorded: kept as signed
    sent = {k: v for k, v in data.items() if k in named.private_fields}
    sealed = {k: v for k, v in data.items() if k not in named.private_fields}
    values = dict(sent)
    if "amount" not in values and "unitPrice" in values and data.get("quantity") is not None:
        total = (Decimal(values["unitPrice"]) * Decimal(str(data["quantity"]))).quantize(CENT, ROUND_HALF_UP)
        values["amount"] = canonical_decimal(total)
    values["currency"] = "CNY"
    values["aid"] = aid(batches[0].organization_id) if batches else None
    salt = salt_for(master_key, event_id)
    sealed["commitment"] = commitment(salt, values)
    digest_part = private_digest_part(master_key, sent)
    return sealed, {"salt": salt.hex(), "values": values}, digest_part


def refuse_in_signed_data(named: Stage, data: dict[str, Any]) -> None:
    """Refuse private values in data signed by someone else (a device): they would be public in clear."""
    present = sorted(named.private_fields & data.keys())
    if present:
        raise ValidationError("Prices, orders and buyers cannot be part of a device-signed record.",
                              errors={"data": {k: ["Private: record it through the API."] for k in present}})


def write_private(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert private values (``event_id``, ``organization_id``, ``salt``, ``values``) in one statement."""
    if rows:
        session.execute(sa.insert(PrivateValues.__table__), rows)  # type: ignore[arg-type]


def read_private(session: Session, actor: User, event_id: str) -> PrivateValues:
    """Return a record's private values to an inspector, an administrator or the recording organization."""
    row = session.get(PrivateValues, event_id)
    if row is None:
        raise NotFoundError(f"Record {event_id} has no private values.")
    if actor.role not in (Role.ADMIN, Role.INSPECTOR) and actor.organization_id != row.organization_id:
        raise PermissionDeniedError("Private values are read by inspectors, administrators and their organization.")
    return row


def check_commitments(session: Session) -> list[str]:
    """Return a finding for each record whose commitment its private values do not match, or that lacks them."""
    findings = []
    query = (sa.select(Event.id, Event.data, PrivateValues.salt, PrivateValues.values)
             .join(PrivateValues, PrivateValues.event_id == Event.id, isouter=True)
             .where(Event.stage.in_([name for name, named in STAGES.items() if named.private_fields])))
    rows: Any = session.execute(query)
    for event_id, data, salt, values in rows:
        committed = (data or {}).get("commitment")
        if committed is None and salt is None:
            continue  # recorded before private values were sealed
        if salt is None:
            findings.append(f"record {event_id}: commitment without private values")
        elif committed != commitment(bytes.fromhex(salt), values):
            findings.append(f"record {event_id}: private values do not match the signed commitment")
    return findings

