"""The purchase-order rules: a PO with every ASN, invoice and return naming it in, findings out.

Pure functions, no database. Each rule of AMAZON-RULES.md ("Reconciliation: keys and rules")
that concerns a PO yields a :class:`~gateway.reconcile.findings.Finding` in the scope ``po:N``:
per PO line, in eaches, shipped (over every ASN) against ordered, invoiced against shipped
(over every invoice and per invoice against its ASN), returned against shipped; each invoice
line's cost and item ids against the PO's; each invoice's currency, total (lines + charges -
allowances + tax, within the tolerance) and dates (not before the PO, not before its ship
date); one invoice per shipment; an invoice naming an ASN we do not have; an ASN to another
FC; and the documents naming a PO we do not have (ASN, invoice or return without PO). They
follow the rules of the PO's partner (the document's partner when there is no PO).

Money at risk is what Amazon could claim back or refuse to pay: a shortage claim is the
invoiced-but-not-shipped eaches x the PO cost, a price claim the cost difference x the
eaches invoiced, a duplicate invoice its total, and so on.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from gateway.canonical import Invoice, Shipment
from gateway.config.rules import ReconciliationRules
from gateway.orders.book import (
    Loaded,
    PoBundle,
    PoLines,
    id_problems,
    is_live,
    item_label,
    money,
    qty_text,
)
from gateway.reconcile.findings import Collector, Finding


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
            cost = lines.each_cost(i, ln.case_size)
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
