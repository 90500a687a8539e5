"""Invoice: validation and the arithmetic helpers."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from gateway.canonical import Invoice


def test_a_realistic_invoice_validates(samples) -> None:
    invoice = Invoice.model_validate(samples["invoice"])
    assert invoice.kind == "invoice"
    assert invoice.maybe_party("remit_to").id == invoice.vendor_code
    assert invoice.terms.net_days == 30


def test_lines_total_is_quantity_times_price(samples) -> None:
    data = samples["invoice"]
    invoice = Invoice.model_validate(data)
    expected = sum(line["quantity"] * line["unit_price"] for line in data["lines"])
    assert invoice.lines_total() == expected


def test_a_stated_line_amount_wins(samples) -> None:
    data = samples["invoice"]
    data["lines"][0]["amount"] = Decimal("299.99")
    invoice = Invoice.model_validate(data)
    assert invoice.lines[0].net_amount() == Decimal("299.99")
    assert (
        invoice.lines_total() == Decimal("299.99") + invoice.lines[1].quantity * invoice.lines[1].unit_price
    )


def test_computed_total_adds_charges_and_tax_and_takes_allowances(samples) -> None:
    invoice = Invoice.model_validate(samples["invoice"])
    lines = invoice.lines_total()
    charge = invoice.allowances_charges[0].amount
    allowance = lines * invoice.allowances_charges[1].percent / 100
    line_tax = invoice.lines[1].taxes[0].amount
    assert invoice.computed_total() == lines + charge - allowance + line_tax


def test_header_taxes_replace_line_taxes(samples) -> None:
    data = samples["invoice"]
    data["taxes"] = [{"type": "VA", "amount": Decimal("50.00")}, {"type": "GS", "amount": Decimal("5.00")}]
    data["allowances_charges"] = []
    invoice = Invoice.model_validate(data)
    assert invoice.tax_total() == Decimal("55.00")
    assert invoice.computed_total() == invoice.lines_total() + Decimal("55.00")


@given(
    st.lists(st.tuples(st.integers(0, 999), st.integers(0, 99999)), min_size=1, max_size=6),
    st.integers(0, 5000),
    st.integers(0, 5000),
)
def test_computed_total_arithmetic(lines, charge_cents, allowance_cents) -> None:
    invoice = Invoice.model_validate(
        {
            "invoice_number": "I",
            "invoice_date": "2024-01-01",
            "po_number": "P",
            "currency": "USD",
            "total": "0",
            "lines": [
                {"line_no": str(i), "item": {"asin": "A"}, "quantity": q, "unit_price": Decimal(c) / 100}
                for i, (q, c) in enumerate(lines, 1)
            ],
            "allowances_charges": [
                {"indicator": "charge", "amount": Decimal(charge_cents) / 100},
                {"indicator": "allowance", "amount": Decimal(allowance_cents) / 100},
            ],
        }
    )
    cents = sum(q * c for q, c in lines) + charge_cents - allowance_cents
    assert invoice.computed_total() * 100 == cents


def test_credit_note_with_references(samples) -> None:
    data = samples["invoice"]
    data.update(
        kind="credit_note",
        original_invoice_number="INV-2024-0001",
        return_authorization="RMA-55120",
        return_date="2024-03-01",
    )
    note = Invoice.model_validate(data)
    assert note.kind == "credit_note"
    assert note.return_date.isoformat() == "2024-03-01"


def test_kind_is_invoice_or_credit_note(samples) -> None:
    data = samples["invoice"]
    data["kind"] = "debit_note"
    with pytest.raises(ValidationError, match="kind"):
        Invoice.model_validate(data)


@pytest.mark.parametrize(
    "missing", ["invoice_number", "invoice_date", "po_number", "currency", "total", "lines"]
)
def test_missing_required_field(samples, missing) -> None:
    data = samples["invoice"]
    del data[missing]
    with pytest.raises(ValidationError) as info:
        Invoice.model_validate(data)
    assert (missing,) in [e["loc"] for e in info.value.errors()]


def test_invoice_line_needs_a_unit_price(samples) -> None:
    data = samples["invoice"]
    del data["lines"][0]["unit_price"]
    with pytest.raises(ValidationError) as info:
        Invoice.model_validate(data)
    assert info.value.errors()[0]["loc"] == ("lines", 0, "unit_price")


def test_negative_total_is_allowed_but_not_a_nan(samples) -> None:
    data = samples["invoice"]
    data["total"] = Decimal("-10.00")
    assert Invoice.model_validate(data).total == Decimal("-10.00")
    data["total"] = Decimal("NaN")
    with pytest.raises(ValidationError, match="total"):
        Invoice.model_validate(data)
