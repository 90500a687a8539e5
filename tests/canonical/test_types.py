"""Field types: decimal text, currency, SSCC, stripped and blank text."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from gateway.canonical.types import Amount, Currency, NonNegative, OptText, Sscc, Text, decimal_text


@pytest.mark.parametrize(
    ("value", "text"),
    [("12.50", "12.50"), ("1E+2", "100"), ("0.000", "0.000"), ("-3.1", "-3.1"), ("1.5E-3", "0.0015")],
)
def test_decimal_text_has_no_exponent_and_keeps_the_scale(value: str, text: str) -> None:
    assert decimal_text(Decimal(value)) == text


@given(st.decimals(allow_nan=False, allow_infinity=False))
def test_decimal_text_reads_back_to_the_same_number(value: Decimal) -> None:
    text = decimal_text(value)
    assert "E" not in text.upper()
    assert Decimal(text) == value


def test_amounts_serialise_as_strings_in_json_mode_only() -> None:
    adapter = TypeAdapter(Amount)
    assert adapter.dump_python(Decimal("1E+1"), mode="json") == "10"
    assert adapter.dump_python(Decimal("1E+1")) == Decimal("1E+1")


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-Infinity"])
def test_amounts_are_finite(bad: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Amount).validate_python(Decimal(bad))


def test_non_negative_refuses_a_negative_value() -> None:
    adapter = TypeAdapter(NonNegative)
    assert adapter.validate_python("0") == 0
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        adapter.validate_python("-0.01")


@pytest.mark.parametrize("code", ["USD", "EUR", "GBP", "JPY", "INR"])
def test_currency_accepts_iso_codes(code: str) -> None:
    assert TypeAdapter(Currency).validate_python(f" {code} ") == code


@pytest.mark.parametrize("code", ["usd", "US", "USDX", "ABC", "XXX", ""])
def test_currency_refuses_what_is_not_an_iso_code(code: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(Currency).validate_python(code)


def test_sscc_drops_the_application_identifier() -> None:
    adapter = TypeAdapter(Sscc)
    assert adapter.validate_python("00008400066470000017") == "008400066470000017"
    assert adapter.validate_python("340123450000000013") == "340123450000000013"


@pytest.mark.parametrize("bad", ["12345", "0084000664700000AB", "1234567890123456789"])
def test_sscc_refuses_what_is_not_18_digits(bad: str) -> None:
    with pytest.raises(ValidationError, match="SSCC"):
        TypeAdapter(Sscc).validate_python(bad)


def test_text_is_stripped_and_never_empty() -> None:
    assert TypeAdapter(Text).validate_python("  PO1 ") == "PO1"
    with pytest.raises(ValidationError):
        TypeAdapter(Text).validate_python("   ")


def test_optional_text_turns_blank_into_none() -> None:
    adapter = TypeAdapter(OptText)
    assert adapter.validate_python("  ") is None
    assert adapter.validate_python(None) is None
    assert adapter.validate_python(" x ") == "x"
