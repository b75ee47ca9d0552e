"""The audit's worker side: parse leaves, verify their signatures, compare event rows with their records.

Runs in forked worker processes (``services/audit.py`` is the main side); everything here is
per entry and independent of order.
"""

from __future__ import annotations

import base64
import json
from types import SimpleNamespace
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from trace import ledger
from trace.services.log import build_record

_LEAF_HEAD = b'{"record":'
_LEAF_SIGS = b',"signatures":'


_worker_keys: dict[str, tuple[Ed25519PublicKey | None, str]] = {}


def init_worker(keys: dict[str, tuple[bytes, str]]) -> None:
    global _worker_keys
    _worker_keys = {}
    for key_id, (public, role) in keys.items():
        try:
            _worker_keys[key_id] = (Ed25519PublicKey.from_public_bytes(public), role)
        except ValueError:
            _worker_keys[key_id] = (None, role)


def _verify(public: Ed25519PublicKey | None, message: bytes | None, signature: bytes) -> bool:
    if public is None or message is None:
        return False
    try:
        public.verify(signature, message)
    except (InvalidSignature, ValueError):
        return False
    return True


def _check_leaf(leaf: bytes) -> tuple[dict[str, Any] | None, bytes | None, list[tuple[str, bool]], str | None]:
    """Return the record, its signed bytes, each signature's (key id, valid), or an error."""
    try:
        record, signatures = ledger.parse_leaf_fast(leaf)
    except ledger.LedgerError as exc:
        return None, None, [], str(exc)
    # The signed bytes are the record's JCS, which sits verbatim inside the canonical leaf.
    cut = leaf.rfind(_LEAF_SIGS)
    signed = leaf[len(_LEAF_HEAD) : cut] if leaf.startswith(_LEAF_HEAD) and cut > 0 else None
    message = ledger.RECORD_PREFIX + signed if signed is not None else None
    device_message = None
    results = []
    for sig in signatures:
        public, role = _worker_keys.get(sig["keyId"], (None, ""))
        raw = base64.b64decode(sig["sig"])
        if role == "device":
            if device_message is None:
                device_message = ledger.RECORD_PREFIX + ledger.canonical(ledger.device_view(record))
            ok = _verify(public, device_message, raw)
        else:
            ok = _verify(public, message, raw)
        results.append((sig["keyId"], ok))
    return record, signed, results, None


def _compare_event(
    record: dict[str, Any], signed: bytes | None, row: dict[str, Any] | None, lines: list[Any]
) -> str | None:
    """Return why an event row differs from the record signed for it, or None."""
    if row is None:
        return f"event {record.get('id')} is missing from the events table"
    row = {k: json.loads(v) if k in JSON_COLUMNS and v is not None else v for k, v in row.items()}
    built = build_record(SimpleNamespace(**row), lines)
    if signed is not None and ledger.matches_canonical({**built, "prev": record.get("prev")}, signed):
        return None  # the row rebuilds the signed bytes exactly: the common case, one C-speed encode
    signed_view = {k: v for k, v in record.items() if k != "prev"}
    actual = json.loads(json.dumps(built))
    diff = sorted(k for k in signed_view.keys() | actual.keys() if signed_view.get(k) != actual.get(k))
    return f"event {row['id']} differs from its signed record in {', '.join(diff)}" if diff else None


JSON_COLUMNS = frozenset({"location", "data", "sensors", "attachments"})
# What the main side needs of a record (the rest stays in the worker: smaller messages).
_SUMMARY = ("org", "stage", "recordedAt", "prev", "key", "action", "attachments")
Row = tuple[int, bytes, bytes, "dict[str, Any] | None", list[Any], bool]
Checked = tuple[int, bytes, bytes, Any, list[tuple[str, bool]], "str | None", "str | None"]


def check_chunk(chunk: list[Row]) -> list[Checked]:
    """Check leaves (and the event rows they were made from): signatures, parse, row equality."""
    out = []
    for index, leaf, stored, row, lines, has_event in chunk:
        record, signed, sigs, error = _check_leaf(leaf)
        differs = _compare_event(record, signed, row, lines) if has_event and record is not None else None
        summary = None if record is None else {k: record[k] for k in _SUMMARY if k in record}
        out.append((index, stored, ledger.leaf_hash(leaf), summary, sigs, error, differs))
    return out
