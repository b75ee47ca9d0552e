"""RFC 8785 (JCS) canonical JSON, the byte form every signature and leaf is computed over.

Records carry no binary floats (decimals are strings), and for such values JCS is exactly
what ``json.dumps`` writes with sorted keys, no whitespace and no ASCII escaping: the same
string escapes (``\\"``, ``\\\\``, ``\\b \\f \\n \\r \\t`` and lowercase ``\\u00xx`` for other
controls) and the same integers. Key order differs only where keys hold characters at or
above U+D800 (JCS sorts UTF-16 code units, Python code points). So values that are free of
floats, of integers beyond ±(2^53 − 1) and of such keys take the fast path; the rest go to
the reference implementation.
"""

from __future__ import annotations

import json
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

import rfc8785

from trace.ledger.errors import CanonicalizationError

_MAX_SAFE = 2**53 - 1
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False,
                           check_circular=True).encode


def _no_default(value: Any) -> Any:
    raise TypeError(f"{type(value).__name__} is not JSON")


# For values is_plain accepts (no floats, no cycles: they come from JSON text or from records),
# the C encoder called directly; JSONEncoder.encode rebuilds it on every call.
_c_encode = (c_make_encoder(None, _no_default, encode_basestring, None, ":", ",", True, False, False)
             if c_make_encoder is not None else None)


def is_plain(value: Any) -> bool:
    """Tell whether json.dumps writes the value exactly as JCS does (a loop, not recursion: it runs per record)."""
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is int:
            if not -_MAX_SAFE <= item <= _MAX_SAFE:
                return False
        elif kind is dict:
            for key in item:
                if type(key) is not str or not (key.isascii() or max(key) < "\ud800"):
                    return False
            pending.extend(item.values())
        elif kind is list:
            pending.extend(item)
        else:
            return False
    return True


def plain_text(obj: Any) -> str:
    """Return the canonical text of a value ``is_plain`` accepts (it is not checked here)."""
    return "".join(_c_encode(obj, 0)) if _c_encode is not None else _encode(obj)


def plain_canonical_text(obj: Any) -> str | None:
    """Return the canonical text of a value that json.dumps writes as JCS does, else None (ask canonical())."""
    try:
        return plain_text(obj) if is_plain(obj) else None
    except (TypeError, ValueError, RecursionError):
        return None


def matches_canonical(obj: Any, text: bytes) -> bool:
    """Tell cheaply whether ``text`` is the canonical form of ``obj``, for values parsed from ``text``.

    ``True`` only when json.dumps writes exactly ``text``: right for float-free values (parse
    floats as Decimal, which this refuses) whose integers are within ±(2^53 − 1); ``False``
    means "ask canonical()", not "not canonical" (keys above U+D800 sort differently).
    """
    try:
        return _encode(obj).encode("utf-8", "surrogatepass") == text
    except (TypeError, ValueError, RecursionError):
        return False


def reference_canonical(obj: Any) -> bytes:
    """Return the canonical bytes from the reference rfc8785 implementation."""
    try:
        return rfc8785.dumps(obj)
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalizationError(str(exc)) from exc
    except (TypeError, ValueError, RecursionError) as exc:
        # rfc8785 lets a few odd inputs (e.g. NaN keys, cycles) escape as plain errors.
        raise CanonicalizationError(f"cannot canonicalize value: {exc}") from exc


def canonical(obj: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON value."""
    try:
        if is_plain(obj):
            return plain_text(obj).encode("utf-8", "surrogatepass")
    except RecursionError:
        pass
    return reference_canonical(obj)
