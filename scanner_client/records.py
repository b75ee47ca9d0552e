"""The records a scan becomes, in canonical form (RFC 8785), signed by the device key.

The device signs the record as the server will log it, without ``recordedAt`` and ``prev`` (the
two fields only the server knows): Ed25519 over ``b"suyuan-record/v1\\n" + JCS(record)``.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

RECORD_PREFIX = b"suyuan-record/v1\n"
SERVER_ONLY = ("recordedAt", "prev")  # only the server knows them: the device signs the record without
CBV = "https://ref.gs1.org/cbv/BizStep-"
# What each mode records: the stage and its bizStep (the server's stage registry says the same).
STAGES = {
    "receive": ("receiving", CBV + "receiving"),
    "store": ("storage", CBV + "storing"),
    "ship": ("shipping", CBV + "shipping"),
    "sell": ("sale", CBV + "retail_selling"),
    "sample": ("test_request", CBV + "sampling"),
}


def canonical(record: dict[str, Any]) -> bytes:
    """Return the RFC 8785 canonical bytes of a record."""
    return rfc8785.dumps(record)


def rfc3339(moment: dt.datetime) -> str:
    """Return a time as the server writes it: UTC, ``Z``, microseconds only when there are some."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def key_id(name: str, public: bytes) -> str:
    """Return the key id: hex SHA-256 of ``name || 0x0A || 0x01 || public key`` (C2SP signed note)."""
    return hashlib.sha256(name.encode() + b"\n\x01" + public).hexdigest()


def public_raw(private: Ed25519PrivateKey) -> bytes:
    """Return the 32 raw bytes of the private key's public half."""
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def private_raw(private: Ed25519PrivateKey) -> bytes:
    """Return the 32 raw bytes of a private key."""
    return private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def sign_record(private: Ed25519PrivateKey, record: dict[str, Any]) -> str:
    """Return the device's signature over a record, base64 with padding."""
    return base64.b64encode(private.sign(RECORD_PREFIX + canonical(record))).decode()


def verify_record(public: bytes, record: dict[str, Any], signature: str) -> bool:
    """Tell whether a base64 signature verifies over the record."""
    try:
        key = Ed25519PublicKey.from_public_bytes(public)
        key.verify(base64.b64decode(signature), RECORD_PREFIX + canonical(record))
    except Exception:
        return False
    return True


def build_record(*, record_id: str, mode: str, batch: str, scanned_at: dt.datetime, org: str, actor: str,
                 data: dict[str, Any], location: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return the record a scan becomes, as the device signs it."""
    stage, biz_step = STAGES[mode]
    record: dict[str, Any] = {
        "v": 1,
        "id": record_id,
        "stage": stage,
        "bizStep": biz_step,
        "batches": [batch],
        "occurredAt": rfc3339(scanned_at),
        "org": org,
        "actor": actor,
        "data": data,
        "attachments": [],
    }
    if location:
        record["location"] = location
    return record
