"""The matching rules: documents in, findings out (pure functions, no database).

Each rule of AMAZON-RULES.md ("Reconciliation: keys and rules") that can be checked on the
documents we hold yields a :class:`Finding` with a stable key: ``scope|kind|refs|line``. The
*scope* is what one run re-examines as a whole (``po:N`` a purchase order with its ASNs,
invoices and returns; ``asn:S`` one shipment's cartons; ``inv:N`` the uses of one invoice
number; ``rma:N`` one return), so that a finding of a scope that a run no longer produces can
close itself. Findings about a PO follow the rules of the PO's partner; findings about one
document alone follow that document's partner.

Money at risk is what Amazon could claim back or refuse to pay: a shortage claim is the
invoiced-but-not-shipped eaches x the PO cost, a price claim the cost difference x the
eaches invoiced, a duplicate invoice its total, and so on.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from gateway.canonical import Invoice, ReturnAuthorization, Shipment
from gateway.config.rules import ReconciliationRules
from gateway.reconcile_data import (
    Loaded,
    PoBundle,
    PoLines,
    id_problems,
    is_live,
    item_keys,
    item_label,
    money,
    qty_text,
    shares_id,
)

KEY_LIMIT = 255

DEFAULT_SEVERITY: dict[str, str] = {
    "asn_without_po": "warning",
    "return_without_po": "warning",
    "return_without_shipment": "warning",
    "returned_over_shipped": "warning",
    "credit_note_missing": "warning",
    "fc_mismatch": "warning",
    "case_size_missing": "warning",
    "not_invoiced": "warning",
    "po_not_shipped": "warning",
    "return_rate_high": "warning",
}


@dataclass
class Finding:
    """One discrepancy as a rule sees it (see :class:`gateway.store.models.Discrepancy`)."""

    scope: str
    kind: str
    partner: str
    refs: tuple[str, ...] = ()
    po_number: str | None = None
    shipment_id: str | None = None
    invoice_number: str | None = None
    rma_number: str | None = None
    line_no: str | None = None
    expected: str | None = None
    actual: str | None = None
    amount_at_risk: Decimal | None = None
    currency: str | None = None
    severity: str = "error"
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """``scope|kind|refs|line``, hashed past 255 characters."""
        key = "|".join([self.scope, self.kind, *self.refs, self.line_no or ""])
        if len(key) <= KEY_LIMIT:
            return key
        head = f"{self.scope}|{self.kind}|"
        digest = hashlib.sha256(key.encode()).hexdigest()
        return (head + digest)[:KEY_LIMIT] if len(head) < KEY_LIMIT - 64 else digest


class Collector:
    """Collects findings of one scope, applying a partner's rules (skips, severities)."""

    def __init__(self, scope: str, partner: str, rules: ReconciliationRules, currency: str | None = None):
        self.scope, self.partner, self.rules, self.currency = scope, partner, rules, currency
        self.findings: dict[str, Finding] = {}

    def add(self, kind: str, refs: tuple[str, ...] = (), **values: Any) -> None:
        if not self.rules.on(kind):
            return
        severity = self.rules.severity.get(kind, DEFAULT_SEVERITY.get(kind, "error"))  # type: ignore[call-overload]
        values.setdefault("currency", self.currency)
        if values.get("amount_at_risk") is not None:
            values["amount_at_risk"] = money(values["amount_at_risk"])
        finding = Finding(
            self.scope, kind, values.pop("partner", self.partner), refs, severity=severity, **values
        )
        self.findings.setdefault(finding.key, finding)


# -- purchase order scope -------------------------------------------------------------------------


def po_findings(bundle: PoBundle, rules: ReconciliationRules, partner: str) -> list[Finding]:
    """Every finding about PO ``bundle.po_number`` (see the module docstring)."""
    loaded = bundle.po
    if loaded is None:
        return _orphans(bundle, rules)
    po = loaded.doc
    c = Collector(f"po:{bundle.po_number}", partner, rules, po.currency)
    lines = PoLines(po)
    n = len(lines)
    tol = rules.quantity_tolerance
    shipped = [Decimal(0)] * n
    by_shipment: dict[str, list[Decimal]] = {}
    for s in bundle.shipments:
        by_shipment[s.doc.shipment_id] = _shipment_quantities(c, lines, s, bundle.po_number)
        shipped = [a + b for a, b in zip(shipped, by_shipment[s.doc.shipment_id], strict=True)]
        fc_ship, fc_po = s.doc.ship_to_location, po.ship_to_location
        if fc_ship and fc_po and fc_ship.upper() != fc_po.upper():
            c.add(
                "fc_mismatch",
                (s.doc.shipment_id,),
                po_number=po.po_number,
                shipment_id=s.doc.shipment_id,
                expected=fc_po,
                actual=fc_ship,
            )
    for i in range(n):
        ordered, _ = lines.ordered(i)
        cost = lines.each_cost(i)
        if shipped[i] > ordered + tol:
            over = shipped[i] - ordered
            c.add(
                "over_shipment",
                (),
                po_number=po.po_number,
                line_no=lines.lines[i].line_no,
                expected=f"<= {qty_text(ordered)} EA ordered",
                actual=f"{qty_text(shipped[i])} EA shipped",
                amount_at_risk=over * cost if cost is not None else None,
                detail={"ordered": str(ordered), "shipped": str(shipped[i])},
            )
    invoiced = _invoice_findings(c, bundle, lines, by_shipment)
    for i in range(n):
        if invoiced[i] > shipped[i] + tol:
            over = invoiced[i] - shipped[i]
            cost = lines.each_cost(i)
            c.add(
                "invoiced_over_shipped",
                (),
                po_number=po.po_number,
                line_no=lines.lines[i].line_no,
                expected=f"<= {qty_text(shipped[i])} EA shipped",
                actual=f"{qty_text(invoiced[i])} EA invoiced",
                amount_at_risk=over * cost if cost is not None else None,
                detail={"shipped": str(shipped[i]), "invoiced": str(invoiced[i])},
            )
    _return_findings(c, bundle, lines, shipped)
    return list(c.findings.values())


def _shipment_quantities(c: Collector, lines: PoLines, s: Loaded[Shipment], po_number: str) -> list[Decimal]:
    quantities = [Decimal(0)] * len(lines)
    sid = s.doc.shipment_id
    for order in s.doc.orders:
        if order.po_number != po_number:
            continue
        for ln in order.lines:
            i = lines.match(ln.item, ln.line_no)
            if i is None:
                c.add(
                    "item_not_on_po",
                    (f"asn:{sid}", item_label(ln.item)),
                    po_number=po_number,
                    shipment_id=sid,
                    expected="an item of the PO",
                    actual=item_label(ln.item),
                )
                continue
            eaches, known = lines.eaches(i, ln.quantity, ln.uom, ln.case_size)
            if not known:
                c.add(
                    "case_size_missing",
                    (f"asn:{sid}",),
                    po_number=po_number,
                    shipment_id=sid,
                    line_no=lines.lines[i].line_no,
                    expected="a case size",
                    actual=f"{ln.quantity} {ln.uom}",
                )
            quantities[i] += eaches
    return quantities


def _invoice_findings(
    c: Collector, bundle: PoBundle, lines: PoLines, by_shipment: dict[str, list[Decimal]]
) -> list[Decimal]:
    """Findings on each invoice and credit note of the PO; returns the eaches invoiced per PO line."""
    po = lines.po
    rules = c.rules
    invoiced = [Decimal(0)] * len(lines)
    per_shipment: dict[str, list[Decimal]] = {}
    live = bundle.live_invoices("invoice")
    for inv in live + bundle.live_invoices("credit_note"):
        d = inv.doc
        num = d.invoice_number
        refs = dict(po_number=po.po_number, invoice_number=num, shipment_id=d.shipment_id)
        if d.currency != po.currency:
            c.add(
                "currency_mismatch",
                (num,),
                expected=po.currency,
                actual=d.currency,
                amount_at_risk=d.total,
                **refs,
            )
        computed = d.computed_total()
        if abs(d.total - computed) > rules.total_tolerance:
            c.add(
                "invoice_total_mismatch",
                (num,),
                expected=f"{money(computed)}",
                actual=f"{d.total}",
                amount_at_risk=abs(d.total - computed),
                **refs,
            )
        if d.kind != "invoice":
            continue
        if d.invoice_date < po.order_date:
            c.add(
                "invoice_before_po",
                (num,),
                expected=f">= {po.order_date}",
                actual=str(d.invoice_date),
                amount_at_risk=d.total,
                **refs,
            )
        ship = bundle.shipment(d.shipment_id) if d.shipment_id else None
        if ship is None and (d.shipment_id or not bundle.shipments):
            what = f"ASN {d.shipment_id} not found for this PO" if d.shipment_id else "no ASN for this PO"
            c.add(
                "invoice_without_asn", (num,), expected="an ASN", actual=what, amount_at_risk=d.total, **refs
            )
        if ship is not None and d.invoice_date < ship.doc.ship_date:
            c.add(
                "invoice_before_ship",
                (num,),
                expected=f">= {ship.doc.ship_date}",
                actual=str(d.invoice_date),
                amount_at_risk=d.total,
                **refs,
            )
        mine = per_shipment.setdefault(d.shipment_id, [Decimal(0)] * len(lines)) if ship is not None else None
        for ln in d.lines:
            i = lines.match(ln.item, ln.line_no)
            if i is None:
                c.add(
                    "item_not_on_po",
                    (f"inv:{num}", item_label(ln.item)),
                    expected="an item of the PO",
                    actual=item_label(ln.item),
                    amount_at_risk=ln.net_amount(),
                    **refs,
                )
                continue
            line_no = lines.lines[i].line_no
            problems = id_problems(lines.lines[i].item, ln.item, rules.item_ids)
            if problems:
                c.add(
                    "item_id_mismatch",
                    (num,),
                    line_no=line_no,
                    expected=item_label(lines.lines[i].item),
                    actual=f"{item_label(ln.item)} ({', '.join(problems)})",
                    **refs,
                )
            eaches, _ = lines.eaches(i, ln.quantity, ln.uom, ln.case_size)
            invoiced[i] += eaches
            if mine is not None:
                mine[i] += eaches
            cost = lines.each_cost(i)
            price = lines.price_each(i, ln.unit_price, ln.uom, ln.case_size)
            if cost is not None and abs(price - cost) > rules.price_tolerance:
                c.add(
                    "price_mismatch",
                    (num,),
                    line_no=line_no,
                    expected=f"{money(cost)} per EA",
                    actual=f"{money(price)} per EA",
                    amount_at_risk=abs(price - cost) * eaches,
                    **refs,
                )
    for sid, vector in per_shipment.items():
        shipped = by_shipment.get(sid, [Decimal(0)] * len(lines))
        for i, qty in enumerate(vector):
            if qty > shipped[i] + rules.quantity_tolerance:
                cost = lines.each_cost(i)
                c.add(
                    "invoice_quantity_over_asn",
                    (sid,),
                    po_number=po.po_number,
                    shipment_id=sid,
                    line_no=lines.lines[i].line_no,
                    expected=f"<= {qty_text(shipped[i])} EA in ASN {sid}",
                    actual=f"{qty_text(qty)} EA invoiced",
                    amount_at_risk=(qty - shipped[i]) * cost if cost is not None else None,
                )
    by_sid: dict[str, list[Loaded[Invoice]]] = defaultdict(list)
    for inv in live:
        if inv.doc.shipment_id:
            by_sid[inv.doc.shipment_id].append(inv)
    for sid, invoices in by_sid.items():
        if len(invoices) > 1:
            ordered = sorted(invoices, key=lambda x: (x.doc.invoice_date, x.doc.invoice_number))
            numbers = [x.doc.invoice_number for x in ordered]
            c.add(
                "duplicate_invoice",
                (sid,),
                po_number=po.po_number,
                shipment_id=sid,
                invoice_number=numbers[-1],
                expected="one invoice per shipment",
                actual=", ".join(numbers),
                amount_at_risk=sum((x.doc.total for x in ordered[1:]), Decimal(0)),
                detail={"invoices": numbers},
            )
    return invoiced


def _return_findings(c: Collector, bundle: PoBundle, lines: PoLines, shipped: list[Decimal]) -> None:
    po_number = bundle.po_number
    returned = [Decimal(0)] * len(lines)
    for r in bundle.returns:
        rma = r.doc.rma_number
        if not bundle.shipments:
            c.add(
                "return_without_shipment",
                (rma,),
                po_number=po_number,
                rma_number=rma,
                expected="an ASN for the PO",
                actual="no ASN",
            )
        for ln in r.doc.lines:
            i = lines.match(ln.item, ln.line_no)
            if i is None:
                c.add(
                    "item_not_on_po",
                    (f"rma:{rma}", item_label(ln.item)),
                    po_number=po_number,
                    rma_number=rma,
                    expected="an item of the PO",
                    actual=item_label(ln.item),
                )
                continue
            returned[i] += lines.eaches(i, ln.quantity, ln.uom)[0]
    if not bundle.shipments:
        return
    for i, qty in enumerate(returned):
        if qty > shipped[i] + c.rules.quantity_tolerance:
            cost = lines.each_cost(i)
            c.add(
                "returned_over_shipped",
                (),
                po_number=po_number,
                line_no=lines.lines[i].line_no,
                expected=f"<= {qty_text(shipped[i])} EA shipped",
                actual=f"{qty_text(qty)} EA returned",
                amount_at_risk=(qty - shipped[i]) * cost if cost is not None else None,
            )


def _orphans(bundle: PoBundle, rules: ReconciliationRules) -> list[Finding]:
    """Documents naming a PO we do not have."""
    scope, number = f"po:{bundle.po_number}", bundle.po_number
    found: list[Finding] = []
    for s in bundle.shipments:
        c = Collector(scope, s.row.partner, rules)
        c.add(
            "asn_without_po",
            (s.doc.shipment_id,),
            po_number=number,
            shipment_id=s.doc.shipment_id,
            expected=f"PO {number}",
            actual="no such PO",
        )
        found += c.findings.values()
    for inv in bundle.invoices:
        if not is_live(inv.row):
            continue
        c = Collector(scope, inv.row.partner, rules, inv.doc.currency)
        c.add(
            "invoice_without_po",
            (inv.doc.invoice_number,),
            po_number=number,
            invoice_number=inv.doc.invoice_number,
            shipment_id=inv.doc.shipment_id,
            expected=f"PO {number}",
            actual="no such PO",
            amount_at_risk=inv.doc.total,
        )
        found += c.findings.values()
    for r in bundle.returns:
        c = Collector(scope, r.row.partner, rules)
        c.add(
            "return_without_po",
            (r.doc.rma_number,),
            po_number=number,
            rma_number=r.doc.rma_number,
            expected=f"PO {number}",
            actual="no such PO",
        )
        found += c.findings.values()
    return found


# -- single-document scopes ------------------------------------------------------------------------


def shipment_findings(s: Loaded[Shipment], rules: ReconciliationRules) -> list[Finding]:
    """Cartons (SSCC) adding up to the item totals; no SSCC twice (scope ``asn:S``)."""
    doc = s.doc
    c = Collector(f"asn:{doc.shipment_id}", s.row.partner, rules)
    seen: dict[str, int] = defaultdict(int)
    for package in doc.packages:
        seen[package.sscc] += 1
    for sscc, count in seen.items():
        if count > 1:
            c.add(
                "duplicate_sscc",
                (sscc,),
                shipment_id=doc.shipment_id,
                expected="each SSCC once",
                actual=f"SSCC {sscc} {count} times",
            )
    if not any(p.contents for p in doc.packages):
        return list(c.findings.values())
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
    return list(c.findings.values())


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
) -> list[Finding]:
    """A return that needs its credit note; a return naming no PO (scope ``rma:N``)."""
    doc = r.doc
    c = Collector(f"rma:{doc.rma_number}", r.row.partner, rules, doc.currency)
    since = doc.rma_date or r.row.created_at.date()
    if not credited and (today - since).days >= rules.credit_note_grace_days:
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
