"""The grammar of numbers and text in records, and their one canonical form.

Pure (standard library only), so the service, the scanner client and a verifier agree on it.

Numbers (quantities, measurements): a JSON number or a string in JSON's number syntax
(``-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?``, no spaces, no ``_``, no ``NaN`` or
``Infinity``) whose value has at most 15 digits before the point and 9 after it, leading
and trailing zeros not counted; exponent notation is fine within that range. The canonical
form is the plain decimal string: no exponent, no trailing zeros after the point, no point
when the value is whole, no ``-0`` (``"1.50E1"``, ``15`` and ``"15.0"`` are all ``"15"``).

Text: a string of at most ``max_len`` characters with no control characters other than tab
and line feed (so no NUL, no CR, no DEL, no C1 controls) and no lone surrogates. Fields that
take text typed into a browser's multi-line box also accept CR. Nothing is stripped: text
outside the grammar is refused.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from trace.ledger.errors import LedgerError

MAX_INTEGER_DIGITS = 15
MAX_FRACTION_DIGITS = 9
# Longer literals cannot be inside the grammar but for padding zeros; refused before parsing.
MAX_LITERAL_LENGTH = 64
# Already canonical and inside the bounds: the common case, answered without building a Decimal.
_CANONICAL = re.compile(r"-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{0,8}[1-9])?\Z")
NUMBER_SYNTAX = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")
# C0 controls but tab and LF, DEL, C1 controls, and surrogates (only lone ones reach a str).
_FORBIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_FORBIDDEN_MULTILINE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


class GrammarError(LedgerError, ValueError):
    """A number or a text is outside the records' grammar (the message is in Chinese and English)."""


def _out_of_range(value: Any) -> GrammarError:
    shown = str(value)
    shown = shown if len(shown) <= 40 else shown[:37] + "..."
    return GrammarError(
        f"数字超出范围：小数点前最多 {MAX_INTEGER_DIGITS} 位、后最多 {MAX_FRACTION_DIGITS} 位（{shown}）。"
        f" The number {shown} has more than {MAX_INTEGER_DIGITS} digits before the point"
        f" or {MAX_FRACTION_DIGITS} after it."
    )


def canonical_decimal(value: str | int | Decimal) -> str:
    """Return a number's canonical form, or raise ``GrammarError`` if it is outside the grammar.

    Accepts a string, an int or a Decimal; never a binary float (parse JSON with ``loads_exact``).
    """
    if isinstance(value, str):
        if _CANONICAL.match(value) and value != "-0":
            return value
        if len(value) > MAX_LITERAL_LENGTH:
            raise _out_of_range(value)
        if not NUMBER_SYNTAX.match(value):
            raise GrammarError(f"不是十进制数：{value[:40]!r}。 Not a decimal number: {value[:40]!r}.")
        number = Decimal(value)
    elif isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise GrammarError(
            f"数字须为字符串或 JSON 数字。 A number is a string or a JSON number, not {type(value).__name__}."
        )
    elif isinstance(value, int):
        if abs(value) >= 10**MAX_INTEGER_DIGITS:
            raise _out_of_range(value)
        return str(value)
    else:
        number = value
        if number.is_finite() and abs(number.adjusted()) <= MAX_INTEGER_DIGITS:  # "f" cannot run long
            text = format(number, "f")
            if _CANONICAL.match(text) and text != "-0":
                return text
        if not number.is_finite():
            raise GrammarError(f"不是有限的数：{number}。 Not a finite number: {number}.")
    sign, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # finite
    end = len(digits)
    while end > 1 and digits[end - 1] == 0:  # trailing zeros are not digits of the value
        end -= 1
    exponent += len(digits) - end
    digits = digits[:end]
    if digits == (0,):
        return "0"
    if len(digits) + exponent > MAX_INTEGER_DIGITS or -exponent > MAX_FRACTION_DIGITS:
        raise _out_of_range(value)
    return format(Decimal((sign, digits, exponent)), "f")


def parse_decimal(value: str | int | Decimal) -> Decimal:
    """Return a number inside the grammar as an exact Decimal (its canonical value)."""
    return Decimal(canonical_decimal(value))


def is_canonical_decimal(value: Any) -> bool:
    """Tell whether a value is a number already written in canonical form (a string)."""
    if not isinstance(value, str):
        return False
    try:
        return canonical_decimal(value) == value
    except GrammarError:
        return False


def check_text(value: Any, max_len: int, *, multiline: bool = False) -> str:
    """Return the text unchanged, or raise ``GrammarError`` if it is outside the grammar.

    ``multiline``: the field takes text from a browser's multi-line box, which sends CR LF.
    """
    if not isinstance(value, str):
        raise GrammarError("须为文本。 Not a text.")
    if len(value) > max_len:
        raise GrammarError(f"文本过长：最多 {max_len} 个字符。 Longer than maximum length {max_len}.")
    bad = (_FORBIDDEN_MULTILINE if multiline else _FORBIDDEN).search(value)
    if bad is not None:
        code = ord(bad.group())
        what = "孤立代理项" if 0xD800 <= code <= 0xDFFF else "控制字符"
        raise GrammarError(
            f"文本含有不允许的{what} U+{code:04X}（位置 {bad.start()}）。"
            f" The text holds a character that is not allowed, U+{code:04X}, at {bad.start()}."
        )
    return value


MAX_SAFE_INTEGER = 2**53 - 1  # JCS writes numbers as IEEE doubles: a larger integer cannot be signed exactly


def unsafe_integer_at(value: Any, path: str = "") -> str | None:
    """Return where a JSON document holds an integer JCS cannot write exactly (beyond ±(2**53 − 1)), or None."""
    pending: list[tuple[Any, str]] = [(value, path)]
    while pending:
        item, where = pending.pop()
        if type(item) is int and abs(item) > MAX_SAFE_INTEGER:
            return where or "/"
        if isinstance(item, dict):
            pending.extend((v, f"{where}/{k}") for k, v in item.items())
        elif isinstance(item, list):
            pending.extend((v, f"{where}/{i}") for i, v in enumerate(item))
    return None


def _json_number(literal: str) -> int | Decimal:
    """Parse a JSON number literal exactly; refuse one no grammar could hold before building it."""
    if len(literal) > MAX_LITERAL_LENGTH:
        raise _out_of_range(literal)
    if "." in literal or "e" in literal or "E" in literal:
        number = Decimal(literal)
        if abs(number.adjusted()) > MAX_LITERAL_LENGTH:  # e.g. 1e50000000: a 50 MB string once written out
            raise _out_of_range(literal)
        return number
    return int(literal)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


def lone_surrogate_at(value: Any, path: str = "") -> str | None:
    """Return where (``a.0.b``) the first string or key holding a lone surrogate is, or None."""
    if isinstance(value, str):
        return path or "." if _SURROGATE.search(value) else None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        where = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and _SURROGATE.search(key):
            return where
        found = lone_surrogate_at(item, where)
        if found is not None:
            return found
    return None


def loads_exact(text: str | bytes) -> Any:
    """Parse JSON with numbers as ints and Decimals, never binary floats, and no lone surrogates.

    Raises ``GrammarError`` for a number literal longer than 64 characters or with an exponent
    beyond ±64 (no field takes one) and for a ``\\uD800``-style escape not part of a pair (no
    text may hold one); ``ValueError`` for anything that is not JSON (NaN included).
    """
    try:
        doc = json.loads(text, parse_float=_json_number, parse_int=_json_number, parse_constant=_reject_constant)
    except InvalidOperation as exc:  # cannot happen for JSON's syntax; kept a ValueError all the same
        raise ValueError(str(exc)) from exc
    raw = text if isinstance(text, str) else text.decode("utf-8", "replace")
    if _SURROGATE_ESCAPE.search(raw):  # rare: only then walk the document
        where = lone_surrogate_at(doc)
        if where is not None:
            where = where.encode("utf-8", "backslashreplace").decode("utf-8")  # the message must be sendable
            raise GrammarError(f"文本含有孤立代理项（{where}）。 A text holds a lone surrogate, at {where}.")
    return doc
