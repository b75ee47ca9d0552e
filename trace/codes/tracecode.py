"""Trace codes (追溯码): random Crockford base32 with a Damm check character.

A trace code is 12 random Crockford base32 characters (60 bits) followed by one check
character. The check character comes from the Damm algorithm over the quasigroup
``x * y = 2x XOR y`` in GF(32) (polynomial x^5 + x^2 + 1). That quasigroup is weakly totally
anti-symmetric, so every single-character substitution and every adjacent swap —
including swaps with the check character — is detected.
"""

from __future__ import annotations

import functools
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PAYLOAD_LENGTH = 12
LENGTH = PAYLOAD_LENGTH + 1
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
# Crockford's decoding leniency: readers confuse these when typing a printed code.
_VALUE.update({"O": 0, "I": 1, "L": 1})
_POLY = 0b100101


class TraceCodeError(ValueError):
    """A string is not a well-formed trace code."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


def _double(x: int) -> int:
    x <<= 1
    return x ^ _POLY if x & 0b100000 else x


def _interim(values: list[int]) -> int:
    state = 0
    for v in values:
        state = _double(state) ^ v
    return state


def check_character(payload: str) -> str:
    """Return the check character for a normalized payload."""
    return ALPHABET[_double(_interim([_VALUE[c] for c in payload]))]


def new_trace_code() -> str:
    """Return a fresh random trace code."""
    payload = "".join(secrets.choice(ALPHABET) for _ in range(PAYLOAD_LENGTH))
    return payload + check_character(payload)


def normalize(text: str) -> str:
    """Return the canonical form of a typed code (uppercase, no separators, O→0, I/L→1)."""
    cleaned = text.strip().upper().replace("-", "").replace(" ", "")
    return "".join(ALPHABET[_VALUE[c]] if c in _VALUE else c for c in cleaned)


@functools.lru_cache(maxsize=65536)  # a bulk request names the same batches again and again
def parse_trace_code(text: str) -> str:
    """Return the canonical trace code or raise TraceCodeError saying what is wrong."""
    code = normalize(text)
    if len(code) != LENGTH:
        raise TraceCodeError(f"a trace code has {LENGTH} characters, got {len(code)}", reason="length")
    bad = sorted({c for c in code if c not in _VALUE})
    if bad:
        raise TraceCodeError(f"characters not allowed in a trace code: {''.join(bad)}", reason="charset")
    if _interim([_VALUE[c] for c in code]) != 0:
        raise TraceCodeError("the check character does not match (a typo?)", reason="check")
    return code


def is_trace_code(text: str) -> bool:
    """Tell whether text is a valid trace code."""
    try:
        parse_trace_code(text)
    except TraceCodeError:
        return False
    return True
