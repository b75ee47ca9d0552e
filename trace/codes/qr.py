"""QR codes for lookup URLs: PNG, SVG and module matrices, made with the qrcode library.

Symbols use error correction M unless told Q, and the smallest version that holds the text.
URLs are made QR-friendly by uppercasing what is case-insensitive (scheme, host, the trace
code), so the whole text falls into QR alphanumeric mode (0-9 A-Z space $ % * + - . / :),
which packs 5.5 bits a character instead of 8: often a version smaller (a 13-character trace
code on https://trace.example.cn is version 3 at M either way, but version 3 instead of 4 at Q).
The service therefore routes both ``/t/<code>`` and ``/T/<code>`` to the lookup page.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

import qrcode
import qrcode.image.pil
import qrcode.image.svg
from qrcode import util as qr_util
from qrcode.exceptions import DataOverflowError

from trace.codes.qrengine import FastQRCode
from trace.codes.tracecode import parse_trace_code

ErrorCorrection = Literal["M", "Q"]
QUIET_ZONE = 4  # modules of light margin that ISO/IEC 18004 requires around a symbol
_EC_LEVELS = {"M": qrcode.constants.ERROR_CORRECT_M, "Q": qrcode.constants.ERROR_CORRECT_Q}
_MODE_NAMES = {
    qr_util.MODE_NUMBER: "numeric",
    qr_util.MODE_ALPHA_NUM: "alphanumeric",
    qr_util.MODE_8BIT_BYTE: "byte",
}


class QrError(ValueError):
    """A QR code or lookup URL cannot be made from the given input."""


@dataclass(frozen=True)
class QrSymbol:
    """A QR symbol's dark/light modules (no quiet zone) and how its data was encoded."""

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
    qr = _make(text, error_correction, border=border, box_size=box_size)
    image = qr.make_image(image_factory=qrcode.image.pil.PilImage)
    out = io.BytesIO()
    image.save(out)
    return out.getvalue()


def qr_svg(text: str, border: int = QUIET_ZONE, error_correction: ErrorCorrection = "M") -> str:
    """Return an SVG document (one path on a white background, 1 mm a module) for text."""
    qr = _make(text, error_correction, border=border, box_size=10)
    image = qr.make_image(image_factory=qrcode.image.svg.SvgPathFillImage)
    return image.to_string(encoding="unicode")


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


def _make(text: str, error_correction: ErrorCorrection, *, border: int, box_size: int) -> qrcode.QRCode:
    if error_correction not in _EC_LEVELS:
        raise QrError(f"error correction must be M or Q, got {error_correction!r}")
    if not text:
        raise QrError("nothing to encode")
    qr = FastQRCode(error_correction=_EC_LEVELS[error_correction], border=border, box_size=box_size)
    qr.add_data(text)
    try:
        qr.make(fit=True)
    except DataOverflowError as exc:
        raise QrError(f"{len(text)} characters are too many for a QR code at level {error_correction}") from exc
    return qr


@lru_cache(maxsize=4096)
def _cached_symbol(text: str, error_correction: ErrorCorrection) -> QrSymbol:
    qr = _make(text, error_correction, border=0, box_size=1)
    return QrSymbol(
        text=text,
        version=qr.version,
        error_correction=error_correction,
        modes=tuple(_MODE_NAMES[chunk.mode] for chunk in qr.data_list),
        modules=tuple(map(tuple, qr.modules)),
    )
