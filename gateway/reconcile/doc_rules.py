"""The rules about one document alone: an ASN's cartons, an invoice number's uses, a return.

Pure functions, no database. ``shipment_findings`` (scope ``asn:S``): the cartons (SSCC) of
an ASN add up to its item lines, no SSCC appears twice and each has its GS1 check digit.
``number_findings`` (scope ``inv:N``): an invoice number used for two different invoices
(another kind, PO or date, or another ASN when both name one). ``return_findings`` (scope
``rma:N``): a return waiting for its credit note past the grace days; a return naming no
PO, and none of whose items was ever shipped. They follow the rules of the document's partner.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from gateway.canonical import Invoice, ReturnAuthorization, Shipment
from gateway.canonical.gs1 import sscc_is_valid
from gateway.config.rules import ReconciliationRules
from gateway.orders.book import Loaded, item_keys, item_label, qty_text, shares_id
from gateway.reconcile.findings import Collector, Finding


def _looks_like_date(text: str) -> bool:
    """``20260115``, ``2026-01-15`` or ``260115``: what a BOL must never be (AMAZON-RULES.md, 856)."""
    digits = text.replace("-", "").replace("/", "")
    if not digits.isdigit() or len(digits) not in (6, 8):
        return False
    try:
        datetime.strptime(digits, "%Y%m%d" if len(digits) == 8 else "%y%m%d")
    except ValueError:
        return False
    return True


def shipment_findings(s: Loaded[Shipment], rules: ReconciliationRules, today: date) -> list[Finding]:
    """An ASN's own rules (scope ``asn:S``): cartons (SSCC) adding up to the item totals, no SSCC
    twice and each with its GS1 check digit, a ship date not in the future, a bill of lading
    that is not a date."""
    doc = s.doc
    c = Collector(f"asn:{doc.shipment_id}", s.row.partner, rules)
    if doc.ship_date > today:
        c.add(
            "asn_ship_date_in_future",
            (),
            shipment_id=doc.shipment_id,
            expected=f"<= {today}",
            actual=str(doc.ship_date),
        )
    if doc.bol and _looks_like_date(doc.bol):
        c.add(
            "asn_bol_is_date",
            (),
            shipment_id=doc.shipment_id,
            expected="a bill of lading number",
            actual=doc.bol,
        )
    seen: dict[str, int] = defaultdict(int)
    for package in doc.packages:
        seen[package.sscc] += 1
        if not sscc_is_valid(package.sscc) and seen[package.sscc] == 1:
            c.add(
                "sscc_check_digit",
                (package.sscc,),
                shipment_id=doc.shipment_id,
                expected="an SSCC-18 with its GS1 mod-10 check digit",
                actual=f"SSCC {package.sscc}",
            )
    for sscc, count in seen.items():
        if count > 1:
            c.add(
                "duplicate_sscc",
                (sscc,),
                shipment_id=doc.shipment_id,
                expected="each SSCC once",
                actual=f"SSCC {sscc} {count} times",
            )
    if any(p.contents for p in doc.packages):
        _carton_findings(c, doc)
    return list(c.findings.values())


def _carton_findings(c: Collector, doc: Shipment) -> None:
    """The cartons' contents add up to the item lines, per PO and item."""
    single_po = doc.orders[0].po_number if len(doc.orders) == 1 else None
    entries: list[tuple[str, dict[str, set[str]], Any, Decimal, Decimal]] = []

    def entry_for(po_number: str | None, item: Any) -> int | None:
        keys = item_keys(item)
        for idx, (po, ekeys, _, _, _) in enumerate(entries):
            if (po_number is None or po == po_number) and shares_id(ekeys, keys):
                return idx
        return None

    for order in doc.orders:
        for ln in order.lines:
            idx = entry_for(order.po_number, ln.item)
            if idx is None:
                entries.append((order.po_number, item_keys(ln.item), ln.item, ln.quantity, Decimal(0)))
            else:
                po, keys, item, qty, packed = entries[idx]
                entries[idx] = (po, keys, item, qty + ln.quantity, packed)
    extra: dict[str, Decimal] = defaultdict(Decimal)
    for package in doc.packages:
        for content in package.contents:
            idx = entry_for(content.po_number or single_po, content.item)
            if idx is None:
                extra[item_label(content.item)] += content.quantity
                continue
            po, keys, item, qty, packed = entries[idx]
            entries[idx] = (po, keys, item, qty, packed + content.quantity)
    for po, _, item, qty, packed in entries:
        if qty != packed:
            c.add(
                "carton_mismatch",
                (po, item_label(item)),
                shipment_id=doc.shipment_id,
                po_number=po,
                expected=f"{qty_text(qty)} in the item lines",
                actual=f"{qty_text(packed)} in the cartons",
            )
    for label, qty in extra.items():
        c.add(
            "carton_mismatch",
            ("", label),
            shipment_id=doc.shipment_id,
            expected="0 in the item lines",
            actual=f"{qty_text(qty)} in the cartons",
        )


@dataclass(frozen=True)
class NumberUse:
    """One way an invoice number was used."""

    partner: str
    kind: str
    po_number: str | None
    shipment_id: str | None
    invoice_date: date | None

    @property
    def fingerprint(self) -> str:
        return "|".join(
            [self.kind, self.po_number or "", self.shipment_id or "", str(self.invoice_date or "")]
        )

    def conflicts(self, other: NumberUse) -> bool:
        """Two uses are of different invoices (a shipment id present on one side only is not a conflict)."""
        if (self.kind, self.po_number, self.invoice_date) != (
            other.kind,
            other.po_number,
            other.invoice_date,
        ):
            return True
        return bool(self.shipment_id and other.shipment_id and self.shipment_id != other.shipment_id)

    def describe(self) -> str:
        ship = f", ASN {self.shipment_id}" if self.shipment_id else ""
        return f"{self.kind} for PO {self.po_number}{ship} dated {self.invoice_date} ({self.partner})"


def use_of(inv: Loaded[Invoice]) -> NumberUse:
    d = inv.doc
    return NumberUse(inv.row.partner, d.kind, d.po_number, d.shipment_id, d.invoice_date)


def number_findings(
    number: str, uses: list[NumberUse], total: Decimal | None, rules: ReconciliationRules
) -> list[Finding]:
    """An invoice number used for two different invoices (scope ``inv:N``)."""
    if not uses:
        return []
    first = uses[0]
    clash = [u for u in uses[1:] if first.conflicts(u)]
    if not clash:
        return []
    c = Collector(f"inv:{number}", first.partner, rules)
    c.add(
        "invoice_number_reused",
        (),
        invoice_number=number,
        po_number=first.po_number,
        expected=f"used once: {first.describe()}",
        actual="; ".join(u.describe() for u in clash)[:255],
        amount_at_risk=total,
        detail={"uses": [u.describe() for u in uses]},
    )
    return list(c.findings.values())


def return_findings(
    r: Loaded[ReturnAuthorization],
    rules: ReconciliationRules,
    credited: bool,
    today: date,
    ever_shipped: bool | None,
    *,
    billed: bool = True,
) -> list[Finding]:
    """A return that needs its credit note (once an invoice ``billed`` what it returns); a return
    naming no PO (scope ``rma:N``)."""
    doc = r.doc
    c = Collector(f"rma:{doc.rma_number}", r.row.partner, rules, doc.currency)
    since = doc.rma_date or r.row.created_at.date()
    if not credited and billed and (today - since).days >= rules.credit_note_grace_days:
        credit = sum(((ln.unit_credit or Decimal(0)) * ln.quantity for ln in doc.lines), Decimal(0))
        c.add(
            "credit_note_missing",
            (),
            rma_number=doc.rma_number,
            po_number=doc.po_number,
            expected="a credit note",
            actual=f"none after {(today - since).days} day(s)",
            amount_at_risk=credit or None,
        )
    if not doc.po_number:
        c.add("return_without_po", (), rma_number=doc.rma_number, expected="a PO number", actual="none")
        if ever_shipped is False:
            c.add(
                "return_without_shipment",
                (),
                rma_number=doc.rma_number,
                expected="a shipment of the items",
                actual="no ASN holds them",
            )
    return list(c.findings.values())
