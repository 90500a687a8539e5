"""Conversion functions, both directions."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.mapping.functions import compile_call


@pytest.mark.parametrize(
    ("call", "text", "value"),
    [
        ("date(CCYYMMDD)", "20240229", date(2024, 2, 29)),
        ("date(YYMMDD)", "240131", date(2024, 1, 31)),
        ("date(CCYYMMDDHHMM)", "202401311230", date(2024, 1, 31)),
        ("time(HHMM)", "0930", time(9, 30)),
        ("implied(2)", "123456", Decimal("1234.56")),
        ("implied(2)", "-5", Decimal("-0.05")),
        ("decimal", "12.50", Decimal("12.50")),
        ("decimal", "12,5", Decimal("12.5")),
        ("int", "0003", 3),
        ("int", "2.0", 2),
        ("strip_zeros", "000123", "123"),
        ("upper", "ea", "EA"),
    ],
)
def test_read(call: str, text: str, value: object) -> None:
    assert compile_call(call).read(text) == value


@pytest.mark.parametrize(
    ("composite", "value"),
    [
        (["137", "20240131", "102"], date(2024, 1, 31)),
        (["137", "240131", "101"], date(2024, 1, 31)),
        (["2", "202401311200", "203"], date(2024, 1, 31)),
        (["2", "20240131-20240205", "718"], date(2024, 1, 31)),
        (["137", "20240131"], date(2024, 1, 31)),
    ],
)
def test_edifact_dtm_format_codes(composite: list[str], value: date) -> None:
    assert compile_call("date(dtm)").read(composite) == value


@pytest.mark.parametrize(
    ("call", "text", "reason"),
    [
        ("date(CCYYMMDD)", "20240230", "not a date"),
        ("date(dtm)", ["137", "2024", "999"], "not supported"),
        ("implied(2)", "12.5", "implied decimals"),
        ("decimal", "abc", "not a number"),
        ("decimal", "NaN", "not a number"),
        ("time(HHMM)", "2561", "not a time"),
        # strptime alone takes a digit short as a shorter field: 2024011 would be 2024-01-01
        ("date(CCYYMMDD)", "2024011", "not a date"),
        ("date(YYMMDD)", "2421", "not a date"),
        ("date(CCYYMMDD)", "2024-1-15", "not a date"),
        ("date(dtm)", ["137", "2402031200", "203"], "not a date"),
        ("date(dtm)", ["137", "2024013", "102"], "not a date"),
        ("time(HHMM)", "930", "not a time"),
        # a count is whole: 2.7 is not read as 2
        ("int", "2.7", "not a whole number"),
        ("int", "Infinity", "not a whole number"),
        ("int", "x", "not a whole number"),
        # Python's Decimal reads 1_000 as 1000: EDI has no such digit grouping
        ("int", "1_000", "not a whole number"),
        ("decimal", "1_000", "not a number"),
    ],
)
def test_bad_input_says_why(call: str, text: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        compile_call(call).read(text)


def test_write() -> None:
    assert compile_call("date(CCYYMMDD)").write(date(2024, 1, 5)) == "20240105"
    assert compile_call("implied(2)").write(Decimal("1234.56")) == "123456"
    assert compile_call("decimal").write(Decimal("12.500")) == "12.5"
    assert compile_call("decimal(2)").write(Decimal("12.5")) == "12.50"
    assert compile_call("date(dtm)").write(date(2024, 1, 5)) == "20240105"


@pytest.mark.parametrize("text", ["nope", "date", "date(XXXX)", "implied(x)", "eval(1)", "int(3)", "a b"])
def test_unknown_or_bad_calls(text: str) -> None:
    with pytest.raises(ValueError):
        compile_call(text)


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_implied_round_trips(value: Decimal) -> None:
    call = compile_call("implied(2)")
    assert call.read(call.write(value)) == value


@given(
    st.dates(min_value=date(1969, 1, 1), max_value=date(2068, 12, 31)),
    st.sampled_from(["CCYYMMDD", "YYMMDD"]),
)
def test_dates_round_trip(value: date, layout: str) -> None:
    call = compile_call(f"date({layout})")
    assert call.read(call.write(value)) == value


def test_a_decimal_comma_is_edifact_only() -> None:
    assert compile_call("decimal", "edifact").read("12,5") == Decimal("12.5")
    assert compile_call("decimal").read("12,5") == Decimal("12.5")
    x12 = compile_call("decimal", "x12")
    assert x12.read("1000.50") == Decimal("1000.50")
    for text in ("1,000", "12,5"):  # X12 has no decimal comma: never 1.000, never 1000
        with pytest.raises(ValueError, match="X12 numbers have a point, no comma"):
            x12.read(text)
