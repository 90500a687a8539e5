"""Property: any invoice rendered through the outbound mapping, written, parsed and read back
through the inbound mapping is the same canonical invoice (X12 810 and EDIFACT INVOIC).

The generator builds invoices as invoicing would, holding only what each standard carries:
X12 810 states no line amount or tax category (a tax's taxable amount is TXI08), and an
EDIFACT invoice's NAD+SU / NAD+IV read back as remit-to / bill-to (so ``supplier`` and ``invoicee`` are left
to the X12 side and bill-to respectively). Both read the line count back from CTT / CNT.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.canonical import Invoice
from gateway.edi import parse
from gateway.mapping import MappingRegistry, default_root
from gateway.mapping.emit import Envelope, write_documents
from gateway.mapping.outbound import make_plan

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)
rates = st.decimals(min_value=Decimal(0), max_value=Decimal(30), places=1)
# Text as a partner sees it: letters, digits and the punctuation that never is a separator.
text = st.text(alphabet="ABCDEFGHJKLMNPQRSTUVWXYZabcdefgh0123456789-./", min_size=1, max_size=14)
maybe = st.none() | text

X12_ROLES = ["remit_to", "bill_to", "ship_to", "ship_from", "buyer", "supplier", "vendor"]
EDIFACT_ROLES = ["remit_to", "bill_to", "ship_to", "ship_from", "buyer", "vendor"]
X12_TAXES = ["VAT", "GST", "SALES", "STATE", "CITY", "COUNTY", "LOCAL", "ALL"]
EDIFACT_TAXES = ["VAT", "GST", "LOCAL", "STATE"]
TERMS_TYPES = ["01", "02", "03", "05", "08", "09", "23"]


@st.composite
def parties(draw, edifact: bool) -> list[dict]:
    result = []
    for role in draw(st.lists(st.sampled_from(EDIFACT_ROLES if edifact else X12_ROLES), max_size=4)):
        party_id = draw(maybe)
        result.append(
            {
                "role": role,
                "id": party_id,
                "id_qualifier": draw(st.sampled_from(["9", "92"] if edifact else ["92", "ZZ"]))
                if party_id
                else None,
                "name": draw(maybe),
                "address1": draw(maybe),
                "city": draw(maybe),
                "postal_code": draw(maybe),
                "country": draw(st.none() | st.sampled_from(["US", "DE", "LU"])),
                "tax_id": draw(maybe),
            }
        )
    return result


@st.composite
def taxes(draw, edifact: bool) -> list[dict]:
    return [
        {
            "type": draw(st.sampled_from(EDIFACT_TAXES if edifact else X12_TAXES)),
            "rate": draw(st.none() | rates),
            "amount": draw(money),
            "category": draw(st.none() | st.sampled_from(["S", "Z", "E"])) if edifact else None,
            "taxable_amount": draw(st.none() | money),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]


@st.composite
def invoices(draw, edifact: bool) -> dict:
    kind = draw(st.sampled_from(["invoice", "credit_note"]))
    lines = []
    for n in range(1, draw(st.integers(1, 5)) + 1):
        quantity = Decimal(draw(st.integers(1, 5000)))
        unit_price = draw(money)
        ids = draw(
            st.fixed_dictionaries(
                {
                    "asin": maybe,
                    "ean": st.none() | st.from_regex(r"\d{13}", fullmatch=True),
                    "upc": st.none() | st.from_regex(r"\d{12}", fullmatch=True),
                    "vendor_sku": maybe,
                    "buyer_sku": maybe,
                }
            ).filter(lambda ids: any(ids.values()))
        )
        lines.append(
            {
                "line_no": str(n),
                "quantity": quantity,
                "uom": draw(st.sampled_from(["EA", "CA"])),
                "case_size": draw(st.none() | st.sampled_from([Decimal(6), Decimal(12)])),
                "unit_price": unit_price,
                "amount": quantity * unit_price if edifact else None,
                "item": ids,
                "taxes": draw(taxes(edifact)),
                "description": draw(maybe),
            }
        )
    party_list = draw(parties(edifact))
    ship_to = next((p for p in party_list if p["role"] == "ship_to" and p["id"]), None)
    terms = draw(
        st.none()
        | st.fixed_dictionaries(
            {
                "type_code": st.sampled_from(TERMS_TYPES),
                "description": maybe,
                "discount_percent": st.none() | rates,
                "discount_days": st.none() | st.integers(0, 90),
                "net_days": st.none() | st.integers(0, 120),
                "due_date": st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31)),
            }
        )
    )
    allowances = [
        {
            "indicator": draw(st.sampled_from(["allowance", "charge"])),
            "code": draw(text),
            "description": draw(maybe),
            "amount": draw(st.none() | money),
            "percent": draw(rates),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    return {
        "invoice_number": draw(text),
        "invoice_date": draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))),
        "kind": kind,
        "po_number": draw(text),
        "po_date": draw(st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))),
        "shipment_id": draw(maybe),
        "vendor_code": draw(maybe),
        "original_invoice_number": draw(text) if kind == "credit_note" else None,
        "return_authorization": draw(maybe) if kind == "credit_note" else None,
        "return_date": draw(st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2060, 12, 31))),
        "currency": draw(st.sampled_from(["USD", "EUR", "GBP", "CAD"])),
        # the FC code alone is written as a ship-to party: generate it only with that party
        "ship_to_location": ship_to["id"] if ship_to else None,
        "parties": party_list,
        "terms": terms,
        "allowances_charges": allowances,
        "taxes": draw(taxes(edifact)),
        "lines": lines,
        "line_count": len(lines),
        "total": draw(money),
    }


@pytest.fixture(scope="module")
def registry() -> MappingRegistry:
    return MappingRegistry(default_root())


@pytest.mark.parametrize(
    ("standard", "version", "document"), [("x12", "004010", "810"), ("edifact", "D96A", "INVOIC")]
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_render_write_parse_translate_gives_the_same_invoice(
    registry, standard, version, document, data
) -> None:
    invoice = Invoice.model_validate(data.draw(invoices(standard == "edifact")))
    mapping = registry.select(standard, version, document, "outbound")
    payload = write_documents(
        mapping, [invoice], Envelope("ACMEVENDOR", "AMAZON", "7", datetime(2024, 5, 6, 7, 8))
    )
    parsed = parse(payload)
    assert parsed.ok, parsed.errors
    (tx,) = parsed.transactions
    assert registry.translate(tx).model_dump() == invoice.model_dump()


def _nested(specs: list) -> None:
    """Every segment of ``specs`` planned the general way (texts by element and component)."""
    for spec in specs:
        if spec.tag is not None:
            spec.plan = make_plan(spec, simple=False)
        _nested(spec.children or [])


@pytest.mark.parametrize(
    "standard,version,document", [("x12", "004010", "810"), ("edifact", "D96A", "INVOIC")]
)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_simple_segments_render_as_the_general_path(standard, version, document, data) -> None:
    invoice = Invoice.model_validate(data.draw(invoices(standard == "edifact")))
    fast = MappingRegistry(default_root()).select(standard, version, document, "outbound")
    general = MappingRegistry(default_root()).select(standard, version, document, "outbound")
    _nested(general.segments)
    assert fast.render(invoice).segments == general.render(invoice).segments
