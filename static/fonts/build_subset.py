"""Build NotoSansSC-GB2312.ttf, the CJK font that label and certificate PDFs embed.

Run from the repository root (needs fontTools, and Debian's fonts-noto-cjk only for this):

    .venv/bin/python static/fonts/build_subset.py \
        /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc static/fonts/NotoSansSC-GB2312.ttf

It keeps ASCII, Latin-1, every GB2312 character (6,763 hanzi plus its punctuation, full-width
forms, Greek, Cyrillic, kana and symbols), the CJK punctuation and full-width blocks, general
punctuation and a few unit and box signs, then converts the CFF outlines to TrueType
(quadratic) outlines so that any TrueType consumer, fpdf2 included, can embed it.
"""

from __future__ import annotations

import sys

from fontTools import subset
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTCollection, TTFont, newTable

FACE = "Noto Sans CJK SC"
EXTRA = "℃℉№™Ω←↑→↓√∞≈≠≤≥■□▲△●○◎◆◇★☆✓"
MAX_ERR = 1.0  # font units (1000 an em) a quadratic curve may stray from the cubic one


def charset() -> str:
    """Return the characters to keep, sorted."""
    chars = {chr(c) for c in range(0x20, 0x7F)}  # ASCII
    chars |= {chr(c) for c in range(0xA0, 0x100)}  # Latin-1: × ± µ ° ·
    for high in range(0xA1, 0xF8):  # every GB2312 code point
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes([high, low]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    chars |= {chr(c) for c in range(0x3000, 0x3040)}  # CJK symbols and punctuation
    chars |= {chr(c) for c in range(0xFF01, 0xFF5F)}  # full-width forms
    chars |= {chr(c) for c in range(0xFFE0, 0xFFE7)}  # full-width signs
    chars |= {chr(c) for c in range(0x2010, 0x2031)}  # dashes, quotes, …, ‰
    chars |= set(EXTRA)
    return "".join(sorted(chars))


def to_truetype(font: TTFont) -> None:
    """Replace the font's CFF outlines by TrueType ones (after fontTools' otf2ttf snippet)."""
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = {}
    for name in order:
        pen = TTGlyphPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERR, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]
    maxp = font["maxp"]
    maxp.tableVersion = 0x00010000
    for attr in (
        "maxTwilightPoints",
        "maxStorage",
        "maxFunctionDefs",
        "maxInstructionDefs",
        "maxStackElements",
        "maxSizeOfInstructions",
        "maxComponentElements",
        "maxComponentDepth",
    ):
        setattr(maxp, attr, 0)
    maxp.maxZones = 1
    post = font["post"]
    post.formatType = 3.0  # CID-keyed source: no glyph names worth keeping
    post.extraNames = []
    post.mapping = {}
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def main(source: str, target: str) -> None:
    collection = TTCollection(source, recalcTimestamp=False)
    font = next(f for f in collection.fonts if f["name"].getDebugName(4) == FACE)
    options = subset.Options()
    options.layout_features = []  # fpdf2 does no shaping; GSUB/GPOS would double the size
    options.name_IDs = ["*"]
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=charset())
    subsetter.subset(font)
    to_truetype(font)
    name = font["name"]
    version = name.getDebugName(5)
    name.setName(f"{version}; GB2312 subset, TrueType outlines", 5, 3, 1, 0x409)
    font.save(target)


if __name__ == "__main__":
    main(*sys.argv[1:3])
