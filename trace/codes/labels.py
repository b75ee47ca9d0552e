"""Printable label PDFs: a QR code to the lookup URL with a call to scan it, product, trace code, date and producer.

The date is the harvest or production date (``date_kind``), never when the batch was registered.
Last comes the best-before (最佳食用期) or shelf-life (保质期) day when the product states one;
a small label leaves it out before the producer.
The producer's name wraps between its words (``pdfdraw.name_breaks``), smaller if it must, so
a Chinese name never breaks inside one.

Layouts (``LAYOUTS``):

- ``a4-3x7``: 21 labels of 70 × 42.3 mm on A4, edge to edge (the common 3 × 7 stock).
- ``a4-2x7``: 14 labels of 105 × 42.3 mm on A4, edge to edge.
- ``thermal-50x30``: one 50 × 30 mm page a label, for roll printers.

QR modules are at least 0.5 mm and the 4-module quiet zone stays on the label; text is
wrapped and ellipsized to its box, so nothing crosses a label's edge.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fpdf import FPDF

from trace.codes.pdfdraw import PT, bold, draw_qr, fit_lines, fits_in_words, new_pdf, qr_side, text_width
from trace.codes.qr import QUIET_ZONE, ErrorCorrection, qr_symbol

MIN_MODULE_MM = 0.5


class LabelError(ValueError):
    """Labels cannot be laid out as asked."""


@dataclass(frozen=True)
class LabelInfo:
    """What one label shows; url is what its QR code encodes."""

    url: str
    product_name: str
    trace_code: str
    lot: str
    date: str  # the harvest or production date (ISO), "" when none is recorded
    producer_name: str
    serial: str | None = None
    date_kind: str = "produced"  # "harvested" (采收) or "produced" (生产: processing, a split or merge)
    best_before: str | None = None  # the last day of its shelf life (a date), if its product states one
    best_before_kind: str = "best_before"  # or ``shelf_life``: 最佳食用期 (fresh produce) or 保质期


@dataclass(frozen=True)
class LabelCaptions:
    """The words a label prints before its values, in the label's language (callers pass them translated)."""

    trace_code: str = "追溯码"
    lot: str = "批号"
    serial: str = "序列号"
    harvested: str = "采收日期"
    produced: str = "生产日期"
    call: str = "扫码溯源"  # the call to action beside the QR code
    best_before: str = "最佳食用期至"
    shelf_life: str = "保质期至"


CHINESE_CAPTIONS = LabelCaptions()


@dataclass(frozen=True)
class LabelLayout:
    """Geometry of a label stock, in mm."""

    name: str
    page_width: float
    page_height: float
    columns: int
    rows: int
    label_width: float
    label_height: float
    left: float  # page edge to the first column
    top: float  # page edge to the first row
    padding: float  # label edge to text and dark modules (printer margin, die-cut slack)
    max_module: float
    title_pt: float
    text_pt: float

    @property
    def per_page(self) -> int:
        """Return how many labels fit on a page."""
        return self.columns * self.rows

    def origin(self, index: int) -> tuple[float, float]:
        """Return the top-left corner of the index-th label on its page."""
        row, column = divmod(index % self.per_page, self.columns)
        return self.left + column * self.label_width, self.top + row * self.label_height


LAYOUTS: dict[str, LabelLayout] = {
    layout.name: layout
    for layout in (
        LabelLayout("a4-3x7", 210, 297, 3, 7, 70, 42.3, 0, 0.45, 4, 0.85, 9, 7),
        LabelLayout("a4-2x7", 210, 297, 2, 7, 105, 42.3, 0, 0.45, 4, 1.0, 11, 8),
        LabelLayout("thermal-50x30", 50, 30, 1, 1, 50, 30, 0, 0, 1.5, 0.65, 7.5, 6),
    )
}


def labels_pdf(labels: Sequence[LabelInfo], layout: str, error_correction: ErrorCorrection = "M",
               captions: LabelCaptions = CHINESE_CAPTIONS) -> bytes:
    """Return a PDF with one label per LabelInfo, laid out as layout names, captioned in the captions' language."""
    if layout not in LAYOUTS:
        raise LabelError(f"unknown layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    if not labels:
        raise LabelError("no labels to print")
    spec = LAYOUTS[layout]
    with new_pdf(spec.page_width, spec.page_height, title=f"Labels {layout}") as pdf:
        for index, label in enumerate(labels):
            if index % spec.per_page == 0:
                pdf.add_page()
            x, y = spec.origin(index)
            _draw_label(pdf, spec, label, x, y, error_correction, captions)
        return bytes(pdf.output())


def label_boxes(layout: str, count: int) -> list[tuple[int, float, float, float, float]]:
    """Return (page, x, y, width, height) in mm for each of count labels, in print order."""
    spec = LAYOUTS[layout]
    return [(i // spec.per_page, *spec.origin(i), spec.label_width, spec.label_height) for i in range(count)]


def _draw_label(pdf: FPDF, spec: LabelLayout, label: LabelInfo, x: float, y: float, ec: ErrorCorrection,
                captions: LabelCaptions) -> None:
    symbol = qr_symbol(label.url, ec)
    inner = spec.label_height - 2 * spec.padding
    module = min(
        spec.max_module,
        inner / symbol.size,  # dark modules inside the padding
        spec.label_height / (symbol.size + 2 * QUIET_ZONE),  # quiet zone on the label
    )
    if module < MIN_MODULE_MM:
        raise LabelError(
            f"{label.url!r} needs a version {symbol.version} QR code, too big for {spec.name} "
            f"at {MIN_MODULE_MM} mm a module; shorten the URL"
        )
    side = qr_side(symbol, module)
    quiet = QUIET_ZONE * module
    qr_left = x + max(0.0, spec.padding - quiet)
    qr_top = y + (spec.label_height - side) / 2
    draw_qr(pdf, symbol, qr_left + quiet, qr_top + quiet, module)

    text_left = qr_left + side
    text_width = x + spec.label_width - spec.padding - text_left
    _draw_text(pdf, spec, label, captions, text_left, y + spec.padding, text_width, inner)


def _draw_text(
    pdf: FPDF,
    spec: LabelLayout,
    label: LabelInfo,
    captions: LabelCaptions,
    left: float,
    top: float,
    width: float,
    height: float,
) -> None:
    pdf.set_font_size(spec.text_pt)
    entries = [(spec.text_pt, True, line) for line in fit_lines(pdf, captions.call, width)]
    pdf.set_font_size(spec.title_pt)
    entries += [(spec.title_pt, True, line) for line in fit_lines(pdf, label.product_name, width, 2)]
    pdf.set_font_size(spec.text_pt)
    entries.append(_code_line(pdf, spec.text_pt, captions.trace_code, label.trace_code, width))
    if label.lot:
        entries += [(spec.text_pt, False, line) for line in fit_lines(pdf, f"{captions.lot} {label.lot}", width)]
    if label.serial:  # a unit's identity: whole, like the trace code
        entries.append(_code_line(pdf, spec.text_pt, captions.serial, label.serial, width))
    if label.date:
        caption = captions.harvested if label.date_kind == "harvested" else captions.produced
        entries += [(spec.text_pt, False, line) for line in fit_lines(pdf, f"{caption} {label.date}", width)]
    entries += _name_lines(pdf, spec.text_pt, label.producer_name, width)
    if label.best_before:  # last: a small label leaves it out before the producer
        caption = captions.shelf_life if label.best_before_kind == "shelf_life" else captions.best_before
        entries += [(spec.text_pt, False, line) for line in fit_lines(pdf, f"{caption} {label.best_before}", width)]

    kept, used = [], 0.0
    for size, is_bold, line in entries:
        lead = size * PT * _LEADING
        if used + size * PT > height:
            break  # no room for this line's glyphs: leave it out rather than overflow
        kept.append((size, is_bold, line, used))
        used += lead
    used = kept[-1][3] + kept[-1][0] * PT if kept else 0.0
    offset = top + (height - used) / 2  # centre the block beside the QR code
    for size, is_bold, line, line_top in kept:
        pdf.set_font_size(size)
        baseline = offset + line_top + _ASCENT * size * PT
        if is_bold:
            with bold(pdf):
                pdf.text(left, baseline, line)
        else:
            pdf.text(left, baseline, line)


def _name_lines(pdf: FPDF, size: float, name: str, width: float) -> list[tuple[float, bool, str]]:
    """Return a name's lines (at most two), broken between words: smaller type before a break inside one."""
    point = size
    while True:
        pdf.set_font_size(point)
        if fits_in_words(pdf, name, width, 2) or point <= _MIN_NAME_PT:
            lines = fit_lines(pdf, name, width, max_lines=2, words=True)
            pdf.set_font_size(size)
            return [(point, False, line) for line in lines]
        point = max(_MIN_NAME_PT, point - 0.5)


def _code_line(pdf: FPDF, size: float, caption: str, code: str, width: float) -> tuple[float, bool, str]:
    """Return a code's line (trace code, serial): it must stay whole, so drop the caption, then shrink."""
    for text in (f"{caption} {code}", code):
        if text_width(pdf, text) <= width:
            return size, False, text
    smaller = max(_MIN_CODE_PT, size * width / text_width(pdf, code))
    pdf.set_font_size(smaller)
    line = fit_lines(pdf, code, width)[0] if smaller == _MIN_CODE_PT else code
    pdf.set_font_size(size)
    return smaller, False, line


_ASCENT = 0.88  # of the em: where CJK glyph bodies (0.88 above, 0.12 below) put the baseline
_LEADING = 1.3
_MIN_CODE_PT = 5.0
_MIN_NAME_PT = 4.5
