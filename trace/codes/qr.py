"""QR codes for lookup URLs: PNG, SVG and module matrices, encoded by zxing-cpp's writer.

Symbols use error correction M unless told Q; the writer (zxing-cpp on libzint, public API
``zxingcpp.create_barcode``) picks the smallest version that holds the text, the segments
and the mask. URLs are made QR-friendly by uppercasing what is case-insensitive (scheme, host,
the trace code), so the whole text falls into QR alphanumeric mode (0-9 A-Z space $ % * + - . / :),
which packs 5.5 bits a character instead of 8: often a version smaller (a 13-character trace
code on https://trace.example.cn is version 3 at M either way, but version 3 instead of 4 at Q).
The service therefore routes both ``/t/<code>`` and ``/T/<code>`` to the lookup page.

Quiet zones are ours (``QUIET_ZONE`` modules, ISO/IEC 18004): symbols come without one, and
PNG, SVG and PDF drawings add it.

Character sets are the writer's too: ASCII as is, CJK in Kanji mode (Shift JIS) or with ECI 26
(UTF-8), but characters of ISO-8859-1's upper half (é, ¡) as single bytes with no ECI, the
standard's default, which some readers take for another charset. Lookup URLs are ASCII.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import zxingcpp
from PIL import Image, ImageOps

from trace.codes.tracecode import parse_trace_code

ErrorCorrection = Literal["M", "Q"]
QUIET_ZONE = 4  # modules of light margin that ISO/IEC 18004 requires around a symbol
_EC_LEVELS: frozenset[str] = frozenset({"M", "Q"})
_NUMERIC = frozenset("0123456789")
_ALPHANUMERIC = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
_DARK = bytes([1] + [0] * 255)  # the writer's pixels: 0 dark, 255 light; as module flags


class QrError(ValueError):
    """A QR code or lookup URL cannot be made from the given input."""


@dataclass(frozen=True)
class QrSymbol:
    """A QR symbol's dark/light modules (no quiet zone), its version and error correction level.

    ``modes`` names the narrowest QR character set that holds all of the text: ``numeric``,
    ``alphanumeric``, else ``byte``. The writer chooses its own segments (zxing-cpp does not
    report them); a text in one set never needs a wider mode, and the symbol's version shows
    what the choice saved.
    """

    text: str
    version: int
    error_correction: ErrorCorrection
    modes: tuple[str, ...]
    modules: tuple[tuple[bool, ...], ...]

    @property
    def size(self) -> int:
        """Return the number of modules on a side, quiet zone excluded."""
        return len(self.modules)


def qr_symbol(text: str, error_correction: ErrorCorrection = "M") -> QrSymbol:
    """Return the smallest QR symbol that encodes text."""
    return _cached_symbol(text, error_correction)


def qr_png(text: str, box_size: int = 10, border: int = QUIET_ZONE, error_correction: ErrorCorrection = "M") -> bytes:
    """Return a 1-bit PNG of the QR code for text, box_size pixels a module."""
    drawn = Image.fromarray(_encode(text, error_correction).to_image(scale=box_size, add_quiet_zones=False))
    image = ImageOps.expand(drawn, border=border * box_size, fill=255).convert("1")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def qr_svg(text: str, border: int = QUIET_ZONE, error_correction: ErrorCorrection = "M") -> str:
    """Return an SVG document (one path on a white background, 1 mm a module) for text."""
    modules = qr_symbol(text, error_correction).modules
    side = len(modules) + 2 * border
    runs = []
    for row, line in enumerate(modules):
        col = 0
        while col < len(line):
            if not line[col]:
                col += 1
                continue
            start = col
            while col < len(line) and line[col]:
                col += 1
            x, y = start + border, row + border
            runs.append(f"M{x},{y}H{col + border}V{y + 1}H{x}z")
    return (f'<svg width="{side}mm" height="{side}mm" version="1.1" viewBox="0 0 {side} {side}" '
            f'xmlns="http://www.w3.org/2000/svg"><rect fill="white" x="0" y="0" width="100%" height="100%" />'
            f'<path d="{"".join(runs)}" fill="#000000" fill-rule="nonzero" stroke="none" /></svg>')


def qr_friendly_url(url: str) -> str:
    """Return url with its scheme and ASCII host uppercased; path, query and userinfo kept.

    Scheme and host are case-insensitive (RFC 3986 §3.1, §3.2.2), so the URL still leads to
    the same place, and an all-uppercase URL encodes in QR alphanumeric mode.
    """
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise QrError(f"not an absolute URL: {url!r}")
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if hostport.isascii():
        hostport = hostport.upper()
    return urlunsplit((parts.scheme.upper(), userinfo + at + hostport, parts.path, parts.query, parts.fragment))


def lookup_url(public_url: str, code: str) -> str:
    """Return the QR-friendly lookup URL ``{PUBLIC_URL}/T/{CODE}`` for a trace code.

    A path prefix on public_url is kept as it is (paths are case-sensitive); the service
    answers on both ``/t/`` and ``/T/``.
    """
    canonical = parse_trace_code(code)
    base = public_url.rstrip("/")
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https", "HTTP", "HTTPS") or parts.query or parts.fragment:
        raise QrError(f"the public URL must be http(s) without query or fragment: {public_url!r}")
    return f"{qr_friendly_url(base)}/T/{canonical}"


def _encode(text: str, error_correction: ErrorCorrection) -> zxingcpp.Barcode:
    """Return the writer's QR symbol for text at the level asked, the library choosing version, segments and mask."""
    if error_correction not in _EC_LEVELS:
        raise QrError(f"error correction must be M or Q, got {error_correction!r}")
    if not text:
        raise QrError("nothing to encode")
    try:
        barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level=error_correction)
    except ValueError as exc:  # e.g. "Input too long for ECC level M"
        raise QrError(f"{len(text)} characters are too many for a QR code at level {error_correction}: {exc}") from exc
    if barcode.ec_level != error_correction:  # the design asks for M or Q exactly, never a boosted level
        raise QrError(f"the QR writer chose level {barcode.ec_level}, not {error_correction}")
    return barcode


def _text_mode(text: str) -> str:
    chars = set(text)
    return "numeric" if chars <= _NUMERIC else "alphanumeric" if chars <= _ALPHANUMERIC else "byte"


@lru_cache(maxsize=4096)
def _cached_symbol(text: str, error_correction: ErrorCorrection) -> QrSymbol:
    image = _encode(text, error_correction).to_image(scale=1, add_quiet_zones=False)
    height, size = image.shape
    flags = bytes(memoryview(image)).translate(_DARK)  # type: ignore[arg-type]  # the stub omits its buffer protocol
    if height != size or (size - 17) % 4 or not 1 <= (size - 17) // 4 <= 40:
        raise QrError(f"the QR writer made a {size}x{height} matrix, not a QR symbol")
    return QrSymbol(
        text=text,
        version=(size - 17) // 4,  # ISO/IEC 18004: a version-v symbol is 17 + 4v modules a side
        error_correction=error_correction,
        modes=(_text_mode(text),),
        modules=tuple(tuple(map(bool, flags[row : row + size])) for row in range(0, size * size, size)),
    )
