"""Standard padded base64 (RFC 4648 section 4), decoded strictly so each value has one spelling."""

from __future__ import annotations

import base64
import binascii

from trace.ledger.errors import LedgerError


def b64encode(raw: bytes) -> str:
    """Encode bytes as standard padded base64 text."""
    return base64.b64encode(raw).decode("ascii")


def b64decode_strict(text: object, error: type[LedgerError], what: str) -> bytes:
    """Decode standard padded base64, raising ``error`` on anything non-canonical."""
    if not isinstance(text, str):
        raise error(f"{what} must be a base64 string")
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise error(f"{what} is not valid base64") from None
    # Non-zero padding bits decode fine but re-encode differently: reject them.
    if base64.b64encode(raw).decode("ascii") != text:
        raise error(f"{what} is not canonical base64")
    return raw
