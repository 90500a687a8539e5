"""ReturnAuthorization: lines with reason, disposition and credit."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from gateway.canonical import ReturnAuthorization


def test_a_realistic_rma_validates(samples) -> None:
    rma = ReturnAuthorization.model_validate(samples["return_authorization"])
    assert rma.lines[0].reason == "damaged"
    assert rma.lines[0].unit_credit == Decimal("12.50")


def test_po_number_date_and_currency_are_optional(samples) -> None:
    data = samples["return_authorization"]
    for key in ("po_number", "rma_date", "currency"):
        del data[key]
    rma = ReturnAuthorization.model_validate(data)
    assert (rma.po_number, rma.rma_date, rma.currency) == (None, None, None)


def test_currency_when_given_is_checked(samples) -> None:
    data = samples["return_authorization"]
    data["currency"] = "EURO"
    with pytest.raises(ValidationError, match="ISO 4217"):
        ReturnAuthorization.model_validate(data)


def test_missing_rma_number(samples) -> None:
    data = samples["return_authorization"]
    del data["rma_number"]
    with pytest.raises(ValidationError, match="rma_number"):
        ReturnAuthorization.model_validate(data)


def test_negative_credit_is_refused(samples) -> None:
    data = samples["return_authorization"]
    data["lines"][0]["unit_credit"] = "-1"
    with pytest.raises(ValidationError) as info:
        ReturnAuthorization.model_validate(data)
    assert info.value.errors()[0]["loc"] == ("lines", 0, "unit_credit")
