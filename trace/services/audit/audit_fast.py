"""The audit's fast path: an event row whose raw column values rebuild its signed bytes exactly.

The record is written piece by piece in JCS key order (``_record_text``), not built as a dict
and encoded with sorted keys: this runs once per log entry. When the pieces reproduce the signed
bytes around ``prev``, the row matches its record, the record is canonical, and the fields the
other checks need are known without parsing the leaf. Anything else returns None and the entry
goes the reference way (``audit_worker``); a test holds both ways equal on every kind of record.
"""

from __future__ import annotations

import datetime as dt
from binascii import a2b_base64, b2a_base64
from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson

from trace.ledger.errors import CanonicalizationError
from trace.ledger.jcs import matches_canonical, plain_canonical
from trace.ledger.jcs import string_text as _str
from trace.times import rfc3339

LEAF_HEAD = b'{"record":'
LEAF_SIGS = b',"signatures":['
# A signature object in canonical form: {"keyId":"<64 hex>","sig":"<88 base64>"}.
_SIG_OPEN, _SIG_MID, _SIG_CLOSE = b'{"keyId":"', b'","sig":"', b'"}'
_SIG_LEN = 10 + 64 + 9 + 88 + 2
NO_KEY: tuple[None, str, str, None] = (None, "", "", None)  # an unpublished key: verifier, name, role, org


@lru_cache(maxsize=4096)  # a request's records share their times; the value is hashable (text or datetime)
def _stamp(value: Any) -> str:
    """RFC 3339 of a raw time column: SQLite's text (naive UTC) or the driver's datetime; ValueError otherwise."""
    if type(value) is str:
        if len(value) == 26 and value[10] == " " and value[19] == ".":  # how SQLAlchemy writes SQLite times
            return value[:10] + "T" + (value[11:19] if value.endswith(".000000") else value[11:]) + "Z"
        value = dt.datetime.fromisoformat(value)
    if not isinstance(value, dt.datetime):
        raise ValueError(f"not a time: {value!r}")
    return rfc3339(value if value.tzinfo else value.replace(tzinfo=dt.UTC))


def quantity(value: Any) -> Decimal | None:
    """A raw quantity as the Numeric(20, 6) column type returns it."""
    if value is None or type(value) is Decimal:
        return value
    return Decimal(format(value, ".6f")) if isinstance(value, float | int) else Decimal(str(value))


def _signature_list(leaf: bytes, pos: int, keys: dict[str, Any]) -> list[tuple[str, bytes]] | None:
    """Read the leaf's signatures from ``pos`` to its closing ``]}`` when they are in canonical form, else None.

    None too when a device signed: it signs a view of the record, which the reference path builds.
    """
    end = len(leaf) - 2
    sigs = []
    while True:
        text = leaf[pos + 83 : pos + 171]
        if (leaf[pos : pos + 10] != _SIG_OPEN or leaf[pos + 74 : pos + 83] != _SIG_MID
                or leaf[pos + 171 : pos + _SIG_LEN] != _SIG_CLOSE):
            return None
        key_id = leaf[pos + 10 : pos + 74].decode("ascii", "replace")
        known = keys.get(key_id)
        if known is None:  # published key ids are lowercase hex; any other must be too
            if bytes.fromhex(key_id).hex() != key_id:
                return None
        elif known[2] == "device":
            return None
        raw = a2b_base64(text)
        if len(raw) != 64 or b2a_base64(raw, newline=False) != text:
            return None
        sigs.append((key_id, raw))
        pos += _SIG_LEN
        if pos == end:
            return sigs
        if leaf[pos : pos + 1] != b",":
            return None
        pos += 1


def canonical_text(value: Any) -> str:
    """JCS of a value the fast path of ``ledger.jcs`` writes; ValueError for the rest (the reference way)."""
    text = plain_canonical(value)
    if text is None:
        raise ValueError("not plain JSON")
    return text.decode()


def _column_json(value: Any) -> tuple[Any, str]:
    """A raw JSON column (text on SQLite, decoded by the PostgreSQL driver): its value and canonical text."""
    if type(value) is str:
        if value in _TRIVIAL:
            return _TRIVIAL[value]
        value = orjson.loads(value)
    return value, canonical_text(value)


_TRIVIAL: dict[str, tuple[Any, str]] = {"null": (None, "null"), "[]": ([], "[]"), "{}": ({}, "{}")}


def _lines_text(lines: list[Any], role: str) -> str | None:
    chosen = [
        '{"batch":' + _str(code) + ',"quantity":' + _str(format(amount.normalize(), "f")) + ',"uom":'
        + ("null" if uom is None else _str(uom)) + "}"
        for r, code, raw, uom in lines if r == role and (amount := quantity(raw)) is not None
    ]
    return "[" + ",".join(chosen) + "]" if chosen else None


def _record_text(row: Any, lines: list[Any]) -> tuple[str, str, dict[str, Any]]:
    """The canonical text of an event row's record, split where ``prev`` goes, and the fields the checks use.

    The same record as ``log.build_record`` (a test holds them equal), written piece by piece in
    JCS key order instead of built as a dict and encoded with sorted keys: this runs per entry.
    """
    attachments, attachments_text = _column_json(row[14])
    data, data_text = _column_json(row[12])
    location, location_text = _column_json(row[11])
    sensors, sensors_text = _column_json(row[13])
    recorded = _stamp(row[10])
    org = str(row[7])
    subjects = ",".join(_str(code) for role, code, _, _ in lines if role == "subject")
    head = (f'{{"actor":{_str(row[8])},"attachments":{attachments_text},"batches":[{subjects}],'
            f'"bizStep":{_str(row[6])},"data":{data_text},"id":{_str(row[4])}')
    moved = len(lines) > 1 or (lines and lines[0][0] != "subject")  # a transformation's inputs and outputs
    inputs = _lines_text(lines, "input") if moved else None
    if inputs:
        head += f',"inputs":{inputs}'
    if location:
        head += f',"location":{location_text}'
    head += f',"occurredAt":{_str(_stamp(row[9]))},"org":{_str(org)}'
    outputs = _lines_text(lines, "output") if moved else None
    if outputs:
        head += f',"outputs":{outputs}'
    head += ',"prev":'
    tail = f',"recordedAt":{_str(recorded)}'
    if sensors:
        tail += f',"sensors":{sensors_text}'
    tail += f',"stage":{_str(row[5])},"v":1}}'
    fields = {"org": org, "recordedAt": recorded, "stage": row[5], "attachments": attachments, "data": data}
    return head, tail, fields


def _split_leaf(leaf: bytes, keys: dict[str, Any]) -> tuple[bytes, list[tuple[str, bytes]]] | None:
    """Return a canonical leaf's signed record bytes and signatures; None for anything else.

    None too when a device signed: it signs a view of the record, which the reference path builds.
    """
    cut = leaf.rfind(LEAF_SIGS)
    if cut < 0 or not leaf.startswith(LEAF_HEAD) or not leaf.endswith(b"]}"):
        return None
    try:
        sigs = _signature_list(leaf, cut + len(LEAF_SIGS), keys)
    except ValueError:
        return None
    if sigs is None:
        return None
    return leaf[len(LEAF_HEAD) : cut], sigs


def fast_record(
    leaf: bytes, row: Any, lines: list[Any], keys: dict[str, Any]
) -> tuple[dict[str, Any], bytes, list[Any]] | None:
    """Return (the record's fields, signed bytes, signatures) when the raw row rebuilds the leaf exactly, else None."""
    split = _split_leaf(leaf, keys)
    if split is None:
        return None
    signed, sigs = split
    try:
        head, tail, fields = _record_text(row, lines)
    except (ValueError, TypeError, ArithmeticError, RecursionError, CanonicalizationError):
        return None
    start = head.encode()
    end = tail.encode()
    if len(signed) <= len(start) + len(end) or not signed.startswith(start) or not signed.endswith(end):
        return None
    middle = signed[len(start) : len(signed) - len(end)]
    try:
        prev = orjson.loads(middle)
    except ValueError:
        return None
    if not matches_canonical(prev, middle):
        return None
    fields["prev"] = prev
    return fields, signed, sigs


def fast_leaf(leaf: bytes, keys: dict[str, Any]) -> tuple[dict[str, Any], bytes, list[Any]] | None:
    """Return (record, signed bytes, signatures) of a leaf in canonical form, parsed by orjson; else None.

    For the audit of signatures and the log only, where no event row gives the record's fields.
    """
    split = _split_leaf(leaf, keys)
    if split is None:
        return None
    signed, sigs = split
    try:
        record = orjson.loads(signed)
    except ValueError:
        return None
    if type(record) is not dict or not matches_canonical(record, signed):
        return None
    return record, signed, sigs
