"""Drawing helpers shared by label sheets and certificates: fpdf2 set-up, QR codes, fitted text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, cast

from fpdf import FPDF

from trace.codes.fonts import FAMILY, drawable, font_path
from trace.codes.qr import QUIET_ZONE, QrSymbol

PT = 25.4 / 72  # millimetres in a point
ELLIPSIS = "…"
_NO_LINE_END = "（［｛〔【《〈「『“‘([{"
_NO_LINE_START = "，。、；：！？）］｝〕】》〉」』”’,.;:!?)]}…"
# fpdf2 2.8 writes a text-stroke width as given, in points, not in the document's unit.
BOLD_STROKE_PT = 0.35


@contextmanager
def new_pdf(width: float, height: float, title: str) -> Iterator[FPDF]:
    """Yield an fpdf2 document in millimetres with the shipped CJK font loaded.

    fpdf2 keeps the font file open until output(); closing it here also covers a layout that
    fails half-way.
    """
    pdf = FPDF(unit="mm", format=(width, height))
    pdf.set_auto_page_break(False)
    pdf.set_margin(0)
    pdf.set_title(title)
    pdf.set_creator("Suyuan")
    pdf.add_font(FAMILY, fname=str(font_path()))
    pdf.set_font(FAMILY, size=8)
    try:
        yield pdf
    finally:
        for font in pdf.fonts.values():
            close = getattr(font, "close", None)  # TrueType fonts hold an open file; core fonts none
            if close is not None:
                close()


def draw_qr(pdf: FPDF, symbol: QrSymbol, x: float, y: float, module: float) -> None:
    """Draw symbol's dark modules as one filled vector path, its top-left dark corner at (x, y).

    The caller keeps the quiet zone (QUIET_ZONE modules) free around the symbol.
    """
    # Written straight to the page's content stream: fpdf2's rect() costs ~25 µs a call in
    # argument coercion, 4 s for a 1,000-label sheet. The path is in module units under a
    # scaling matrix, so it is made once per symbol whatever the label size.
    step = module * pdf.k
    matrix = f"{step:.4f} 0 0 {-step:.4f} {x * pdf.k:.3f} {(pdf.h - y) * pdf.k:.3f} cm"
    pdf._out(f"q {matrix} 0 g {_module_path(symbol.modules)} f Q")  # noqa: SLF001 - no public raw call


@lru_cache(maxsize=4096)
def _module_path(modules: tuple[tuple[bool, ...], ...]) -> str:
    """Return PDF "re" operators covering the dark modules, in module units, y downwards.

    Runs of dark modules become one rectangle, and a run repeated on the rows below grows
    downwards, which cuts the rectangles by about three quarters against one per module.
    """
    return " ".join(f"{c} {r} {w} {h} re" for c, r, w, h in _rectangles(modules))


def text_width(pdf: FPDF, text: str) -> float:
    """Return the width of text in the current font and size, in mm.

    Same sum as fpdf2's get_string_width (the font's advance widths, no shaping), without
    its per-call set-up, which dominated the time of a label sheet.
    """
    widths: Any = cast(Any, pdf.current_font).cw  # a TrueType font's advance widths, by code point
    return sum(widths[ord(c)] for c in text) * pdf.font_size_pt * 0.001 / pdf.k


def qr_side(symbol: QrSymbol, module: float) -> float:
    """Return the side of symbol with its quiet zone, in mm."""
    return (symbol.size + 2 * QUIET_ZONE) * module


def _rectangles(modules: tuple[tuple[bool, ...], ...]) -> Iterator[tuple[int, int, int, int]]:
    """Yield (col, row, width, height) rectangles covering the dark modules exactly once."""
    open_runs: dict[tuple[int, int], int] = {}  # (col, width) -> first row
    for row, line in enumerate(modules):
        runs = {(m.start(), m.end() - m.start()) for m in _DARK_RUN.finditer(bytes(line))}
        for key in [key for key in open_runs if key not in runs]:
            yield key[0], open_runs[key], key[1], row - open_runs.pop(key)
        for key in runs:
            open_runs.setdefault(key, row)
    for (col, width), first in open_runs.items():
        yield col, first, width, len(modules) - first


_DARK_RUN = re.compile(rb"\x01+")  # bytes((True, False)) == b"\x01\x00"


def fit_lines(pdf: FPDF, text: str, width: float, max_lines: int = 1, *, words: bool = False) -> list[str]:
    """Split text into at most max_lines lines no wider than width, ellipsizing the last.

    Breaks anywhere between CJK characters, keeping closing marks off a line's start and
    opening brackets off its end, and in Latin text at the last space that fits. With words,
    a name (an organization's, a place's) breaks only between its words (``name_breaks``):
    a line ends early rather than inside one. Uses the current font and size; returns no
    lines if not even "…" fits.
    """
    remaining = " ".join(drawable(text).split())
    lines: list[str] = []
    while remaining and len(lines) < max_lines:
        if text_width(pdf, remaining) <= width:
            lines.append(remaining)
            break
        cut = _longest_fitting_prefix(pdf, remaining, width)
        if cut == 0 or len(lines) == max_lines - 1:
            lines.append(_ellipsize(pdf, remaining, width))
            break
        space = remaining.rfind(" ", 0, cut + 1)
        if space > 0 and remaining[cut - 1 : cut + 1].isascii() and remaining[cut : cut + 1] != " ":
            cut = space  # do not split a Latin word if a space allows it
        elif words:
            cut = max((b for b in name_breaks(remaining) if b <= cut), default=cut)
        elif cut > 2 and (remaining[cut - 1] in _NO_LINE_END or remaining[cut] in _NO_LINE_START):
            cut -= 1  # 禁则: no opening bracket at a line's end, no closing mark at its start
        lines.append(remaining[:cut].rstrip())
        remaining = remaining[cut:].lstrip()
    return [line for line in lines if line]


def fits_in_words(pdf: FPDF, text: str, width: float, max_lines: int) -> bool:
    """Return whether text fits in max_lines lines of width breaking only between words (current font)."""
    lines = fit_lines(pdf, text, width, max_lines, words=True)
    return "".join(lines).replace(" ", "") == "".join(drawable(text).split())


# Chinese names have no spaces: they break between the words an organization's or place's name is
# made of. After a division of the country (省 … 村, 街道), before the kind of organization (合作社,
# 家庭农场, 有限公司 …), around brackets and between Chinese and Latin or digits.
_DIVISION = re.compile(r"(?:省|自治区|市(?!场)|自治州|县|区|旗|镇|乡|街道|村)(?=.)")
_KINDS = ("专业合作社联合社", "股份经济合作社", "专业合作社", "合作社", "联合社", "家庭农场", "农场", "牧场",
          "养殖场", "茶场", "果园", "股份有限公司", "有限责任公司", "有限公司", "公司", "加工厂", "超市",
          "检测站", "服务站", "中心", "基地", "分社", "办公室")
_KIND = re.compile("|".join(_KINDS))


def name_breaks(text: str) -> set[int]:
    """Return the indices where a Chinese name may break between words (0 < i < len(text))."""
    breaks = {m.end() for m in _DIVISION.finditer(text)}
    position = 0
    while (match := _KIND.search(text, position)) is not None:
        breaks.add(match.start())
        position = match.end()  # the longest kind first: 专业合作社 is one word, not 专业 + 合作社
        breaks.add(position)
    for i in range(1, len(text)):
        before, after = text[i - 1], text[i]
        if after in _NO_LINE_END or before in _NO_LINE_START or before.isascii() != after.isascii():
            breaks.add(i)
    return {i for i in breaks if 0 < i < len(text) and text[i] not in _NO_LINE_START
            and text[i - 1] not in _NO_LINE_END}


def _ellipsize(pdf: FPDF, text: str, width: float) -> str:
    room = width - text_width(pdf, ELLIPSIS)
    if room < 0:
        return ""
    return text[: _longest_fitting_prefix(pdf, text, room)].rstrip() + ELLIPSIS


def _longest_fitting_prefix(pdf: FPDF, text: str, width: float) -> int:
    """Return the largest n with text[:n] no wider than width (same sum as text_width)."""
    widths: Any = cast(Any, pdf.current_font).cw  # a TrueType font's advance widths, by code point
    scale = pdf.font_size_pt * 0.001 / pdf.k
    total = 0.0
    for n, char in enumerate(text):
        total += widths[ord(char)]
        if total * scale > width:
            return n
    return len(text)


@contextmanager
def bold(pdf: FPDF) -> Iterator[None]:
    """Draw text in faux bold (fill and stroke): one font file serves both weights."""
    with pdf.local_context(text_mode="FILL_STROKE", line_width=BOLD_STROKE_PT):
        yield
