"""Trace codes (Crockford base32 with a Damm check character) and the printed command codes.

The check character is computed here independently of the server; both sides are held to the
same vectors (tests/vectors/scanner.json).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import quote, unquote

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PAYLOAD_LENGTH = 12
LENGTH = PAYLOAD_LENGTH + 1
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_VALUE.update({"O": 0, "I": 1, "L": 1})  # Crockford's leniency for misread characters
_POLY = 0b100101  # x^5 + x^2 + 1


def _double(x: int) -> int:
    x <<= 1
    return x ^ _POLY if x & 0b100000 else x


def _damm(values: list[int]) -> int:
    state = 0
    for v in values:
        state = _double(state) ^ v
    return state


def check_character(payload: str) -> str:
    """Return the check character of a 12-character payload."""
    return ALPHABET[_double(_damm([_VALUE[c] for c in payload]))]


def normalize(text: str) -> str:
    """Return a code as canonical characters: uppercase, no dashes or spaces, O→0, I/L→1."""
    cleaned = text.strip().upper().replace("-", "").replace(" ", "")
    return "".join(ALPHABET[_VALUE[c]] if c in _VALUE else c for c in cleaned)


def looks_like_code(text: str) -> bool:
    """Tell whether text has a trace code's shape (length and alphabet), whatever its check character."""
    code = normalize(text)
    return len(code) == LENGTH and all(c in _VALUE for c in code)


def code_is_valid(text: str) -> bool:
    """Tell whether text is a trace code (or unit serial) with a matching check character."""
    return looks_like_code(text) and _damm([_VALUE[c] for c in normalize(text)]) == 0


def new_trace_code() -> str:
    """Return a fresh random trace code (60 random bits and the check character)."""
    payload = "".join(secrets.choice(ALPHABET) for _ in range(PAYLOAD_LENGTH))
    return payload + check_character(payload)


# --- command codes -------------------------------------------------------------------------------
# Printed by ``print-commands``; short uppercase ASCII so QR codes stay small.
PREFIX = "SYCMD:"
_PLAIN_DECIMAL = re.compile(r"^[0-9]{1,12}(?:\.[0-9]{1,6})?$")
MODES = ("receive", "store", "ship", "sell", "sample")
CHANNELS = ("online", "market", "supermarket", "wholesale", "restaurant", "other")
UNITS = ("KGM", "GRM", "TNE", "LTR", "MLT", "H87", "DZN", "BX", "BG", "CT", "PK", "HD")  # the server's Rec 20 set


@dataclass(frozen=True)
class Command:
    """A scanned command code: ``kind`` is mode, org, location, quantity, channel or clear."""

    kind: str
    value: str = ""
    name: str = ""  # what the sheet printed under it (organizations and locations)
    uom: str = ""


class CommandError(ValueError):
    """A command code that this client does not understand."""


def command_text(command: Command) -> str:
    """Return the text a command code's QR symbol holds."""
    if command.kind == "mode":
        return f"{PREFIX}MODE:{command.value.upper()}"
    if command.kind in ("org", "location"):
        tag = "ORG" if command.kind == "org" else "LOC"
        return f"{PREFIX}{tag}:{command.value}" + (f":{quote(command.name, safe='')}" if command.name else "")
    if command.kind == "quantity":
        return f"{PREFIX}QTY:{command.value}:{command.uom}"
    if command.kind == "channel":
        return f"{PREFIX}CH:{command.value.upper()}"
    if command.kind == "clear":
        return f"{PREFIX}CLEAR"
    raise CommandError(command.kind)


def parse_command(text: str) -> Command:
    """Return the command a scanned ``SYCMD:`` text holds, or raise CommandError."""
    parts = text[len(PREFIX):].split(":")
    tag = parts[0].upper()
    if tag == "MODE" and len(parts) == 2 and parts[1].lower() in MODES:
        return Command("mode", parts[1].lower())
    if tag in ("ORG", "LOC") and len(parts) in (2, 3) and parts[1].isdigit() and parts[1] != "0":
        return Command("org" if tag == "ORG" else "location", parts[1], unquote(parts[2]) if len(parts) == 3 else "")
    if tag == "QTY" and len(parts) == 3 and parts[2].upper() in UNITS:
        quantity = canonical_quantity(parts[1])
        if quantity is not None:
            return Command("quantity", quantity, uom=parts[2].upper())
    if tag == "CH" and len(parts) == 2 and parts[1].lower() in CHANNELS:
        return Command("channel", parts[1].lower())
    if tag == "CLEAR" and len(parts) == 1:
        return Command("clear")
    raise CommandError(text)


def canonical_quantity(text: str) -> str | None:
    """Return a positive decimal as the record writes it (no exponent, no trailing zeros), or None."""
    if not _PLAIN_DECIMAL.match(text):
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.000001")) or value >= 10**9:
        return None
    return format(value.normalize(), "f")
