"""Text fitting and QR rectangles used by the PDF layouts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fpdf import FPDF
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from trace.codes.pdfdraw import ELLIPSIS, _rectangles, fit_lines, new_pdf, text_width

SAMPLES = "五常有机稻花香大米，（一级）礼盒装。ABC abc 123 Organic jasmine rice "


@pytest.fixture(scope="module")
def pdf() -> Iterator[FPDF]:
    with new_pdf(100, 100, title="t") as document:
        document.add_page()
        document.set_font_size(8)
        yield document


@settings(max_examples=50)
@given(st.text(SAMPLES, max_size=40))
def test_text_width_equals_fpdf2(pdf: FPDF, text: str) -> None:
    assert text_width(pdf, text) == pytest.approx(pdf.get_string_width(text))


@settings(max_examples=200)
@given(st.text(SAMPLES, max_size=80), st.floats(2, 60), st.integers(1, 3))
def test_fit_lines_stay_within_width_and_count(pdf: FPDF, text: str, width: float, max_lines: int) -> None:
    lines = fit_lines(pdf, text, width, max_lines)
    assert len(lines) <= max_lines
    assert all(text_width(pdf, line) <= width + 1e-9 for line in lines)
    assert all(line == line.strip() and line for line in lines)
    normal = " ".join(text.split())
    flat = "".join(lines).replace(" ", "")
    if not lines:
        assert not normal or text_width(pdf, ELLIPSIS) > width
    elif lines[-1].endswith(ELLIPSIS) or text_width(pdf, ELLIPSIS) > width:  # cut short
        assert normal.replace(" ", "").startswith(flat.removesuffix(ELLIPSIS))
    else:
        assert flat == normal.replace(" ", "")


def test_fit_lines_wraps_latin_at_spaces_and_cjk_anywhere(pdf: FPDF) -> None:
    text = "Organic jasmine rice from Heilongjiang"
    lines = fit_lines(pdf, text, 25, 3)
    assert len(lines) > 1 and " ".join(lines) == text  # every break at a space
    lines = fit_lines(pdf, "黑龙江省五常市稻香农业专业合作社联合社有限公司", 25, 2)
    assert len(lines) == 2 and lines[1].endswith(ELLIPSIS) and lines[0].startswith("黑龙江省")


def test_fit_lines_keeps_punctuation_off_line_starts_and_brackets_off_line_ends(pdf: FPDF) -> None:
    text = "五常有机稻花香大米（一级）礼盒装，五公斤。" * 3
    for width in (12, 15, 18, 21, 24, 27, 30):
        lines = fit_lines(pdf, text, width, 6)
        assert not any(line[0] in "，。）" for line in lines[1:]), lines
        assert not any(line[-1] == "（" for line in lines), lines


def test_nothing_fits_gives_an_ellipsis_or_nothing(pdf: FPDF) -> None:
    assert fit_lines(pdf, "五常大米", 0.5) == []
    assert fit_lines(pdf, "五常大米", text_width(pdf, ELLIPSIS)) == [ELLIPSIS]
    assert fit_lines(pdf, "", 50) == []


@given(
    st.integers(1, 25).flatmap(
        lambda n: st.lists(st.lists(st.booleans(), min_size=n, max_size=n), min_size=n, max_size=n)
    )
)
def test_rectangles_cover_dark_modules_exactly_once(modules: list[list[bool]]) -> None:
    covered: dict[tuple[int, int], int] = {}
    for col, row, width, height in _rectangles(tuple(map(tuple, modules))):
        for r in range(row, row + height):
            for c in range(col, col + width):
                covered[(r, c)] = covered.get((r, c), 0) + 1
    dark = {(r, c) for r, line in enumerate(modules) for c, v in enumerate(line) if v}
    assert set(covered) == dark
    assert set(covered.values()) <= {1}


@pytest.mark.parametrize(("name", "words"), [
    ("松阳县银猴茶叶专业合作社", ["松阳县", "银猴茶叶", "专业合作社"]),
    ("玉岩猕猴桃家庭农场", ["玉岩猕猴桃", "家庭农场"]),
    ("黑龙江省五常市稻香农业专业合作社联合社有限公司（第二分社）",
     ["黑龙江省", "五常市", "稻香农业", "专业合作社联合社", "有限公司", "（第二", "分社）"]),
    ("松阳农家乐超市", ["松阳农家乐", "超市"]),
    ("大东坝农贸市场", ["大东坝农贸市场"]),  # 市场 is one word, not a city
])
def test_names_break_only_between_their_words(name: str, words: list[str]) -> None:
    from trace.codes.pdfdraw import name_breaks

    ends = [sum(len(w) for w in words[:i + 1]) for i in range(len(words) - 1)]
    assert sorted(name_breaks(name)) == ends


@settings(max_examples=100)
@given(st.sampled_from(["松阳县银猴茶叶专业合作社", "黑龙江省五常市稻香农业专业合作社联合社有限公司（第二分社）",
                        "象溪土鸡蛋家庭农场", "松阳县菜籽油加工厂"]), st.floats(12, 60))
def test_fit_lines_with_words_breaks_a_name_only_between_words(pdf: FPDF, name: str, width: float) -> None:
    from trace.codes.pdfdraw import name_breaks

    cuts = [0, *sorted(name_breaks(name)), len(name)]
    assume(all(text_width(pdf, name[a:b]) <= width for a, b in zip(cuts, cuts[1:], strict=False)))  # each word fits
    lines = fit_lines(pdf, name, width, 3, words=True)
    assert all(text_width(pdf, line) <= width + 1e-9 for line in lines)
    position = 0
    for line in lines[:-1]:
        position += len(line)
        assert position in name_breaks(name), (name, lines)
