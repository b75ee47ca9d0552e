"""Unified social credit codes (统一社会信用代码, GB 32100-2015) with their check character."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def uscc_check_character(first17: str) -> str:
    """Return the check character for the first 17 characters."""
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """Tell whether code is a well-formed unified social credit code."""
    if len(code) != 18 or any(c not in ALPHABET for c in code):
        return False
    return uscc_check_character(code[:17]) == code[17]
