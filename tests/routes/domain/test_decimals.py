"""Numbers as people type them: ASCII digits only, never what str.isdigit() or int() would also read."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from routes.domain.decimals import parse_decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8080", 8080),
        ("007", 7),
        ("0", 0),
        ("9" * 100, int("9" * 100)),
        ("²", None),
        ("١٢", None),
        ("１２", None),
        ("12\n", None),
        (" 12", None),
        ("-1", None),
        ("+1", None),
        ("1_000", None),
        ("", None),
        ("9" * 101, None),
        ("9" * 5000, None),
        (12, None),
        (None, None),
    ],
)
def test_parse_decimal_reads_only_ascii_digits(text, expected):
    assert parse_decimal(text) == expected


@given(st.text(max_size=12))
def test_parse_decimal_never_raises_and_agrees_with_int_on_ascii_digits(text):
    number = parse_decimal(text)
    if text.isascii() and text.isdigit():
        assert number == int(text)
    else:
        assert number is None
