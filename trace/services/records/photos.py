"""Uploaded images: type from the content, a limit against decompression bombs, EXIF stripped, WebP derivatives.

Pillow reads the header first, so an image's size is known (and refused over ``MAX_PIXELS``)
before a pixel is decoded. What is stored is the image re-encoded without EXIF (GPS included),
XMP or text chunks, turned upright first by its EXIF orientation; the hash a record cites is that
of the stored file. Pages show WebP derivatives a few widths wide, made once at upload.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from trace.errors import UnsupportedMediaTypeError, ValidationError

MAX_PIXELS = 40_000_000
DERIVATIVE_WIDTHS = (240, 480, 960)
# Pillow's format name → the type stored; only these images are accepted.
IMAGE_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
PDF_MAGIC = b"%PDF-"


@dataclass(frozen=True)
class Sniffed:
    """An upload as its content says: its type, and for an image the cleaned bytes and size."""

    mime: str
    content: bytes
    width: int | None = None
    height: int | None = None


def sniff(content: bytes) -> Sniffed:
    """Return what the content is (PDF, JPEG, PNG or WebP), images cleaned; refuse anything else."""
    if content.startswith(PDF_MAGIC):
        return Sniffed("application/pdf", content)
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(content))
        except UnidentifiedImageError as exc:
            raise UnsupportedMediaTypeError("Attachments may be PDF, JPEG, PNG or WebP; the content is none of "
                                            "them.") from exc
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
            raise _too_large() from exc
        except (OSError, SyntaxError, ValueError) as exc:  # a known format, but its header is cut short or broken
            raise _damaged() from exc
        with image:
            mime = IMAGE_TYPES.get(image.format or "")
            if mime is None:
                raise UnsupportedMediaTypeError(f"Images may be JPEG, PNG or WebP; this one is {image.format}.")
            if image.width * image.height > MAX_PIXELS:
                raise _too_large()
            try:
                image.load()
                cleaned = _without_metadata(image)
            except (OSError, SyntaxError, ValueError) as exc:  # Pillow's ways of saying the file is broken
                raise _damaged() from exc
            except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
                raise _too_large() from exc
    return cleaned


def _damaged() -> ValidationError:
    return ValidationError("The image cannot be read.", errors={"file": ["Damaged or truncated image."]})


def _too_large() -> ValidationError:
    return ValidationError(f"Images may have at most {MAX_PIXELS // 1_000_000} megapixels.",
                           errors={"file": [f"At most {MAX_PIXELS:,} pixels."]})


def _without_metadata(image: Image.Image) -> Sniffed:
    """Return the image re-encoded upright, in its own format, with no EXIF, XMP or text (its colour profile kept)."""
    fmt = image.format or "PNG"
    upright = ImageOps.exif_transpose(image) or image
    upright = upright.copy() if upright is image else upright
    upright.info = {}  # nothing of the original's metadata rides along (JPEG comments, XMP, PNG text)
    if fmt == "JPEG" and upright.mode not in ("RGB", "L", "CMYK"):
        upright = upright.convert("RGB")
    options: dict[str, object] = {}
    icc = image.info.get("icc_profile")
    if icc:
        options["icc_profile"] = icc
    if fmt == "JPEG":
        options.update(quality=90, optimize=True)
    elif fmt == "WEBP":
        options.update(quality=90)
    out = io.BytesIO()
    upright.save(out, format=fmt, exif=b"", **options)
    return Sniffed(IMAGE_TYPES[fmt], out.getvalue(), upright.width, upright.height)


def derivative_path(original: Path, width: int) -> Path:
    """Return where the WebP derivative of an image at this width lives (next to the original)."""
    return original.with_name(f"{original.name}.w{width}.webp")


def derivative_widths(width: int | None) -> list[int]:
    """Return the derivative widths an image of this width has (never wider than itself; at least one)."""
    if not width:
        return []
    widths = [w for w in DERIVATIVE_WIDTHS if w < width]
    if len(widths) < len(DERIVATIVE_WIDTHS):
        widths.append(width)  # a small image's own width is its largest derivative
    return widths


def make_derivatives(original: Path) -> dict[int, Path]:
    """Write the image's WebP derivatives (each width once); return them by width."""
    made: dict[int, Path] = {}
    with Image.open(original) as image:
        image.load()
        rgb = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        for width in derivative_widths(image.width):
            target = derivative_path(original, width)
            if not target.exists():
                height = max(1, round(image.height * width / image.width))
                resized = rgb.resize((width, height), Image.Resampling.LANCZOS) if width != image.width else rgb
                tmp = target.with_suffix(".tmp")
                resized.save(tmp, format="WEBP", quality=72, method=4)
                tmp.replace(target)
            made[width] = target
    return made
