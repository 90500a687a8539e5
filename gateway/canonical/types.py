"""Field types shared by every canonical document: text, money, quantities, currency, SSCC.

Each type is an ``Annotated`` alias carrying its own validation and JSON serialisation, so a
model only has to name it. Decimals serialise (``mode="json"``) as plain strings that keep
the scale they were given and never use an exponent: ``Decimal("12.50")`` -> ``"12.50"``,
``Decimal("1E+2")`` -> ``"100"``. NaN and infinities are refused.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, Field, PlainSerializer, StringConstraints

from gateway.canonical.currencies import ISO_4217


def decimal_text(value: Decimal) -> str:
    """``value`` as a plain decimal string: no exponent, the given scale kept."""
    return format(value, "f")


def _blank_to_none(value: str) -> None:
    return None


def _currency(value: str) -> str:
    if value not in ISO_4217:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code (3 upper-case letters, e.g. USD, EUR)")
    return value


def _sscc(value: str) -> str:
    if len(value) == 20 and value.startswith("00"):  # the GS1 application identifier (00) kept in front
        value = value[2:]
    if len(value) != 18 or not (value.isascii() and value.isdigit()):
        raise ValueError(f"{value!r} is not an SSCC (18 digits)")
    return value


_decimal_json = PlainSerializer(decimal_text, return_type=str, when_used="json")

#: A required piece of text: surrounding spaces stripped, never empty.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
#: Optional text: blank becomes ``None``. Tried left to right, so only a blank text reaches
#: Python (``_blank_to_none``): validating the usual non-blank text stays inside pydantic-core.
OptText = Annotated[
    Text | Annotated[str, AfterValidator(_blank_to_none)] | None,
    Field(union_mode="left_to_right"),
]
#: Any finite decimal amount (may be negative: a total, a tax adjustment).
Amount = Annotated[Decimal, Field(allow_inf_nan=False), _decimal_json]
#: A quantity, a price, a percentage: a finite decimal, never negative.
NonNegative = Annotated[Decimal, Field(ge=0, allow_inf_nan=False), _decimal_json]
#: An ISO 4217 currency code.
Currency = Annotated[str, StringConstraints(strip_whitespace=True, to_upper=False), AfterValidator(_currency)]
#: A Serial Shipping Container Code (18 digits; a leading ``00`` application identifier is dropped).
Sscc = Annotated[str, StringConstraints(strip_whitespace=True), AfterValidator(_sscc)]
