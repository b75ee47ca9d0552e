"""Canonical JSON and log leaves."""

from __future__ import annotations

import hashlib

import pytest

from trace.ledger import (
    CanonicalizationError,
    LeafFormatError,
    LedgerError,
    canonical,
    leaf_bytes,
    leaf_hash,
    parse_leaf,
)
from trace.ledger.records import signature_entry

from .helpers import make_record

KEY_ID = "ab" * 32
SIG = {"keyId": KEY_ID, "sig": "AAAA"}


def test_canonical_is_rfc8785() -> None:
    assert canonical({"b": [1, "x", None, True], "a": {"d": "é", "c": 1.5}}) == (
        '{"a":{"c":1.5,"d":"é"},"b":[1,"x",null,true]}'.encode()
    )
    # RFC 8785 section 3.2.3 example: keys sort by UTF-16 code units, so U+1F600 (a surrogate
    # pair, 0xD83D...) sorts before U+FB33 although its code point is larger.
    keys = ["\u20ac", "\r", "\ufb33", "1", "\U0001f600", "\u0080", "\u00f6"]
    assert canonical({k: i for i, k in enumerate(keys)}) == (
        '{"\\r":1,"1":3,"\u0080":5,"\u00f6":6,"\u20ac":0,"\U0001f600":4,"\ufb33":2}'.encode()
    )


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 2**60, {1: "int key"}, object()])
def test_canonical_errors_are_ledger_errors(value: object) -> None:
    with pytest.raises(CanonicalizationError) as excinfo:
        canonical(value)
    assert isinstance(excinfo.value, LedgerError)


def test_leaf_bytes_layout() -> None:
    leaf = leaf_bytes({"v": 1, "id": "x"}, [SIG])
    assert leaf == b'{"record":{"id":"x","v":1},"signatures":[{"keyId":"' + KEY_ID.encode() + b'","sig":"AAAA"}]}'
    assert leaf_hash(leaf) == hashlib.sha256(b"\x00" + leaf).digest()


def test_parse_leaf_round_trip() -> None:
    record = make_record()
    sigs = [signature_entry(KEY_ID, bytes(64))]
    assert parse_leaf(leaf_bytes(record, sigs)) == (record, sigs)


@pytest.mark.parametrize(
    "leaf",
    [
        b'{"record": {}, "signatures": []}',  # not canonical
        b'{"signatures":[],"record":{}}',  # keys out of order
        b'{"record":{"a":1,"a":2},"signatures":[]}',
        b'{"extra":1,"record":{},"signatures":[]}',
        b'{"record":[],"signatures":[]}',
        b'{"record":{},"signatures":[{"keyId":"AB","sig":"AAAA"}]}',
        b'{"record":{},"signatures":[{"keyId":"' + KEY_ID.encode() + b'","sig":"A"}]}',
        b'{"record":{"x":NaN},"signatures":[]}',
        b'{"record":{"x":"\xff"},"signatures":[]}',
        b"[]",
        b"",
    ],
)
def test_parse_leaf_rejects_malformed(leaf: bytes) -> None:
    with pytest.raises(LeafFormatError):
        parse_leaf(leaf)


def test_leaf_bytes_rejects_bad_signatures() -> None:
    with pytest.raises(LeafFormatError, match="keyId"):
        leaf_bytes({}, [{"keyId": "xyz", "sig": "AAAA"}])
    with pytest.raises(LeafFormatError, match="exactly"):
        leaf_bytes({}, [{"keyId": KEY_ID}])
    with pytest.raises(LeafFormatError, match="canonical"):
        leaf_bytes({"x": float("nan")}, [])
