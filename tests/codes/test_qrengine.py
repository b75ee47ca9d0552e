"""The fast symbol builder makes exactly the symbols qrcode makes."""

from __future__ import annotations

import pytest
import qrcode
from hypothesis import given, settings
from hypothesis import strategies as st
from qrcode import constants, exceptions
from qrcode import util as qr_util

from trace.codes.qrengine import FastQRCode, boards, penalty_score

LEVELS = [constants.ERROR_CORRECT_L, constants.ERROR_CORRECT_M, constants.ERROR_CORRECT_Q, constants.ERROR_CORRECT_H]
# URL-ish, numeric and alphanumeric runs, and anything at all, so every segment mode is used
texts = st.one_of(
    st.text(st.sampled_from("0123456789"), min_size=1, max_size=200),
    st.text(st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"), min_size=1, max_size=300),
    st.text(min_size=1, max_size=150),
    st.builds(
        lambda a, b: a + b, st.text(st.sampled_from("HTTPS:/.EXAMPLECN0123456789"), max_size=80), st.text(max_size=30)
    ),
)


def build(cls: type[qrcode.QRCode], text: str, level: int, **kwargs: object) -> qrcode.QRCode:
    qr = cls(error_correction=level, border=0, **kwargs)
    qr.add_data(text)
    qr.make(fit=True)
    return qr


@settings(max_examples=150, deadline=None)
@given(texts, st.sampled_from(LEVELS))
def test_same_modules_as_qrcode(text: str, level: int) -> None:
    ours, theirs = build(FastQRCode, text, level), build(qrcode.QRCode, text, level)
    assert ours.version == theirs.version
    assert ours.data_cache == theirs.data_cache
    assert ours.modules == theirs.modules


@settings(max_examples=30, deadline=None)
@given(st.text(min_size=1, max_size=60), st.integers(0, 7))
def test_same_modules_with_a_fixed_mask(text: str, mask: int) -> None:
    ours = build(FastQRCode, text, constants.ERROR_CORRECT_M, mask_pattern=mask)
    theirs = build(qrcode.QRCode, text, constants.ERROR_CORRECT_M, mask_pattern=mask)
    assert ours.modules == theirs.modules


@pytest.mark.parametrize("version", [7, 21, 40])
def test_same_modules_for_large_versions(version: int) -> None:
    # version 7 adds version information; 21 and 40 have many blocks of two sizes
    just_too_long = qr_util.BIT_LIMIT_TABLE[constants.ERROR_CORRECT_M][version - 1] // 10 * 3 + 3
    text = "8" * just_too_long  # for version - 1: numeric mode, 10 bits a 3 digits
    ours, theirs = (
        build(FastQRCode, text, constants.ERROR_CORRECT_M),
        build(qrcode.QRCode, text, constants.ERROR_CORRECT_M),
    )
    assert ours.version == theirs.version == version
    assert ours.modules == theirs.modules


def test_overflow_is_refused() -> None:
    text = "x" * 2332  # version 40-M holds 2,331 bytes
    build(FastQRCode, text[:-1], constants.ERROR_CORRECT_M)
    with pytest.raises(exceptions.DataOverflowError):
        build(FastQRCode, text, constants.ERROR_CORRECT_M)
    with pytest.raises((exceptions.DataOverflowError, ValueError)):  # qrcode 8.2 says ValueError
        build(qrcode.QRCode, text, constants.ERROR_CORRECT_M)


@st.composite
def matrices(draw: st.DrawFn) -> list[list[bool]]:
    """Square matrices of 21-61 modules, from sparse to dense so long runs and blocks occur."""
    size = draw(st.integers(21, 61))
    threshold = draw(st.integers(0, 256))
    noise = draw(st.binary(min_size=size * size, max_size=size * size))
    return [[noise[r * size + c] < threshold for c in range(size)] for r in range(size)]


@settings(max_examples=200, deadline=None)
@given(matrices())
def test_penalty_score_equals_qrcode_lost_point(modules: list[list[bool]]) -> None:
    assert penalty_score(boards(modules), len(modules)) == qr_util.lost_point(modules)


def test_penalty_score_counts_each_rule() -> None:
    size = 21
    light = [[False] * size for _ in range(size)]
    # all light: runs of 21 in 21 rows and 21 columns (19 each), 20x20 blocks of 3, 50 % off
    assert penalty_score(boards(light), size) == 42 * 19 + 400 * 3 + 100
    finder_like = [list(map(int, "10111010000" + "1010101010"))] + [
        [(r + c) % 2 for c in range(size)] for r in range(1, size)
    ]
    modules = [[bool(v) for v in row] for row in finder_like]
    assert penalty_score(boards(modules), size) == qr_util.lost_point(modules)
    assert penalty_score(boards(modules), size) >= 40
