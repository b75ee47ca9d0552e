"""RFC 8785 (JCS) canonical JSON, the byte form every signature and leaf is computed over.

The one place the project writes canonical JSON. The reference is the ``rfc8785`` library;
the fast path is orjson with sorted keys, used only where it writes exactly what rfc8785
writes (tests/ledger/test_jcs.py holds the two equal over any JSON value):

- strings: both escape ``"``, ``\\``, ``\\b \\f \\n \\r \\t`` and write other controls as
  lowercase ``\\u00xx``, everything else as UTF-8; both refuse lone surrogates;
- integers within ±(2^53 − 1), ``true``, ``false``, ``null``, lists: the same text;
- objects: JCS sorts keys by UTF-16 code units, orjson by code points. The two orders agree
  unless a key holds a character at or above U+D800, which ``is_plain`` sends to rfc8785;
- floats: orjson writes ``-0.0`` and ``1e16`` where JCS writes ``0`` and ``1e+16``, so any
  float goes to rfc8785 (records carry no floats: decimals are strings), as do integers beyond
  ±(2^53 − 1), which rfc8785 refuses.

orjson is optional: the ledger needs only the standard library, ``cryptography`` and
``rfc8785`` (an inspector's offline verifier), so orjson is imported on first use, and without
it every value takes the reference path.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import rfc8785

from trace.ledger.errors import CanonicalizationError

_MAX_SAFE = 2**53 - 1


@functools.cache
def _sorted_dumps() -> Callable[[Any], bytes] | None:
    """Return orjson's writer with sorted keys, or None where orjson is not installed."""
    try:
        import orjson  # imported here, not with the package: the verifier runs without it
    except ImportError:
        return None
    return functools.partial(orjson.dumps, option=orjson.OPT_SORT_KEYS)


def is_plain(value: Any) -> bool:
    """Tell whether the fast path writes the value exactly as JCS does (a loop, not recursion: it runs per record).

    Plain: str, bool, None, int within ±(2^53 − 1), and lists and dicts of plain values whose
    keys are strings below U+D800. Not cycle-safe on its own: ``plain_canonical`` writes first.
    """
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


def plain_canonical(obj: Any) -> bytes | None:
    """Return the canonical bytes of a plain value by the fast path, else None (then ask ``canonical``)."""
    dumps = _sorted_dumps()
    if dumps is None:
        return None
    try:
        # Written before is_plain walks the value: orjson refuses cycles, nesting beyond 254
        # levels and lone surrogates (JSONEncodeError is a TypeError).
        text = dumps(obj)
    except TypeError:
        return None
    return text if is_plain(obj) else None


def matches_canonical(obj: Any, text: bytes) -> bool:
    """Tell cheaply whether ``text`` is exactly the canonical form of ``obj``.

    ``True`` is exact. ``False`` means "not shown by the fast path": floats (parse them as
    Decimal, which this refuses), integers beyond ±(2^53 − 1) and keys at or above U+D800 need
    ``canonical()`` to tell.
    """
    return plain_canonical(obj) == text


def reference_canonical(obj: Any) -> bytes:
    """Return the canonical bytes from the reference rfc8785 implementation."""
    try:
        return rfc8785.dumps(obj)
    except rfc8785.CanonicalizationError as exc:
        raise CanonicalizationError(str(exc)) from exc
    except (TypeError, ValueError, RecursionError) as exc:
        # rfc8785 lets a few odd inputs (e.g. lone surrogates in keys, cycles) escape as plain errors.
        raise CanonicalizationError(f"cannot canonicalize value: {exc}") from exc


def canonical(obj: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON value."""
    text = plain_canonical(obj)
    return text if text is not None else reference_canonical(obj)


def string_text(value: str) -> str:
    """Return the canonical text of one string, quotes included, for writing a record piece by piece."""
    if not isinstance(value, str):
        raise TypeError(f"not a string: {type(value).__name__}")
    dumps = _sorted_dumps()
    if dumps is not None:
        try:
            return dumps(value).decode()
        except TypeError:  # a lone surrogate: rfc8785 says so below
            pass
    return reference_canonical(value).decode()
