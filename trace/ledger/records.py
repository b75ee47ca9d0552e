"""Log leaves: a record and its signatures as one canonical JSON document."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from trace.ledger.b64 import b64decode_strict, b64encode
from trace.ledger.errors import LeafFormatError, LedgerError
from trace.ledger.jcs import canonical, matches_canonical
from trace.ledger.merkle import hash_leaf

_KEY_ID = re.compile(r"[0-9a-f]{64}")

Signature = dict[str, str]


def signature_entry(key_id: str, sig: bytes) -> Signature:
    """Return the ``{"keyId", "sig"}`` object a leaf lists for one signature."""
    return {"keyId": key_id, "sig": b64encode(sig)}


def _check_signatures(signatures: Any) -> list[Signature]:
    if not isinstance(signatures, list):
        raise LeafFormatError("signatures must be a list")
    for i, entry in enumerate(signatures):
        if not isinstance(entry, dict) or set(entry) != {"keyId", "sig"}:
            raise LeafFormatError(f"signature {i} must have exactly keyId and sig")
        if not isinstance(entry["keyId"], str) or not _KEY_ID.fullmatch(entry["keyId"]):
            raise LeafFormatError(f"signature {i}: keyId must be 64 lowercase hex digits")
        b64decode_strict(entry["sig"], LeafFormatError, f"signature {i}: sig")
    return signatures


def leaf_bytes(record: dict[str, Any], signatures: list[Signature]) -> bytes:
    """Return the leaf: JCS of ``{"record": record, "signatures": signatures}``."""
    if not isinstance(record, dict):
        raise LeafFormatError("record must be a JSON object")
    _check_signatures(signatures)
    try:
        return canonical({"record": record, "signatures": signatures})
    except LedgerError as exc:
        raise LeafFormatError(f"record has no canonical JSON form: {exc}") from exc


def leaf_from_canonical(canonical_record: bytes, signatures: list[Signature]) -> bytes:
    """Return the leaf for a record already in JCS form, without canonicalizing it again.

    JCS sorts ``record`` before ``signatures``, so the record's bytes sit verbatim inside the leaf.
    """
    _check_signatures(signatures)
    return b'{"record":' + canonical_record + b',"signatures":' + canonical(signatures) + b"}"


def leaf_hash(leaf: bytes) -> bytes:
    """Return the Merkle leaf hash ``SHA-256(0x00 || leaf)``."""
    return hash_leaf(leaf)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise LeafFormatError("leaf has a duplicate object key")
    return dict(pairs)


def _reject_constant(name: str) -> None:
    raise LeafFormatError(f"leaf contains {name}, which JSON does not allow")


def parse_leaf(leaf: bytes) -> tuple[dict[str, Any], list[Signature]]:
    """Return ``(record, signatures)`` from leaf bytes, which must be canonical."""
    try:
        doc = json.loads(leaf.decode("utf-8"), object_pairs_hook=_reject_duplicates, parse_constant=_reject_constant)
    except (UnicodeDecodeError, ValueError) as exc:
        raise LeafFormatError(f"leaf is not UTF-8 JSON: {exc}") from None
    if not isinstance(doc, dict) or set(doc) != {"record", "signatures"}:
        raise LeafFormatError("leaf must be an object with exactly record and signatures")
    if not isinstance(doc["record"], dict):
        raise LeafFormatError("leaf record must be a JSON object")
    signatures = _check_signatures(doc["signatures"])
    # The leaf hash covers these exact bytes; insisting on the canonical form means the
    # record a reader sees is the one that was signed and hashed, with no second spelling.
    try:
        again = canonical(doc)
    except LedgerError as exc:
        raise LeafFormatError(f"leaf has no canonical form: {exc}") from None
    if again != leaf:
        raise LeafFormatError("leaf is not in RFC 8785 canonical form")
    return doc["record"], signatures


def parse_leaf_fast(leaf: bytes) -> tuple[dict[str, Any], list[Signature]]:
    """``parse_leaf`` for reading many leaves (the audit): one C-speed parse and re-encode.

    A leaf that is not plainly canonical (duplicate keys, floats, integers beyond ±(2^53 − 1),
    keys that JCS sorts in UTF-16 order, anything malformed) goes through ``parse_leaf``, which
    says exactly what is wrong; both accept and refuse the same leaves.
    """
    try:
        doc = json.loads(leaf, parse_float=Decimal, parse_constant=_reject_constant)
    except (ValueError, LeafFormatError):
        doc = None
    if (type(doc) is dict and doc.keys() == {"record", "signatures"} and type(doc["record"]) is dict
            and matches_canonical(doc, leaf)):
        return doc["record"], _check_signatures(doc["signatures"])
    return parse_leaf(leaf)
