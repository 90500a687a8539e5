"""Reconciliation compares invoiced with received (the shortage Amazon will claim) as well as with shipped,
per PO line and per carton: stored documents on a real database (SQLite and PostgreSQL), and a property
test that money at risk counts the same eaches once."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from gateway.config import PartnerDirectory
from gateway.config.rules import ReconciliationRules
from gateway.orders.book import Loaded, PoBundle
from gateway.reconcile.rules import po_findings
from gateway.store.models import Document
from tests.money.conftest import PO, asn, invoice, po, reconcile_stored
from tests.settlement.conftest import receipt

SSCC_A, SSCC_B = "008400123450000016", "008400123450000023"  # valid GS1 check digits


def _packages(a: int = 12, b: int = 12) -> list[dict]:
    def carton(sscc: str, qty: int) -> dict:
        return {
            "sscc": sscc,
            "contents": [{"po_number": PO, "line_no": "1", "item": {"asin": "B0C4LMP7Q2"}, "quantity": qty}],
        }

    return [carton(SSCC_A, a), carton(SSCC_B, b)]


def _money(rows: list) -> list[Decimal | None]:
    return [r.amount_at_risk for r in rows]


def _billed(shipped: int = 24, packages: list[dict] | None = None) -> tuple[tuple[str, object], ...]:
    """PO line 1 x24 (12.50), ASN-1 shipping ``shipped``, INV-1 billing all 24."""
    return (
        ("amazon-us", po(lines={"1": 24})),
        ("warehouse", asn("ASN-1", {"1": shipped}, packages=packages)),
        ("amazon-us", invoice("INV-1", {"1": 24})),
    )


def test_a_short_receipt_files_the_shortage_per_line_and_per_carton_and_closes_when_corrected(
    db: Session, partners: PartnerDirectory
) -> None:
    assert reconcile_stored(db, partners, *_billed(packages=_packages())) == {}
    found = reconcile_stored(
        db,
        partners,
        ("amazon-us", receipt("RCV-1", {"1": 22}, po_number=PO, ssccs={"1": SSCC_A})),
    )
    assert set(found) == {"invoiced_past_received", "carton_short_received"}
    [line] = found["invoiced_past_received"]
    assert (line.invoice_number, line.shipment_id, line.line_no, line.expected, line.actual) == (
        "INV-1",
        "ASN-1",
        "1",
        "<= 22 EA received",
        "24 EA invoiced",
    )
    assert line.amount_at_risk == Decimal("25.00") and line.severity == "error"
    # the receipt put all 22 in carton A (12 said): B is named by no line, so nothing arrived in it
    [carton] = found["carton_short_received"]
    assert (carton.shipment_id, carton.expected, carton.actual, carton.amount_at_risk, carton.severity) == (
        "ASN-1",
        f"12 EA in carton {SSCC_B}",
        "0 EA received",
        None,
        "warning",
    )

    corrected = receipt("RCV-1", {"1": 24}, po_number=PO)  # Amazon's corrected report: all 24, no cartons
    assert reconcile_stored(db, partners, ("amazon-us", corrected)) == {}


def test_per_carton_receipts_name_the_carton_that_came_short(db: Session, partners: PartnerDirectory) -> None:
    short = receipt("RCV-2", {"1": 12}, po_number=PO, ssccs={"1": SSCC_A}).model_copy(deep=True)
    more = receipt("RCV-2", {"1": 9}, po_number=PO, ssccs={"1": SSCC_B})
    both = short.model_copy(update={"lines": [*short.lines, *more.lines]})
    found = reconcile_stored(
        db,
        partners,
        *_billed(packages=_packages()),
        ("amazon-us", both),
    )
    assert _money(found["invoiced_past_received"]) == [Decimal("37.50")]  # 3 x 12.50
    assert [(c.expected, c.actual) for c in found["carton_short_received"]] == [
        (f"12 EA in carton {SSCC_B}", "9 EA received")
    ]


def test_billed_past_shipped_and_received_is_money_at_risk_once(
    db: Session, partners: PartnerDirectory
) -> None:
    found = reconcile_stored(
        db,
        partners,
        *_billed(shipped=20),
        ("amazon-us", receipt("RCV-1", {"1": 18}, po_number=PO)),
    )
    assert _money(found["invoiced_over_shipped"]) == [Decimal("50.00")]  # 4 billed past shipped
    assert _money(found["invoiced_past_received"]) == [Decimal("25.00")]  # 2 shipped, not received
    assert "carton_short_received" not in found  # the receipt names no carton


def test_a_delivery_not_received_yet_is_not_short(db: Session, partners: PartnerDirectory) -> None:
    found = reconcile_stored(
        db,
        partners,
        ("amazon-us", po(lines={"1": 24})),
        ("warehouse", asn("ASN-1", {"1": 12})),
        ("warehouse", asn("ASN-2", {"1": 12}, ship_date=date(2026, 1, 16))),
        ("amazon-us", invoice("INV-1", {"1": 12})),
        ("amazon-us", invoice("INV-2", {"1": 12}, shipment_id="ASN-2", invoice_date=date(2026, 1, 17))),
        ("amazon-us", receipt("RCV-1", {"1": 11}, po_number=PO, shipment_id="ASN-1")),
    )
    [row] = found["invoiced_past_received"]
    assert (row.invoice_number, row.amount_at_risk) == ("INV-1", Decimal("12.50"))


def test_a_partner_can_skip_the_receipt_rules(db: Session, partners: PartnerDirectory) -> None:
    skip = ReconciliationRules(skip=["invoiced_past_received", "carton_short_received"])
    bundle = _bundle(24, 24, 20)
    assert {f.kind for f in po_findings(bundle, skip, "amazon-us")} == set()
    assert {f.kind for f in po_findings(bundle, ReconciliationRules(), "amazon-us")} == {
        "invoiced_past_received"
    }


# -- the money rule, without a database -----------------------------------------------------------


def _bundle(shipped: int, invoiced: int, received: int, *, named: bool = True) -> PoBundle:
    """PO line 1 x24; ASN-1 ships ``shipped``, INV-1 bills ``invoiced``, RCV-1 received ``received``
    (the invoice and the receipt naming ASN-1 when ``named``)."""
    sid = "ASN-1" if named else None

    def row(n: int, kind: str, status: str | None = None) -> Document:
        return Document(id=n, partner="amazon-us", type=kind, business_key=str(n), status=status)

    bundle = PoBundle(PO)
    bundle.pos.append(Loaded(row(1, "purchase_order"), po(lines={"1": 24})))
    bundle.shipments.append(Loaded(row(2, "shipment"), asn("ASN-1", {"1": shipped})))
    bundle.invoices.append(
        Loaded(row(3, "invoice", "accepted"), invoice("INV-1", {"1": invoiced}, shipment_id=sid))
    )
    bundle.receipts.append(
        Loaded(row(4, "receipt"), receipt("RCV-1", {"1": received}, po_number=PO, shipment_id=sid))
    )
    return bundle


@settings(max_examples=60, deadline=None)
@given(
    shipped=st.integers(min_value=1, max_value=24),
    invoiced=st.integers(min_value=1, max_value=24),
    received=st.integers(min_value=0, max_value=30),
)
def test_exposure_is_invoiced_past_what_arrived_to_the_cent(
    shipped: int, invoiced: int, received: int
) -> None:
    """Σ money at risk = cost x (invoiced − min(received, shipped)): each missing each counted once."""
    findings = po_findings(_bundle(shipped, invoiced, received), ReconciliationRules(), "amazon-us")
    exposure = sum((f.amount_at_risk or Decimal(0) for f in findings), Decimal(0))
    assert exposure == Decimal("12.50") * max(invoiced - min(received, shipped), 0)
    kinds = {f.kind for f in findings}
    assert ("invoiced_past_received" in kinds) == (invoiced > received)
    claimable = [f.detail["claimable"] for f in findings if f.kind == "invoiced_past_received"]
    assert claimable == (
        [format(Decimal("12.50") * (invoiced - received), "f")] if invoiced > received else []
    )


def test_a_draft_billing_past_a_stored_receipt_is_blocked_by_the_same_rule() -> None:
    from gateway.reconcile.rules import draft_findings

    bundle = _bundle(24, 24, 20)
    [stored] = bundle.invoices
    bundle.invoices = []
    draft = invoice("INV-1", {"1": 24})
    found = draft_findings(bundle, stored.row, draft, ReconciliationRules(), "amazon-us")
    assert [f.kind for f in found] == ["invoiced_past_received"]
    assert (
        draft_findings(bundle, stored.row, invoice("INV-1", {"1": 20}), ReconciliationRules(), "amazon-us")
        == []
    )
