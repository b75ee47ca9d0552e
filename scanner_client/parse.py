"""What a scanner sent: a command code, or an item (trace code, unit serial, GS1 keys), or an error.

Scanners send the same symbol in many forms: with an AIM symbology identifier (``]Q1`` QR,
``]Q3`` GS1 QR, ``]C1`` GS1-128, ``]d2`` GS1 DataMatrix, ``]e0`` GS1 DataBar), with the GS
separator as the byte 0x1D or, from wedges that cannot type it, as ``|``; as our ``/t/`` and
``/T/`` URLs, GS1 Digital Link URIs, or raw codes. The GS character is kept: it is a separator
to the parser (``'\\x1d'.isspace()`` is True, so ``str.strip`` must never see it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import biip

from scanner_client.codes import (
    PREFIX,
    Command,
    CommandError,
    code_is_valid,
    looks_like_code,
    normalize,
    parse_command,
)

GS = "\x1d"
_SYMBOLOGY = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_GS1_SYMBOLOGIES = {"]C1", "]d2", "]Q3", "]e0", "]J1"}
_BIIP = biip.ParseConfig(separator_chars=[GS, "|"])
_UNMARKED_GS1 = re.compile(r"^01[0-9]{14}")  # a GS1 element string without a symbology identifier
_OUR_PATH = re.compile(r"^/(?:[tT])/([^/?#]+)/?$")
_EDGES = " \r\n\t"  # what a wedge may leave around a symbol; never GS

BAD_CHECK, UNKNOWN, NO_LOT = "check", "unknown", "no_lot"


@dataclass(frozen=True)
class Item:
    """A scanned product identifier: a trace code or unit serial (``code``), or GS1 keys."""

    code: str | None = None
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None

    @property
    def key(self) -> str:
        """Return one string naming the item (for de-duplication and resolution)."""
        if self.code:
            return self.code
        return f"01/{self.gtin}/10/{self.lot}" + (f"/21/{self.serial}" if self.serial else "")


@dataclass(frozen=True)
class ScanError:
    """A scan that records nothing: ``reason`` is check (a check character or digit), unknown or no_lot."""

    reason: str
    detail: str


Scan = Command | Item | ScanError


def strip_edges(text: str) -> str:
    """Remove the line ending and spaces a wedge adds, keeping GS characters."""
    return text.strip(_EDGES)


def parse_scan(raw: str) -> Scan:
    """Return what a scanned line is."""
    text = strip_edges(raw)
    symbology = ""
    if _SYMBOLOGY.match(text):
        symbology, text = text[:3], text[3:]
    if not text:
        return ScanError(UNKNOWN, "empty")
    if text.upper().startswith(PREFIX):
        try:
            return parse_command(text)
        except CommandError:
            return ScanError(UNKNOWN, f"unknown command code {text[:40]!r}")
    if text.lower().startswith(("http://", "https://")):
        return _url(text)
    if symbology in _GS1_SYMBOLOGIES or GS in text or "|" in text or _UNMARKED_GS1.match(text):
        return _element_string(text)
    if text.isdigit() and len(text) in (8, 12, 13, 14):  # EAN/UPC: digits only (a trace code almost never is)
        gtin = biip.parse(text, config=_BIIP)
        if gtin.gtin is None:
            return ScanError(BAD_CHECK, gtin.gtin_error or f"check digit of {text} does not match")
        return ScanError(NO_LOT, "a product barcode (GTIN) names no batch")
    if looks_like_code(text):
        if code_is_valid(text):
            return Item(code=normalize(text))
        return ScanError(BAD_CHECK, f"check character of {normalize(text)} does not match")
    return ScanError(UNKNOWN, f"not a code this client knows: {text[:40]!r}")


def _url(text: str) -> Scan:
    path = urlsplit(text).path
    ours = _OUR_PATH.match(path)
    if ours:
        code = unquote(ours.group(1))
        if code_is_valid(code):
            return Item(code=normalize(code))
        if looks_like_code(code):
            return ScanError(BAD_CHECK, f"check character of {normalize(code)} does not match")
        return ScanError(UNKNOWN, f"not a trace code: {code[:40]!r}")
    result = biip.parse(text, config=_BIIP)
    if result.gs1_digital_link_uri is None:
        return ScanError(UNKNOWN, f"not a Digital Link URI: {text[:60]!r}")
    return _keys({e.ai.ai: e for e in result.gs1_digital_link_uri.element_strings})


def _element_string(text: str) -> Scan:
    result = biip.parse(text, config=_BIIP)
    if result.gs1_message is None:
        if result.gtin_error and "check digit" in result.gtin_error.lower():
            return ScanError(BAD_CHECK, result.gtin_error)
        return ScanError(UNKNOWN, result.gs1_message_error or "not a GS1 element string")
    return _keys({e.ai.ai: e for e in result.gs1_message.element_strings})


def _keys(elements: dict[str, Any]) -> Scan:
    gtin = elements.get("01")
    if gtin is None:
        return ScanError(UNKNOWN, "no GTIN (AI 01)")
    error = gtin.gtin_error
    if error:
        return ScanError(BAD_CHECK, str(error))
    lot = elements.get("10")
    serial = elements.get("21")
    if lot is None:
        return ScanError(NO_LOT, "no lot (AI 10): the symbol names a product, not a batch")
    return Item(gtin=str(gtin.value), lot=str(lot.value), serial=str(serial.value) if serial is not None else None)
