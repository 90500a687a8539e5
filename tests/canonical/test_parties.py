"""Shared parts: item ids, parties, allowances and charges, taxes, terms."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from gateway.canonical.parties import PARTY_ROLES, AllowanceCharge, ItemIds, Party, Tax, Terms, parties_of


def test_an_item_needs_one_id_at_least() -> None:
    with pytest.raises(ValidationError, match="at least one id"):
        ItemIds()
    with pytest.raises(ValidationError, match="at least one id"):
        ItemIds(asin="  ", ean="")
    assert ItemIds(buyer_sku=" X1 ").buyer_sku == "X1"


def test_party_roles() -> None:
    assert set(PARTY_ROLES) == {
        "buyer",
        "ship_to",
        "bill_to",
        "vendor",
        "remit_to",
        "ship_from",
        "supplier",
        "invoicee",
    }
    with pytest.raises(ValidationError, match="role"):
        Party(role="carrier")


def test_party_refuses_unknown_fields() -> None:
    with pytest.raises(ValidationError, match="street"):
        Party.model_validate({"role": "ship_to", "street": "1 Main St"})


def test_parties_of_selects_by_role() -> None:
    parties = [Party(role="ship_to", id="ABE2"), Party(role="buyer"), Party(role="ship_to", id="PHX3")]
    assert [p.id for p in parties_of(parties, "ship_to")] == ["ABE2", "PHX3"]
    assert parties_of(parties, "vendor") == []


def test_allowance_charge_needs_an_amount_or_a_percent() -> None:
    with pytest.raises(ValidationError, match="amount or a percent"):
        AllowanceCharge(indicator="charge")
    with pytest.raises(ValidationError, match="indicator"):
        AllowanceCharge(indicator="discount", amount=Decimal(1))
    with pytest.raises(ValidationError, match="greater than or equal to 0"):
        AllowanceCharge(indicator="allowance", amount=Decimal(-1))


def test_tax_amount_may_be_negative_but_not_its_rate() -> None:
    assert Tax(amount=Decimal("-1.00")).amount == Decimal("-1.00")
    with pytest.raises(ValidationError):
        Tax(rate=Decimal("-5"))


def test_terms_days_are_not_negative_and_due_date_is_a_date() -> None:
    with pytest.raises(ValidationError):
        Terms(net_days=-1)
    with pytest.raises(ValidationError):
        Terms.model_validate({"due_date": "2024-13-01"})
    assert Terms.model_validate({"due_date": "2024-03-01"}).due_date.month == 3
