"""Label sheets: every QR code on the first page decodes to its label's URL, text stays inside."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from tests.codes.helpers import PX_PER_MM, crop_mm, dark_share, decode, open_pdf, page_chars, page_text, render
from trace.codes.digital_link import digital_link_url
from trace.codes.labels import LAYOUTS, MIN_MODULE_MM, LabelError, LabelInfo, label_boxes, labels_pdf
from trace.codes.qr import QUIET_ZONE, lookup_url, qr_friendly_url, qr_symbol
from trace.codes.tracecode import ALPHABET, check_character

BASE = "https://trace.example.cn"
PRODUCTS = [
    "五常大米",
    "五常有机稻花香大米（一级）礼盒装 5kg 新米上市 产地直发 顺丰包邮",
    "Organic jasmine rice, premium grade, from Wuchang in Heilongjiang province",
]


def trace_code(i: int) -> str:
    """Return a valid trace code, a different one for every i below 2**28."""
    n = i * 0x9E3779B1 + 12345
    payload = "".join(ALPHABET[(n >> (5 * k)) & 31] for k in range(12))
    return payload + check_character(payload)


def make_labels(count: int, offset: int = 0) -> list[LabelInfo]:
    """Return labels with distinct URLs: lookup URLs and Digital Links with serials, mixed."""
    labels = []
    for i in range(count):
        code = trace_code(offset + i)
        serial = trace_code(offset + i + 5000) if i % 2 else None
        if serial:
            url = qr_friendly_url(digital_link_url(BASE, "6901234567892", f"LOT-{i}", serial))
        else:
            url = lookup_url(BASE, code)
        labels.append(
            LabelInfo(
                url=url,
                product_name=PRODUCTS[i % 3],
                trace_code=code,
                lot=f"LOT-{i}",
                date="2024-09-28",
                producer_name="黑龙江省五常市稻香农业专业合作社联合社有限公司（第二分社）",
                serial=serial,
            )
        )
    return labels


@pytest.fixture(scope="module", params=list(LAYOUTS))
def sheet(request: pytest.FixtureRequest) -> tuple[str, list[LabelInfo], bytes]:
    layout = request.param
    labels = make_labels(LAYOUTS[layout].per_page + 2)
    return layout, labels, labels_pdf(labels, layout)


def first_page_boxes(layout: str, count: int) -> list[tuple[float, float, float, float]]:
    return [(x, y, x + w, y + h) for page, x, y, w, h in label_boxes(layout, count) if page == 0]


def test_page_count_and_size(sheet: tuple[str, list[LabelInfo], bytes]) -> None:
    layout, labels, pdf = sheet
    spec = LAYOUTS[layout]
    with open_pdf(pdf) as document:
        assert len(document) == math.ceil(len(labels) / spec.per_page)
        width, height = document[0].get_size()
    assert (width, height) == pytest.approx((spec.page_width * 72 / 25.4, spec.page_height * 72 / 25.4), abs=0.01)


def test_every_qr_code_on_the_first_page_decodes_to_its_url(sheet: tuple[str, list[LabelInfo], bytes]) -> None:
    layout, labels, pdf = sheet
    with open_pdf(pdf) as document:
        image = render(document[0])
    boxes = first_page_boxes(layout, len(labels))
    assert len(boxes) == LAYOUTS[layout].per_page
    for label, (left, top, right, bottom) in zip(labels, boxes, strict=False):  # labels run on to page 2
        crop = crop_mm(image, left, top, right, bottom)
        (found,) = decode(crop)
        assert found.text == label.url
        symbol = qr_symbol(label.url)
        module = (found.right - found.left) / PX_PER_MM / symbol.size
        assert module >= MIN_MODULE_MM - 0.02
        # the quiet zone: 4 modules of white all round, inside the label
        quiet = QUIET_ZONE * module * PX_PER_MM
        outer = (found.left - quiet + 1, found.top - quiet + 1, found.right + quiet - 1, found.bottom + quiet - 1)
        assert outer[0] >= 0 and outer[1] >= 0 and outer[2] <= crop.width and outer[3] <= crop.height
        for band in (
            (outer[0], outer[1], outer[2], found.top - 2),
            (outer[0], found.bottom + 2, outer[2], outer[3]),
            (outer[0], outer[1], found.left - 2, outer[3]),
            (found.right + 2, outer[1], outer[2], outer[3]),
        ):
            assert dark_share(crop.crop(tuple(round(v) for v in band))) == 0


def test_text_is_in_the_pdf(sheet: tuple[str, list[LabelInfo], bytes]) -> None:
    layout, labels, pdf = sheet
    with open_pdf(pdf) as document:
        text = page_text(document[0])
    for label in labels[: LAYOUTS[layout].per_page]:
        assert label.trace_code in text  # whole, never ellipsized: people type it
        assert label.serial is None or label.serial in text  # a unit's serial too
        assert label.date in text
    assert "五常大米" in text
    assert "…" in text  # long names were cut to fit


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_the_widest_serial_stays_whole(layout: str) -> None:
    serial = "W" * 12 + check_character("W" * 12)  # W is the widest character a code can have
    url = qr_friendly_url(digital_link_url(BASE, "6901234567892", "2024-09-A", serial))
    (label,) = make_labels(1)
    with open_pdf(labels_pdf([replace(label, url=url, serial=serial)], layout)) as document:
        (found,) = decode(render(document[0]))
        text = page_text(document[0])
    assert found.text == url
    assert serial in text and label.trace_code in text


def test_no_text_crosses_a_label_edge_or_the_qr_code(sheet: tuple[str, list[LabelInfo], bytes]) -> None:
    layout, labels, pdf = sheet
    boxes = first_page_boxes(layout, len(labels))
    with open_pdf(pdf) as document:
        chars = page_chars(document[0])
    assert len(chars) > 20 * len(boxes)
    for char in chars:
        centre_x, centre_y = (char.left + char.right) / 2, (char.top + char.bottom) / 2
        (box,) = [b for b in boxes if b[0] <= centre_x < b[2] and b[1] <= centre_y < b[3]]
        left, top, right, bottom = box
        assert left <= char.left and char.right <= right and top <= char.top and char.bottom <= bottom, char
        label_height = bottom - top
        assert char.left >= left + label_height * 0.6, char  # right of the QR code and its quiet zone


def test_text_is_centred_beside_the_qr_code() -> None:
    (label,) = make_labels(1)
    with open_pdf(labels_pdf([label], "thermal-50x30")) as document:
        chars = page_chars(document[0])
    top, bottom = min(c.top for c in chars), max(c.bottom for c in chars)
    assert abs((top + bottom) / 2 - 15) < 2


def test_unknown_layout_and_empty_sheet_are_refused() -> None:
    with pytest.raises(LabelError):
        labels_pdf(make_labels(1), "a5-1x1")
    with pytest.raises(LabelError):
        labels_pdf([], "a4-3x7")


def test_a_url_too_long_for_half_millimetre_modules_is_refused() -> None:
    (label,) = make_labels(1)
    long_label = replace(label, url=BASE + "/" + "X" * 300)
    labels_pdf([long_label], "a4-2x7")  # 42.3 mm high labels still hold it
    with pytest.raises(LabelError):
        labels_pdf([long_label], "thermal-50x30")


@pytest.mark.slow
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_thousand_labels_with_distinct_urls_make_one_document(layout: str) -> None:
    # the 5 s budget is measured by bench/labels.py, not asserted here (tests assert no timings)
    labels = make_labels(1000, offset=20000 * (1 + list(LAYOUTS).index(layout)))  # none made before
    pdf = labels_pdf(labels, layout)
    with open_pdf(pdf) as document:
        assert len(document) == math.ceil(1000 / LAYOUTS[layout].per_page)


def test_a_label_shows_the_production_day_and_its_best_before_or_shelf_life_day() -> None:
    fresh, packed = make_labels(2)[0], make_labels(2, offset=7)[0]
    fresh = replace(fresh, product_name="青菜", producer_name="合作社", best_before="2024-10-05")
    packed = replace(packed, product_name="菜籽油", producer_name="油坊", best_before="2025-09-27",
                     best_before_kind="shelf_life")
    with open_pdf(labels_pdf([fresh, packed], "a4-3x7")) as document:
        text = page_text(document[0])
    assert "生产日期 2024-09-28" in text
    assert "最佳食用期至 2024-10-05" in text and "保质期至 2025-09-27" in text


@pytest.mark.parametrize("producer", ["松阳县银猴茶叶专业合作社", "大东坝高山蔬菜专业合作社",
                                      "黑龙江省五常市稻香农业专业合作社联合社有限公司（第二分社）"])
def test_on_the_thermal_label_the_producer_s_name_breaks_only_between_words(producer: str) -> None:
    from trace.codes.pdfdraw import name_breaks

    (label,) = make_labels(1)
    with open_pdf(labels_pdf([replace(label, producer_name=producer)], "thermal-50x30")) as document:
        lines = [line.strip() for line in page_text(document[0]).splitlines() if line.strip()]
    start = next(i for i, line in enumerate(lines) if producer.startswith(line.removesuffix("…")))
    shown = lines[start:]
    assert 1 <= len(shown) <= 2
    if len(shown) == 2:
        assert len(shown[0]) in name_breaks(producer), shown


def test_a_label_calls_to_scan_and_names_its_date(sheet: tuple[str, list[LabelInfo], bytes]) -> None:
    layout, labels, pdf = sheet
    with open_pdf(pdf) as document:
        text = page_text(document[0])
    assert text.count("扫码溯源") == LAYOUTS[layout].per_page
    assert f"生产日期 {labels[0].date}" in text
    (label,) = make_labels(1)
    with open_pdf(labels_pdf([replace(label, date="", date_kind="harvested")], layout)) as document:
        assert "日期" not in page_text(document[0])  # no date recorded: none printed
    with open_pdf(labels_pdf([replace(label, date_kind="harvested")], layout)) as document:
        assert f"采收日期 {label.date}" in page_text(document[0])
