"""The shipped CJK font: a small TrueType subset that covers GB2312 and embeds in PDFs."""

from __future__ import annotations

from fontTools.ttLib import TTFont

from tests.codes.helpers import open_pdf, page_text
from trace.codes.fonts import MISSING_MARK, drawable, font_path
from trace.codes.pdfdraw import new_pdf


def gb2312_hanzi() -> list[str]:
    """Return the 6,763 hanzi of GB2312 (rows 16-87)."""
    hanzi = []
    for high in range(0xB0, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                hanzi.append(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return hanzi


def test_font_ships_in_the_repository_with_its_licence() -> None:
    path = font_path()
    folder = path.parent
    assert path.is_file() and folder.parts[-2:] == ("static", "fonts")
    assert path.stat().st_size < 4 * 1024 * 1024
    assert "SIL OPEN FONT LICENSE Version 1.1" in (folder / "OFL.txt").read_text()
    readme = (folder / "README.md").read_text()
    assert "build_subset.py" in readme and "fonts-noto-cjk" in readme


def test_font_is_truetype_and_covers_gb2312_and_signs() -> None:
    with TTFont(font_path()) as font:
        assert "glyf" in font and "CFF " not in font
        covered = set(font.getBestCmap())
    hanzi = gb2312_hanzi()
    assert len(hanzi) == 6763
    wanted = hanzi + [chr(c) for c in range(0x20, 0x7F)] + [chr(c) for c in range(0xFF01, 0xFF5F)]
    wanted += list("、。〈〉《》「」『』【】〔〕…—‘’“”℃×±≤≥µ·°□✓〓")
    assert [c for c in wanted if ord(c) not in covered] == []


def test_drawable_swaps_what_the_font_lacks() -> None:
    assert drawable("五常大米 ABC ℃") == "五常大米 ABC ℃"
    assert drawable("𠀀鿿x") == f"{MISSING_MARK}{MISSING_MARK}x"  # CJK extension B, unassigned
    assert drawable("a\tb\nc\u200bd") == "a b cd"  # controls become spaces, invisibles go
    assert drawable("e\u0301") == "é"  # composed before the look-up


def test_chinese_text_survives_embedding() -> None:
    with new_pdf(100, 30, title="t") as pdf:
        pdf.add_page()
        pdf.text(5, 15, "承诺达标合格证 五常大米 ℃ ≤ 5 µg")
        data = bytes(pdf.output())
    with open_pdf(data) as document:
        assert page_text(document[0]) == "承诺达标合格证 五常大米 ℃ ≤ 5 µg"
