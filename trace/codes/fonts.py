"""The CJK font shipped in static/fonts/ and what it can draw.

PDFs embed a GB2312 subset of Noto Sans CJK SC (see static/fonts/README.md). Text outside
the subset would silently come out blank in fpdf2, so ``drawable`` swaps such characters for
〓, the mark GB2312 itself uses for a character it lacks.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

from fontTools.ttLib import TTFont

FONT_FILE = "NotoSansSC-GB2312.ttf"
FAMILY = "NotoSansSC"
MISSING_MARK = "〓"


def font_path() -> Path:
    """Return the path of the shipped CJK TrueType font."""
    return Path(__file__).resolve().parents[2] / "static" / "fonts" / FONT_FILE


@lru_cache(maxsize=1)
def covered_code_points() -> frozenset[int]:
    """Return the code points the shipped font has glyphs for."""
    with TTFont(font_path(), lazy=True) as font:
        return frozenset(font.getBestCmap())


def drawable(text: str) -> str:
    """Return text with characters the font cannot draw replaced by 〓 and controls by spaces."""
    covered = covered_code_points()
    out = []
    for ch in unicodedata.normalize("NFC", text):
        if ch in "\t\r\n":
            out.append(" ")
        elif ord(ch) in covered:
            out.append(ch)
        elif ch.isprintable():
            out.append(MISSING_MARK)
    return "".join(out)
