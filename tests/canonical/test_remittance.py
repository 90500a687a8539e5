"""Remittance: what it enforces (the payment = what it settles), what it computes, its money round trips."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from gateway.canonical import DOCUMENT_TYPES, Remittance, RemittanceLine, document_from_json
from gateway.canonical.xml import from_xml, to_xml

_settings = settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])


def test_a_realistic_remittance_validates(samples) -> None:
    remittance = Remittance.model_validate(samples["remittance"])
    assert DOCUMENT_TYPES["remittance"] is Remittance
    assert remittance.computed_amount() == remittance.amount == Decimal("607.00")
    assert remittance.maybe_party("payer").name == "Amazon.com Services LLC"


def test_an_amount_that_its_lines_do_not_make_fails_at_amount(samples) -> None:
    data = {**samples["remittance"], "amount": Decimal("607.01")}
    with pytest.raises(ValidationError) as exc:
        Remittance.model_validate(data)
    [error] = exc.value.errors()
    assert error["loc"] == ("amount",)
    assert "607.01 is not what its lines and adjustments add up to (607.00)" in error["msg"]


def test_the_adjustments_not_tied_to_a_line_count_in_the_payment(samples) -> None:
    data = {**samples["remittance"], "adjustments": []}
    with pytest.raises(ValidationError, match=r"add up to \(612.00\)"):
        Remittance.model_validate(data)


def test_a_debit_advice_states_what_the_payee_owes_as_a_positive_amount(samples) -> None:
    data = samples["remittance"]
    data["lines"] = [{"reference": "VCBSINV0012345", "amount_paid": Decimal("-40.00")}]
    data["adjustments"] = []
    with pytest.raises(ValidationError, match=r"add up to \(-40.00\)"):
        Remittance.model_validate({**data, "amount": Decimal("40.00")})  # a credit of 40 it is not
    doc = Remittance.model_validate({**data, "amount": Decimal("40.00"), "credit_debit": "debit"})
    assert doc.computed_amount() == doc.amount == Decimal("40.00")


def test_a_remittance_of_information_only_may_have_no_lines() -> None:
    doc = Remittance.model_validate(
        {"trace_number": "T1", "payment_date": "2024-04-10", "currency": "USD", "amount": "0"}
    )
    assert doc.lines == [] and doc.computed_amount() == 0


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ({"amount_paid": "637.00", "invoice_amount": "650.00", "discount": "13.00"}, Decimal(0)),
        (
            {
                "amount_paid": "475.00",
                "invoice_amount": "500.00",
                "adjustments": [{"amount": "-25.00", "reason": "CS"}],
            },
            Decimal(0),
        ),
        ({"amount_paid": "280.00", "invoice_amount": "300.00"}, Decimal("20.00")),  # short-paid
        ({"amount_paid": "-25.00"}, None),  # a deduction line states no invoice amount
    ],
)
def test_shortfall_is_what_the_line_leaves_unexplained(line, expected) -> None:
    assert RemittanceLine.model_validate({"reference": "INV-1", **line}).maybe_shortfall() == expected


def test_a_short_paid_line_is_kept_not_refused(samples) -> None:
    data = samples["remittance"]
    data["lines"][0]["amount_paid"] = Decimal("600.00")
    data["amount"] = Decimal("570.00")
    doc = Remittance.model_validate(data)
    assert doc.lines[0].maybe_shortfall() == Decimal("37.00")


def test_an_unknown_party_role_is_refused(samples) -> None:
    data = samples["remittance"]
    data["parties"] = [{"role": "bill_to"}]
    with pytest.raises(ValidationError, match="payer"):
        Remittance.model_validate(data)


def _amounts(doc: Remittance) -> list[Decimal]:
    values = [doc.amount, *(a.amount for a in doc.adjustments)]
    for line in doc.lines:
        values += [line.amount_paid, line.invoice_amount or 0, line.discount or 0]
        values += [a.amount for a in line.adjustments]
    return values


@_settings
@given(data=st.data())
def test_money_round_trips_through_the_json_contract_exactly(remittance_dicts, data) -> None:
    doc = Remittance.model_validate(data.draw(remittance_dicts))
    payload = doc.to_json_dict()
    assert isinstance(payload["amount"], str)
    back = document_from_json(payload)
    assert back == doc
    assert [str(x) for x in _amounts(back)] == [str(x) for x in _amounts(doc)]  # the scale is kept too


@_settings
@given(data=st.data())
def test_money_round_trips_through_the_xml_form(remittance_dicts, data) -> None:
    doc = Remittance.model_validate(data.draw(remittance_dicts))
    assert from_xml(to_xml(doc)) == doc


@_settings
@given(data=st.data(), cents=st.integers(-(10**6), 10**6).filter(bool))
def test_the_payment_must_equal_lines_plus_adjustments_to_the_cent(remittance_dicts, data, cents) -> None:
    raw = data.draw(remittance_dicts)
    doc = Remittance.model_validate(raw)
    assert doc.computed_amount() == doc.amount
    with pytest.raises(ValidationError, match="add up to"):
        Remittance.model_validate({**raw, "amount": raw["amount"] + Decimal(cents).scaleb(-2)})


@_settings
@given(data=st.data())
def test_paid_plus_discount_minus_adjustments_plus_shortfall_is_the_invoice_amount(
    remittance_dicts, data
) -> None:
    doc = Remittance.model_validate(data.draw(remittance_dicts))
    for line in doc.lines:
        shortfall = line.maybe_shortfall()
        if line.invoice_amount is None:
            assert shortfall is None
            continue
        total = line.amount_paid + (line.discount or 0) - line.adjustments_total() + shortfall
        assert total == line.invoice_amount
