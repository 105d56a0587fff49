import pytest

from textkernel.clean import csv_cell, normalize_newlines, text_problem
from textkernel.params import BIGINT_MAX, parse_id, parse_int


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12", 12),
        (" 7 ", 7),
        (3, 3),
        ("0", 0),
        (str(BIGINT_MAX), BIGINT_MAX),
        (str(BIGINT_MAX + 1), None),
        ("99999999999999999999", None),
        ("-1", None),
        ("", None),
        ("1e3", None),
        ("0x10", None),
        ("1_000", None),
        ("١٢", None),
        ("12\x00", None),
        (None, None),
        (True, None),
        (1.5, None),
    ],
)
def test_parse_int_accepts_only_plain_decimal_in_bounds(value, expected):
    assert parse_int(value) == expected


def test_parse_int_bounds_and_default():
    assert parse_int("-5", minimum=-10) == -5
    assert parse_int("11", maximum=10, default=10) == 10
    assert parse_id("0") is None
    assert parse_id("42") == 42


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("Giá 6 triệu USD\tđúng\nkhông?", None),
        ("a\x00b", "control"),
        ("a\x1bb", "control"),
        ("a\x7fb", "control"),
        ("evil \u202egnp.exe", "bidi"),
        ("isolate \u2066x\u2069", "bidi"),
        ("lone \ud800", "surrogate"),
    ],
)
def test_text_problem(text, problem):
    assert text_problem(text) == problem


def test_normalize_newlines():
    assert normalize_newlines("a\r\nb\rc") == "a\nb\nc"


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cell_neutralises_formula_starts(start):
    assert csv_cell(start + "SUM(A1)") == "'" + start + "SUM(A1)"


def test_csv_cell_leaves_text_alone():
    assert csv_cell("6 triệu USD") == "6 triệu USD"
    assert csv_cell(None) == ""
    assert csv_cell(12) == "12"
