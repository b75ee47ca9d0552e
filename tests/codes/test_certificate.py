"""承诺达标合格证: the QR code decodes, the Chinese text is there, the right boxes are ticked."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.codes.helpers import PT_PER_MM, crop_mm, dark_share, decode, open_pdf, page_chars, page_text, render
from trace.codes.certificate import (
    HEIGHT,
    PROMISES,
    TICK,
    WIDTH,
    CertificateError,
    CertificateInfo,
    PromiseBasis,
    certificate_pdf,
)

INFO = CertificateInfo(
    number="HGZ-2024-000123",
    product_name="五常有机稻花香大米（一级）",
    quantity="500 千克",
    origin="黑龙江省哈尔滨市五常市民乐朝鲜族乡红光村",
    issued_on="2024年9月28日",
    subject_name="五常市稻香农业专业合作社",
    contact="0451-5555 1234",
    basis=frozenset({PromiseBasis.ENTRUSTED_TEST, PromiseBasis.INTERNAL_CONTROL}),
    url="HTTPS://TRACE.EXAMPLE.CN/T/ABCDEFGHJKMNQ",
    trace_code="ABCDEFGHJKMNQ",
)


def test_page_is_a6_landscape() -> None:
    with open_pdf(certificate_pdf(INFO)) as document:
        assert len(document) == 1
        assert document[0].get_size() == pytest.approx((WIDTH * PT_PER_MM, HEIGHT * PT_PER_MM), abs=0.01)


@pytest.mark.parametrize("url", [INFO.url, "HTTPS://TRACE.EXAMPLE.CN/01/06901234567892/10/2024-09-A/21/ABCDEFGHJKMNQ"])
def test_qr_code_decodes_to_the_lookup_url(url: str) -> None:
    with open_pdf(certificate_pdf(replace(INFO, url=url))) as document:
        (found,) = decode(render(document[0]))
    assert found.text == url


def test_chinese_text_is_in_the_pdf() -> None:
    with open_pdf(certificate_pdf(INFO)) as document:
        text = page_text(document[0])
    for expected in (
        "承诺达标合格证",
        INFO.product_name,
        INFO.number,
        INFO.quantity,
        INFO.origin,
        INFO.issued_on,
        INFO.subject_name,
        INFO.contact,
        INFO.trace_code,
        "我承诺对销售的食用农产品：",
        *PROMISES,
        "承诺依据",
        "产品名称",
        "数量（重量）",
        "产地",
        "开具日期",
        "承诺主体",
        "联系方式",
        *(basis.value for basis in PromiseBasis),
    ):
        assert expected in text


def tick_marks(info: CertificateInfo) -> dict[PromiseBasis, float]:
    """Return, for each basis, how much of the inside of its checkbox is inked."""
    with open_pdf(certificate_pdf(info)) as document:
        page = document[0]
        image = render(page)
        chars = page_chars(page)
    text = "".join(c.char for c in chars)
    marks = {}
    for basis in PromiseBasis:
        first = chars[text.index(basis.value)]
        # the 3 mm box ends 1.2 mm before the label; look inside its border
        marks[basis] = dark_share(
            crop_mm(image, first.left - 3.6, first.bottom - 2.6, first.left - 2.0, first.bottom - 0.6)
        )
    return marks


@pytest.mark.parametrize(
    "basis",
    [
        {PromiseBasis.ENTRUSTED_TEST},
        {PromiseBasis.SELF_TEST},
        {PromiseBasis.INTERNAL_CONTROL},
        {PromiseBasis.SELF_TEST, PromiseBasis.INTERNAL_CONTROL},
        set(PromiseBasis),
    ],
)
def test_selected_bases_are_ticked_and_the_others_not(basis: set[PromiseBasis]) -> None:
    info = replace(INFO, basis=frozenset(basis))
    marks = tick_marks(info)
    for option, inked in marks.items():
        if option in basis:
            assert inked > 0.08, option
        else:
            assert inked < 0.01, option
    with open_pdf(certificate_pdf(info)) as document:
        assert page_text(document[0]).count(TICK) == len(PROMISES) + len(basis)


def test_a_basis_is_required() -> None:
    with pytest.raises(CertificateError):
        certificate_pdf(replace(INFO, basis=frozenset()))


@pytest.mark.parametrize("field", ["number", "product_name", "quantity", "origin", "issued_on", "subject_name"])
def test_required_fields(field: str) -> None:
    with pytest.raises(CertificateError):
        certificate_pdf(replace(INFO, **{field: "  "}))


def test_long_values_stay_on_the_card_and_off_the_qr_code() -> None:
    info = replace(
        INFO,
        product_name="五常有机稻花香大米（一级）礼盒装 新米上市 产地直发" * 3,
        origin="黑龙江省哈尔滨市五常市民乐朝鲜族乡红光村第三村民小组东侧稻田一号地块" * 2,
        subject_name="Wuchang Daoxiang Agricultural Professional Cooperative Federation Co., Ltd.",
        number="HGZ-2024-000123-EXTRA-LONG-NUMBER-0001",
    )
    with open_pdf(certificate_pdf(info)) as document:
        page = document[0]
        chars = page_chars(page)
        (found,) = decode(render(page))
        text = page_text(page)
    assert "…" in text
    qr_left = found.left / (150 / 25.4) - 3  # with most of the quiet zone
    qr_bottom = found.bottom / (150 / 25.4)
    for char in chars:
        assert 3 < char.left and char.right < WIDTH - 3 and 3 < char.top and char.bottom < HEIGHT - 3, char
        if char.top < qr_bottom:
            assert char.right < qr_left or char.top < 20, char  # beside the QR code, or in the title band


def test_the_commitment_and_its_basis_are_worded_as_the_2025_measures_have_them() -> None:
    with open_pdf(certificate_pdf(INFO)) as document:
        text = "".join(page_text(document[0]).split())
    assert "未使用禁用农药、兽药及其他化合物" in text
    assert "使用的常规农药、兽药残留不超标" in text
    assert text.index("质量安全控制") < text.index("自行检测") < text.index("委托检测")
    for absent in ("内部质量控制", "监督抽检", "保质期"):  # supervisory sampling and shelf life are not the card's
        assert absent not in text


def test_the_qr_form_is_a_sticker_headed_by_the_certificate_s_name_and_decodes_at_150_dpi() -> None:
    from trace.codes.certificate import STICKER_HEIGHT, STICKER_WIDTH, certificate_qr_pdf

    url = "HTTP://127.0.0.1:5101/01/06901234567892/10/2024-09-A"
    with open_pdf(certificate_qr_pdf(replace(INFO, url=url))) as document:
        page = document[0]
        assert page.get_size() == pytest.approx((STICKER_WIDTH * PT_PER_MM, STICKER_HEIGHT * PT_PER_MM), abs=0.01)
        assert [found.text for found in decode(render(page))] == [url]
        chars = page_chars(page)
        text = "".join(c.char for c in chars)
    start = text.index("承诺达标合格证")
    title = chars[start:start + 7]
    others = [c for i, c in enumerate(chars) if not start <= i < start + 7]
    assert all(c.bottom - c.top >= 3.4 for c in title)  # prominent: 11 pt, the largest text on the sticker
    assert max(c.bottom - c.top for c in others) < min(c.bottom - c.top for c in title)
    assert all(c.top < 8 for c in title)  # across the top
    for expected in (INFO.product_name, INFO.number, "委托检测", "扫码溯源"):
        assert expected in text
    assert all(0 <= c.left and c.right <= STICKER_WIDTH and c.bottom <= STICKER_HEIGHT for c in chars)
