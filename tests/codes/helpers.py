"""Helpers for code tests: decode QR codes in images, SVGs and PDF pages."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pypdfium2 as pdfium
import zxingcpp
from PIL import Image, ImageDraw

DPI = 150
PX_PER_MM = DPI / 25.4
PT_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class Decoded:
    """One QR code zxing-cpp found: text, bounding box in pixels, version and EC level."""

    text: str
    left: float
    top: float
    right: float
    bottom: float
    version: int
    ec_level: str


def decode(image: Image.Image) -> list[Decoded]:
    """Return every QR code zxing-cpp finds in image."""
    found = []
    for barcode in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode):
        corners = [
            barcode.position.top_left,
            barcode.position.top_right,
            barcode.position.bottom_right,
            barcode.position.bottom_left,
        ]
        xs, ys = [p.x for p in corners], [p.y for p in corners]
        found.append(
            Decoded(
                barcode.text,
                min(xs),
                min(ys),
                max(xs),
                max(ys),
                int(barcode.extra["Version"]),
                barcode.extra["ECLevel"],
            )
        )
    return found


def png_image(data: bytes) -> Image.Image:
    """Return a PNG's pixels, loaded so no file stays open."""
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return image.copy()


def svg_image(svg: str, scale: int = 10) -> Image.Image:
    """Rasterise the SVGs qr_svg makes: a white rect and one path of unit-square subpaths."""
    root = ET.fromstring(svg)
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    image = Image.new("L", (round(width * scale), round(height * scale)), 0)  # black: must be painted
    draw = ImageDraw.Draw(image)
    namespace = "{http://www.w3.org/2000/svg}"
    (background,) = root.iter(f"{namespace}rect")
    assert background.attrib["fill"] == "white"
    draw.rectangle([0, 0, image.width, image.height], fill=255)
    (path,) = root.iter(f"{namespace}path")
    commands = path.attrib["d"]
    squares = re.findall(r"M([\d.]+),([\d.]+)H([\d.]+)V([\d.]+)H([\d.]+)z", commands)
    assert "".join(f"M{a},{b}H{c}V{d}H{e}z" for a, b, c, d, e in squares) == commands
    for x0, y0, x1, y1, x2 in squares:
        assert x2 == x0
        draw.rectangle([float(x0) * scale, float(y0) * scale, float(x1) * scale - 1, float(y1) * scale - 1], fill=0)
    return image


@contextmanager
def open_pdf(data: bytes) -> Iterator[pdfium.PdfDocument]:
    """Open a PDF from bytes and close it afterwards."""
    document = pdfium.PdfDocument(data)
    try:
        yield document
    finally:
        document.close()


def render(page: pdfium.PdfPage) -> Image.Image:
    """Return the page rendered at DPI, in greyscale."""
    return page.render(scale=DPI / 72).to_pil().convert("L")


def page_text(page: pdfium.PdfPage) -> str:
    """Return all text on the page."""
    text_page = page.get_textpage()
    try:
        return text_page.get_text_range()
    finally:
        text_page.close()


@dataclass(frozen=True)
class Char:
    """A drawn character and its box in mm from the page's top-left corner."""

    char: str
    left: float
    top: float
    right: float
    bottom: float


def page_chars(page: pdfium.PdfPage) -> list[Char]:
    """Return the visible characters on a page with their boxes (spaces and line breaks left out)."""
    _, height = page.get_size()
    text_page = page.get_textpage()
    try:
        chars = []
        for i in range(text_page.count_chars()):
            char = text_page.get_text_range(i, 1)
            if not char.strip():
                continue
            left, bottom, right, top = text_page.get_charbox(i)
            chars.append(
                Char(
                    char, left / PT_PER_MM, (height - top) / PT_PER_MM, right / PT_PER_MM, (height - bottom) / PT_PER_MM
                )
            )
        return chars
    finally:
        text_page.close()


def crop_mm(image: Image.Image, left: float, top: float, right: float, bottom: float) -> Image.Image:
    """Return the part of a page image between mm coordinates."""
    return image.crop(
        (round(left * PX_PER_MM), round(top * PX_PER_MM), round(right * PX_PER_MM), round(bottom * PX_PER_MM))
    )


def dark_share(image: Image.Image) -> float:
    """Return the share of pixels darker than mid-grey."""
    histogram = image.convert("L").histogram()
    return sum(histogram[:128]) / max(1, sum(histogram))
