"""GS1 Digital Link URIs for batches and units: ``/01/{gtin14}/10/{lot}[/21/{serial}]``.

Values follow GS1 Digital Link URI Syntax 1.x: the GTIN as 14 digits with a valid check digit,
the lot (AI 10) and serial (AI 21) 1-20 characters of GS1 character set 82, percent-encoded in
the path except A-Z a-z 0-9 - . _ (the grammar's XCHAR). Parsing takes the raw, still
percent-encoded path (WSGI ``RAW_URI``/``REQUEST_URI``, not Flask's decoded ``request.path``):
a lot may hold an encoded "/" that decoding first would turn into a path separator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from biip import ParseError
from biip.gs1_element_strings import GS1ElementString

from trace.codes.gtin import gs1_check_digit

MALFORMED = "malformed"
CHECK_DIGIT = "check_digit"
AI_VALUE = "ai_value"
AI_GTIN, AI_LOT, AI_SERIAL = "01", "10", "21"
MAX_LENGTH = {AI_LOT: 20, AI_SERIAL: 20}
_NAMES = {AI_GTIN: "GTIN", AI_LOT: "lot", AI_SERIAL: "serial"}
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


class DigitalLinkError(ValueError):
    """A Digital Link path or value is not acceptable; reason says which rule it broke."""

    def __init__(self, message: str, *, reason: str, ai: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason  # MALFORMED, CHECK_DIGIT or AI_VALUE
        self.ai = ai


@dataclass(frozen=True)
class DigitalLinkPath:
    """The GS1 keys of a Digital Link path: GTIN (14 digits), lot and optional serial."""

    gtin: str
    lot: str
    serial: str | None = None

    @property
    def path(self) -> str:
        """Return the canonical, percent-encoded path."""
        path = f"/{AI_GTIN}/{self.gtin}/{AI_LOT}/{_encode(self.lot)}"
        if self.serial is not None:
            path += f"/{AI_SERIAL}/{_encode(self.serial)}"
        return path


def digital_link_url(base_url: str, gtin: str, lot: str, serial: str | None = None) -> str:
    """Return ``{base_url}/01/{gtin14}/10/{lot}[/21/{serial}]``, values checked and encoded.

    gtin may have 8, 12, 13 or 14 digits; it is written as 14.
    """
    parts = urlsplit(base_url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise DigitalLinkError(f"not an http(s) base URL: {base_url!r}", reason=MALFORMED)
    if parts.query or parts.fragment:
        raise DigitalLinkError("the base URL cannot have a query or fragment", reason=MALFORMED)
    key = DigitalLinkPath(
        gtin=_check_gtin(gtin, lengths=(8, 12, 13, 14)),
        lot=_check_value(AI_LOT, lot),
        serial=None if serial is None else _check_value(AI_SERIAL, serial),
    )
    return base_url.rstrip("/") + key.path


def parse_digital_link_path(path: str) -> DigitalLinkPath:
    """Return the keys in a raw ``/01/{gtin14}/10/{lot}[/21/{serial}]`` path.

    Raises DigitalLinkError with reason MALFORMED (wrong shape, stray query, bad escape),
    CHECK_DIGIT (the GTIN's last digit does not match) or AI_VALUE (a value too long, empty,
    of the wrong length, or outside GS1 character set 82).
    """
    if "?" in path or "#" in path:
        raise DigitalLinkError("pass the path alone, without query or fragment", reason=MALFORMED)
    segments = path.split("/")
    if segments[0] != "" or len(segments) not in (5, 7):
        raise DigitalLinkError("expected /01/{gtin}/10/{lot} or /01/{gtin}/10/{lot}/21/{serial}", reason=MALFORMED)
    expected = [AI_GTIN, AI_LOT, AI_SERIAL][: (len(segments) - 1) // 2]
    found = segments[1::2]
    if found != expected:
        raise DigitalLinkError(
            f"expected AIs {'/'.join(expected)} in that order, got {'/'.join(found)}",
            reason=MALFORMED,
        )
    values = [_decode(ai, raw) for ai, raw in zip(found, segments[2::2], strict=True)]
    return DigitalLinkPath(
        gtin=_check_gtin(values[0], lengths=(14,)),
        lot=_check_value(AI_LOT, values[1]),
        serial=_check_value(AI_SERIAL, values[2]) if len(values) == 3 else None,
    )


def _encode(value: str) -> str:
    # quote() leaves A-Z a-z 0-9 - . _ ~ alone; "~" is not in character set 82 anyway.
    return quote(value, safe="")


def _decode(ai: str, raw: str) -> str:
    if not raw:
        raise DigitalLinkError(f"the {_NAMES[ai]} is empty", reason=AI_VALUE, ai=ai)
    if _BAD_ESCAPE.search(raw):
        raise DigitalLinkError(f"bad percent-escape in the {_NAMES[ai]}: {raw!r}", reason=MALFORMED, ai=ai)
    try:
        return unquote(raw, errors="strict")
    except UnicodeDecodeError as exc:
        raise DigitalLinkError(f"the {_NAMES[ai]} is not valid UTF-8 once decoded", reason=AI_VALUE, ai=ai) from exc


def _check_gtin(value: str, lengths: tuple[int, ...]) -> str:
    if not value.isascii() or not value.isdigit() or len(value) not in lengths:
        allowed = ", ".join(map(str, lengths))
        raise DigitalLinkError(f"a GTIN here has {allowed} digits, got {value!r}", reason=AI_VALUE, ai=AI_GTIN)
    if gs1_check_digit(value[:-1]) != int(value[-1]):
        raise DigitalLinkError(
            f"the GTIN check digit of {value} should be {gs1_check_digit(value[:-1])}",
            reason=CHECK_DIGIT,
            ai=AI_GTIN,
        )
    return value.zfill(14)


def _check_value(ai: str, value: str) -> str:
    name, limit = _NAMES[ai], MAX_LENGTH[ai]
    if not 1 <= len(value) <= limit:
        raise DigitalLinkError(f"a {name} has 1 to {limit} characters, got {len(value)}", reason=AI_VALUE, ai=ai)
    try:
        GS1ElementString.parse(ai + value)  # the AI's pattern: character set 82, length
    except ParseError as exc:
        raise DigitalLinkError(
            f"the {name} {value!r} has characters outside GS1 character set 82",
            reason=AI_VALUE,
            ai=ai,
        ) from exc
    return value
