"""GTIN validation (GS1 mod-10 check digit) and normalisation to 14 digits."""

from __future__ import annotations

VALID_LENGTHS = (8, 12, 13, 14)


class GtinError(ValueError):
    """A string is not a valid GTIN."""


def gs1_check_digit(digits: str) -> int:
    """Return the GS1 mod-10 check digit for the digits that precede it."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def normalize_gtin(text: str) -> str:
    """Return the GTIN as 14 digits or raise GtinError."""
    value = text.strip()
    if not value.isascii() or not value.isdigit():
        raise GtinError("a GTIN has digits only")
    if len(value) not in VALID_LENGTHS:
        raise GtinError("a GTIN has 8, 12, 13 or 14 digits")
    if gs1_check_digit(value[:-1]) != int(value[-1]):
        raise GtinError("the GTIN check digit does not match")
    return value.zfill(14)
