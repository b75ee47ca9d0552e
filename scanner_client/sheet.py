"""The printed command sheet: QR codes for modes, counterparts, locations, quantities and channels (zh + en)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import zxingcpp
from fpdf import FPDF
from PIL import Image

from scanner_client.codes import CHANNELS, MODES, UNITS, Command, canonical_quantity, command_text
from scanner_client.device import Device
from scanner_client.i18n import MESSAGES, Words

FONT = Path(__file__).resolve().parent / "fonts" / "NotoSansSC-GB2312.ttf"
FAMILY = "NotoSansSC"
COLUMNS, CELL_W, CELL_H, QR_MM = 4, 45.0, 44.0, 32.0
MARGIN = 15.0
DEFAULT_QUANTITIES = ("1:KGM", "5:KGM", "10:KGM", "25:KGM", "50:KGM", "1:H87", "10:H87", "1:CT")
UNIT_NAMES = {"KGM": "千克 kg", "GRM": "克 g", "TNE": "吨 t", "LTR": "升 L", "MLT": "毫升 mL", "H87": "件 pcs",
              "DZN": "打 dozen", "BX": "箱 box", "BG": "袋 bag", "CT": "纸箱 carton", "PK": "包 pack", "HD": "头 head"}


def _pairs(values: list[str], what: str) -> list[tuple[str, str]]:
    out = []
    for value in values:
        ident, _, name = value.partition("=")
        if not ident.isdigit():
            raise SystemExit(f"--{what} takes ID=NAME, not {value!r}")
        out.append((ident, name or f"#{ident}"))
    return out


def sheet_sections(words: Words, counterparts: list[tuple[str, str]], locations: list[tuple[str, str]],
                   quantities: list[str]) -> list[tuple[str, list[tuple[str, str]]]]:
    """Return the sheet's sections: a bilingual title and (code text, bilingual caption) cells."""
    both = words.both
    modes = [(command_text(Command("mode", m)), both(m)) for m in MODES]
    modes.append((command_text(Command("clear")), both("clear")))
    sections = [(both("sheet_modes"), modes)]
    if counterparts:
        sections.append((both("sheet_orgs"), [(command_text(Command("org", i, n)), n) for i, n in counterparts]))
    if locations:
        sections.append((both("sheet_locations"),
                         [(command_text(Command("location", i, n)), n) for i, n in locations]))
    cells = []
    for spec in quantities:
        amount, _, unit = spec.partition(":")
        unit = unit.upper() or "KGM"
        value = canonical_quantity(amount)
        if value is None or unit not in UNITS:
            raise SystemExit(f"--quantity takes N:UNIT with UNIT one of {', '.join(UNITS)}, not {spec!r}")
        cells.append((command_text(Command("quantity", value, uom=unit)), f"{value} {UNIT_NAMES[unit]}"))
    sections.append((both("sheet_quantities"), cells))
    sections.append((both("sheet_channels"),
                     [(command_text(Command("channel", c)), both(f"ch_{c}")) for c in CHANNELS]))
    return sections


def render_sheet(sections: list[tuple[str, list[tuple[str, str]]]], title: str) -> bytes:
    """Return the PDF of the sheet (A4, four codes a row)."""
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.add_font(FAMILY, fname=str(FONT))
    pdf.add_page()
    pdf.set_font(FAMILY, size=16)
    pdf.set_xy(MARGIN, MARGIN)
    pdf.cell(0, 8, title)
    y = MARGIN + 12
    for heading, cells in sections:
        if y + 8 + CELL_H > 297 - MARGIN:
            pdf.add_page()
            y = MARGIN
        pdf.set_font(FAMILY, size=12)
        pdf.set_xy(MARGIN, y)
        pdf.cell(0, 6, heading)
        y += 8
        for i, (text, caption) in enumerate(cells):
            column = i % COLUMNS
            if column == 0 and i:
                y += CELL_H
            if y + CELL_H > 297 - MARGIN:
                pdf.add_page()
                y = MARGIN
            x = MARGIN + column * CELL_W
            pdf.image(_qr(text), x=x + (CELL_W - QR_MM) / 2, y=y, w=QR_MM, h=QR_MM)
            pdf.set_font(FAMILY, size=9)
            pdf.set_xy(x, y + QR_MM + 1)
            pdf.multi_cell(CELL_W, 4.2, caption, align="C")
        y += CELL_H + 4
    return bytes(pdf.output())


def _qr(text: str) -> Any:
    """Return a QR symbol (error correction M, quiet zone included) as an image."""
    barcode = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    return Image.fromarray(barcode.to_image(scale=10, add_quiet_zones=True))


def write_sheet(device: Device | None, out: str, *, org: int | None = None, counterparts: Sequence[str] = (),
                locations: Sequence[str] = (), quantities: Sequence[str] = (), token: str | None = None) -> None:
    """Write the command sheet PDF (locations also fetched from the server with a token)."""
    words = Words("zh")
    places = _pairs(list(locations), "location")
    if token and device is not None:
        from scanner_client.http import call

        owner = org or int(device.org)
        places += [(str(p["id"]), p["name"]) for p in call(device.server, "GET", f"/organizations/{owner}/locations",
                                                            token=token)["items"]]
    sections = sheet_sections(words, _pairs(list(counterparts), "counterpart"), places,
                              list(quantities) or list(DEFAULT_QUANTITIES))
    Path(out).write_bytes(render_sheet(sections, f"{MESSAGES['sheet_title'][0]} {MESSAGES['sheet_title'][1]}"))
