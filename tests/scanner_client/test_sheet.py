"""The printed command sheet: every QR code decodes (zxing-cpp) to a command the client understands."""

from __future__ import annotations

import pypdfium2 as pdfium
import zxingcpp

from scanner_client.codes import Command
from scanner_client.i18n import Words
from scanner_client.parse import parse_scan
from scanner_client.sheet import render_sheet, sheet_sections


def test_every_code_on_the_sheet_decodes_to_its_command():
    sections = sheet_sections(Words("zh"), [("12", "城东农贸市场"), ("7", "县农产品检测站")], [("3", "1号冷库")],
                              ["10:KGM", "2.5:kgm", "1:H87"])
    pdf = pdfium.PdfDocument(render_sheet(sections, "扫码枪指令表 Scanner command sheet"))
    decoded = []
    text = ""
    for page in pdf:
        decoded += [r.text for r in zxingcpp.read_barcodes(page.render(scale=3).to_pil())]
        text += page.get_textpage().get_text_range()
    expected = [code for _, cells in sections for code, _ in cells]
    assert sorted(decoded) == sorted(expected)
    commands = [parse_scan(code) for code in decoded]
    assert all(isinstance(c, Command) for c in commands)
    assert Command("org", "12", "城东农贸市场") in commands and Command("location", "3", "1号冷库") in commands
    assert Command("quantity", "2.5", uom="KGM") in commands and Command("mode", "sample") in commands
    for caption in ("收货 Receive", "抽样 Sample", "城东农贸市场", "1号冷库", "2.5 千克 kg", "对方单位 Counterparts",
                    "销售渠道 Sales channels", "市场 Market"):
        assert caption in text, caption
