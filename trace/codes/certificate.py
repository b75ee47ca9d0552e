"""承诺达标合格证 (certificate of commitment to meeting standards) as an A6 card PDF.

The fields follow 《农产品质量安全承诺达标合格证管理办法》 (农业农村部令2025年第4号, in force since
2026-02-01): product, quantity (weight), origin, issue date, the committing party and how to reach
them, the commitment (no banned pesticides, veterinary drugs or other compounds; residues of the
usual ones within the standards), its basis (质量安全控制 / 自行检测 / 委托检测), a QR code to the
batch's trace page and the certificate number. Shelf life and supervisory sampling (监督抽检)
belong on the page and labels, not on the card. The card is Chinese, as the law has it; small
English glosses only help foreign buyers read it.

``certificate_qr_pdf`` is the same certificate in QR form: a 60 × 40 mm sticker for thermal
printers, headed 承诺达标合格证, with the QR code and the card's key facts.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from fpdf import FPDF

from trace.codes.pdfdraw import bold, draw_qr, fit_lines, new_pdf, qr_side
from trace.codes.qr import QUIET_ZONE, qr_symbol

WIDTH, HEIGHT = 148.0, 105.0  # A6 landscape
MARGIN = 6.0
TITLE = "承诺达标合格证"
PROMISE_INTRO = "我承诺对销售的食用农产品："
PROMISES = ("未使用禁用农药、兽药及其他化合物", "使用的常规农药、兽药残留不超标", "对承诺的真实性负责")
SCAN_CALL = "扫码溯源"
TICK = "✓"
GREY = 110


class CertificateError(ValueError):
    """A certificate cannot be issued from the given information."""


class PromiseBasis(StrEnum):
    """What the promise rests on (the 办法's 质量安全控制、自行检测或委托检测), in that order."""

    INTERNAL_CONTROL = "质量安全控制"
    SELF_TEST = "自行检测"
    ENTRUSTED_TEST = "委托检测"


_BASIS_EN = {
    PromiseBasis.INTERNAL_CONTROL: "quality controls",
    PromiseBasis.SELF_TEST: "own test",
    PromiseBasis.ENTRUSTED_TEST: "laboratory test",
}


@dataclass(frozen=True)
class CertificateInfo:
    """What one 承诺达标合格证 states; strings come formatted for print."""

    number: str
    product_name: str
    quantity: str
    origin: str
    issued_on: str
    subject_name: str
    contact: str
    basis: Collection[PromiseBasis]
    url: str
    trace_code: str | None = None
    tests: str = ""  # the signed test results it rests on, by basis (委托检测 / 监督抽检 / 自检), sources counted


def certificate_pdf(info: CertificateInfo) -> bytes:
    """Return the certificate as a one-page A6 landscape PDF."""
    _check(info)
    with new_pdf(WIDTH, HEIGHT, title=f"{TITLE} {info.number}") as pdf:
        pdf.add_page()
        pdf.set_draw_color(0)
        pdf.set_line_width(0.4)
        pdf.rect(3, 3, WIDTH - 6, HEIGHT - 6, round_corners=True, corner_radius=2)
        _draw_header(pdf, info)
        qr_left = _draw_qr(pdf, info)
        _draw_fields(pdf, info, right=qr_left - 4)
        _draw_promise(pdf, info, top=70.0)
        return bytes(pdf.output())


def _draw_header(pdf: FPDF, info: CertificateInfo) -> None:
    pdf.set_font_size(17)
    with bold(pdf):
        width = pdf.get_string_width(TITLE)
        pdf.text((WIDTH - width) / 2, 14, TITLE)
    _small(pdf, "Certificate of Commitment to Meeting Standards", 5.5, centre=True, y=18.2)
    number, room = f"编号 {info.number}", 40.0
    pdf.set_font_size(7)
    pdf.set_font_size(max(5.0, min(7.0, 7 * room / pdf.get_string_width(number))))  # shrink, then cut
    number = fit_lines(pdf, number, room)[0]
    pdf.text(WIDTH - MARGIN - 2 - pdf.get_string_width(number), 10, number)


def _draw_qr(pdf: FPDF, info: CertificateInfo) -> float:
    """Draw the QR code in the top-right corner; return its left edge (quiet zone included)."""
    symbol = qr_symbol(info.url)
    module = min(0.8, 30 / symbol.size)
    side = qr_side(symbol, module)
    left = WIDTH - MARGIN - side + QUIET_ZONE * module * 0.5
    top = 20.0
    draw_qr(pdf, symbol, left + QUIET_ZONE * module, top + QUIET_ZONE * module, module)
    caption_top = top + side - QUIET_ZONE * module + 3.2
    pdf.set_font_size(6.5)
    for i, line in enumerate([SCAN_CALL] + ([info.trace_code] if info.trace_code else [])):
        text = fit_lines(pdf, line, side)[0] if line else ""
        pdf.text(left + (side - pdf.get_string_width(text)) / 2, caption_top + i * 3.2, text)
    return left


def _draw_fields(pdf: FPDF, info: CertificateInfo, right: float) -> None:
    rows = (
        ("产品名称", "Product", info.product_name),
        ("数量（重量）", "Quantity", info.quantity),
        ("产地", "Origin", info.origin),
        ("开具日期", "Issued on", info.issued_on),
        ("承诺主体", "Committed by", info.subject_name),
        ("联系方式", "Contact", info.contact),
    )
    left, top, label_width, row_height = MARGIN + 2, 21.5, 24.0, 7.2
    pdf.set_line_width(0.2)
    pdf.set_draw_color(GREY)
    value_left = left + label_width + 1.5
    value_width = right - value_left
    for i, (label, english, value) in enumerate(rows):
        y = top + i * row_height
        pdf.set_font_size(8.5)
        pdf.text(left, y + 3.6, label)
        _small(pdf, english, 5, x=left, y=y + 6.3)
        lines = fit_lines(pdf, value, value_width)
        if len(lines[0]) < len(" ".join(value.split())):  # too long for one line: two, smaller
            pdf.set_font_size(7)
            lines = fit_lines(pdf, value, value_width, max_lines=2)
        baseline = y + (4.6 if len(lines) == 1 else 2.6)
        for line in lines:
            pdf.text(value_left, baseline, line)
            baseline += 2.85
        pdf.line(value_left, y + row_height - 0.9, right, y + row_height - 0.9)


def _draw_promise(pdf: FPDF, info: CertificateInfo, top: float) -> None:
    left = MARGIN + 2
    pdf.set_draw_color(0)
    pdf.set_font_size(8.5)
    with bold(pdf):
        pdf.text(left, top, PROMISE_INTRO)
    y = top
    for promise in PROMISES:  # all three: a certificate is the producer making them
        y += 5.0
        _checkbox(pdf, left + 2, y, ticked=True)
        pdf.text(left + 6.2, y, promise)
    y += 6.5
    with bold(pdf):
        pdf.text(left, y, "承诺依据：")
    x = left + pdf.get_string_width("承诺依据：") + 1
    for basis in PromiseBasis:
        _checkbox(pdf, x, y, ticked=basis in info.basis)
        x += 4.2
        pdf.text(x, y, basis.value)
        x += pdf.get_string_width(basis.value) + 1
        x += _small(pdf, _BASIS_EN[basis], 5, x=x, y=y) + 5
    if info.tests:
        pdf.set_font_size(7)
        pdf.text(left, y + 5.2, fit_lines(pdf, info.tests, WIDTH - 2 * MARGIN - 4)[0])


def _checkbox(pdf: FPDF, x: float, baseline: float, ticked: bool) -> None:
    """Draw a 3 mm box whose bottom sits on the baseline, with a tick if ticked."""
    size = 3.0
    pdf.set_line_width(0.25)
    pdf.rect(x, baseline - size + 0.3, size, size)
    if ticked:
        font_size = pdf.font_size_pt
        pdf.set_font_size(9)
        with bold(pdf):
            pdf.text(x + 0.1, baseline - 0.1, TICK)
        pdf.set_font_size(font_size)


def _small(pdf: FPDF, text: str, size: float, *, y: float, x: float = 0.0, centre: bool = False) -> float:
    """Draw a grey English gloss; return its width."""
    font_size = pdf.font_size_pt
    pdf.set_font_size(size)
    pdf.set_text_color(GREY)
    if centre:
        x = (WIDTH - pdf.get_string_width(text)) / 2
    pdf.text(x, y, text)
    width = pdf.get_string_width(text)
    pdf.set_text_color(0)
    pdf.set_font_size(font_size)
    return width


# The QR form: a sticker for thermal printers (60 × 40 mm), as counties print 合格证 at the farm gate.
STICKER_WIDTH, STICKER_HEIGHT = 60.0, 40.0
STICKER_PADDING = 2.0
STICKER_PROMISE = "承诺：未使用禁用农药、兽药及其他化合物，使用的常规农药、兽药残留不超标"
_STICKER_MIN_MODULE = 0.5


def certificate_qr_pdf(info: CertificateInfo) -> bytes:
    """Return the certificate in QR form: a 60 × 40 mm sticker headed 承诺达标合格证, QR code beside the key facts."""
    _check(info)
    with new_pdf(STICKER_WIDTH, STICKER_HEIGHT, title=f"{TITLE} {info.number}") as pdf:
        pdf.add_page()
        pdf.set_font_size(11)
        with bold(pdf):  # the words the law names, large: this is a certificate, not a price tag
            pdf.text((STICKER_WIDTH - pdf.get_string_width(TITLE)) / 2, STICKER_PADDING + 4.2, TITLE)
        pdf.set_font_size(5)
        promise = fit_lines(pdf, STICKER_PROMISE, STICKER_WIDTH - 2 * STICKER_PADDING, max_lines=2)
        bottom = STICKER_HEIGHT - STICKER_PADDING - len(promise) * 2.1
        for i, line in enumerate(promise):
            pdf.text(STICKER_PADDING, bottom + 1.9 + i * 2.1, line)
        top = STICKER_PADDING + 5.6
        symbol = qr_symbol(info.url)
        module = min(0.8, (bottom - top) / (symbol.size + 2 * QUIET_ZONE))
        if module < _STICKER_MIN_MODULE:
            raise CertificateError(f"{info.url!r} is too long for the certificate sticker's QR code")
        side = qr_side(symbol, module)
        draw_qr(pdf, symbol, QUIET_ZONE * module, top + QUIET_ZONE * module, module)
        _sticker_facts(pdf, info, left=side, top=top, right=STICKER_WIDTH - STICKER_PADDING, bottom=bottom)
        return bytes(pdf.output())


def _check(info: CertificateInfo) -> None:
    if not info.basis:
        raise CertificateError("a certificate states at least one basis for the promise")
    for field in ("number", "product_name", "quantity", "origin", "issued_on", "subject_name"):
        if not getattr(info, field).strip():
            raise CertificateError(f"{field} is required on a certificate")


def _sticker_facts(pdf: FPDF, info: CertificateInfo, *, left: float, top: float, right: float, bottom: float) -> None:
    """Write product, quantity, origin, date, committing party, contact, basis and number, as room allows."""
    basis = "、".join(b.value for b in PromiseBasis if b in info.basis)
    rows = [(6.5, True, info.product_name), (5.0, False, f"数量 {info.quantity}"),
            (5.0, False, f"产地 {info.origin}"), (5.0, False, f"开具 {info.issued_on}"),
            (5.0, False, info.subject_name), (5.0, False, f"联系 {info.contact}" if info.contact else ""),
            (5.0, False, f"依据 {basis}"), (5.0, False, f"编号 {info.number}"), (5.5, True, SCAN_CALL)]
    y = top + 0.6
    for size, is_bold, text in rows:
        if not text:
            continue
        pdf.set_font_size(size)
        wrap = text in (info.product_name, info.subject_name) or text.startswith("产地")
        lines = fit_lines(pdf, text, right - left, max_lines=2 if wrap else 1)
        for line in lines:
            if y + size * 0.3528 > bottom:
                return  # no room left: the QR code leads to everything else
            y += size * 0.3528
            if is_bold:
                with bold(pdf):
                    pdf.text(left, y, line)
            else:
                pdf.text(left, y, line)
            y += size * 0.3528 * 0.25
