"""The purchase-order rules: a PO with every ASN, invoice and return naming it in, findings out.

Pure functions, no database; the one rule set for a PO. Reconciliation runs it on the order
book as stored; the invoice pre-check runs it on the order book with the draft counted as
live and keeps the findings the draft would create
(:func:`gateway.invoicing.checks.compliance_reasons`), so a draft that passes never raises
a finding of these once it is sent. Each rule of AMAZON-RULES.md ("Reconciliation: keys and
rules") that concerns a PO yields a :class:`~gateway.reconcile.findings.Finding` in the
scope ``po:N``, with the tolerances of the PO partner's ``rules.reconcile``:

- per PO line, in eaches (:mod:`gateway.orders.quantities`): shipped over every ASN against
  ordered (``over_shipment``) and against what our sent PO acknowledgement confirmed
  (``shipped_over_confirmed``: Amazon charges overage back), invoiced over every live invoice
  against ordered and shipped
  (``invoiced_over_ordered``, ``invoiced_over_shipped``), each invoice against its own ASN
  (``invoice_quantity_over_asn``), returned against shipped; a line in cases of unknown size
  (``case_size_missing``) silences the sums of its PO line;
- each invoice line: on the PO (``item_not_on_po``), with the PO's item ids, in the PO
  line's unit (``uom_mismatch``; a case-ordered line is billed in cases, never at a cost per
  each), in whole cases (``part_case``), at the PO's cost of that unit (``price_mismatch``);
- each invoice: the PO's currency, a total equal to lines + charges - allowances + tax,
  dated not before the PO nor its ship date, naming an ASN we have; one invoice per
  shipment (``duplicate_invoice``); an ASN to another FC; documents naming a PO we do not
  have; an ASN shipped after the PO's do-not-deliver-after date (``shipped_after_window``);
  an SSCC an earlier ASN of the PO already used (``sscc_reused``);
- against what Amazon received (:mod:`gateway.reconcile.received`): each invoice past its
  delivery's receipts (``invoiced_past_received``) and each carton short (``carton_short_received``).

**Money at risk is counted once.** The sum of ``amount_at_risk`` over a PO's findings is
its exposure: an invoice Amazon would refuse whole (no such ASN, another currency, dated
before the PO or the shipment) carries its total on its first such finding and leaves the
line sums; of the others, per PO line at the PO cost, the eaches shipped past ordered
(``over_shipment``) and the eaches invoiced past shipped (``invoiced_over_shipped``); per
invoice line, the cost difference x the units (``price_mismatch``) and the amount of a line
not on the PO; per invoice, the total's difference from its lines. Findings that only
explain the same money again (``invoiced_over_ordered``, ``invoice_quantity_over_asn``, ``duplicate_invoice``,
``uom_mismatch``, ``part_case``, ``case_size_missing``) carry none.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from gateway.canonical import Invoice, InvoiceLine
from gateway.config.rules import ReconciliationRules
from gateway.orders.book import Loaded, PoBundle, id_problems, is_live, item_label, money, qty_text
from gateway.orders.quantities import Count, PoLines, Tally, is_case, tally
from gateway.reconcile.findings import Collector, Finding
from gateway.reconcile.received import received_findings
from gateway.store.models import Document

#: The findings that make Amazon refuse an invoice whole, in the order one carries its total.
WHOLE_INVOICE = ("invoice_without_asn", "currency_mismatch", "invoice_before_po", "invoice_before_ship")


def po_findings(bundle: PoBundle, rules: ReconciliationRules, partner: str) -> list[Finding]:
    """Every finding about PO ``bundle.po_number`` (see the module docstring)."""
    loaded = bundle.po
    if loaded is None:
        return _orphans(bundle, rules)
    c = Collector(f"po:{bundle.po_number}", partner, rules, loaded.doc.currency)
    t = tally(bundle, PoLines(loaded.doc))
    _shipment_rules(c, t)
    refused = {k for k, (inv, counted) in enumerate(t.invoices) if _invoice_rules(c, bundle, t, inv, counted)}
    for inv, counted in t.credit_notes:
        _invoice_rules(c, bundle, t, inv, counted)
    _line_sums(c, t, refused)
    _per_shipment(c, t)
    _return_rules(c, bundle, t)
    received_findings(c, bundle, t, refused)
    return list(c.findings.values())


def _shipment_rules(c: Collector, t: Tally) -> None:
    po = t.lines.po
    for s, counted in t.shipments:
        sid = s.doc.shipment_id
        fc_ship, fc_po = s.doc.ship_to_location, po.ship_to_location
        if fc_ship and fc_po and fc_ship.upper() != fc_po.upper():
            c.add(
                "fc_mismatch", (sid,), po_number=po.po_number, shipment_id=sid, expected=fc_po, actual=fc_ship
            )
        _unmatched_and_unknown(c, t, counted, f"asn:{sid}", shipment_id=sid)
        if po.deliver_not_after and s.doc.ship_date > po.deliver_not_after:
            c.add(
                "shipped_after_window",
                (sid,),
                po_number=po.po_number,
                shipment_id=sid,
                expected=f"shipped by {po.deliver_not_after} (do not deliver after)",
                actual=str(s.doc.ship_date),
            )
    _sscc_reuse(c, t)


def _sscc_reuse(c: Collector, t: Tally) -> None:
    """An SSCC that an earlier ASN of the PO already used (``sscc_reused``, AMAZON-RULES.md 856)."""
    first: dict[str, str] = {}
    ordered = sorted(t.shipments, key=lambda sc: (sc[0].doc.ship_date, sc[0].row.id or 0))
    for s, _ in ordered:
        sid = s.doc.shipment_id
        for sscc in dict.fromkeys(p.sscc for p in s.doc.packages):
            owner = first.setdefault(sscc, sid)
            if owner != sid:
                c.add(
                    "sscc_reused",
                    (sid, sscc),
                    po_number=t.lines.po.po_number,
                    shipment_id=sid,
                    expected="an SSCC no other ASN used",
                    actual=f"SSCC {sscc} already in ASN {owner}",
                )


def _unmatched_and_unknown(c: Collector, t: Tally, counted: Count, ref: str, **refs: Any) -> None:
    """``item_not_on_po`` and ``case_size_missing`` for one document's lines."""
    refs.setdefault("po_number", t.lines.po.po_number)
    for ln in counted.unmatched:
        amount = ln.net_amount() if isinstance(ln, InvoiceLine) else None
        label = item_label(ln.item)
        c.add(
            "item_not_on_po",
            (ref, label),
            expected="an item of the PO",
            actual=label,
            amount_at_risk=amount,
            **refs,
        )
    for u in counted.unknown:
        c.add(
            "case_size_missing",
            (ref,),
            line_no=t.lines.lines[u.line].line_no,
            expected="a case size",
            actual=f"{u.doc_line.quantity} {u.doc_line.uom}",
            **refs,
        )


def _invoice_rules(c: Collector, bundle: PoBundle, t: Tally, inv: Loaded[Invoice], counted: Count) -> bool:
    """The rules of one invoice or credit note; whether Amazon would refuse it whole."""
    d, po = inv.doc, t.lines.po
    refs = dict(po_number=po.po_number, invoice_number=d.invoice_number, shipment_id=d.shipment_id)
    problems: list[tuple[str, str, str]] = []
    if d.currency != po.currency:
        problems.append(("currency_mismatch", po.currency, d.currency))
    if d.kind == "invoice":
        ship = bundle.shipment(d.shipment_id) if d.shipment_id else None
        if ship is None and (d.shipment_id or not bundle.shipments):
            what = f"ASN {d.shipment_id} not found for this PO" if d.shipment_id else "no ASN for this PO"
            problems.append(("invoice_without_asn", "an ASN", what))
        if d.invoice_date < po.order_date:
            problems.append(("invoice_before_po", f">= {po.order_date}", str(d.invoice_date)))
        if ship is not None and d.invoice_date < ship.doc.ship_date:
            problems.append(("invoice_before_ship", f">= {ship.doc.ship_date}", str(d.invoice_date)))
    refused = False
    for kind in WHOLE_INVOICE:
        for found, expected, actual in problems:
            if found == kind:
                carries = not refused and c.rules.on(kind)
                refused = refused or carries
                amount = d.total if carries else None
                c.add(
                    kind, (d.invoice_number,), expected=expected, actual=actual, amount_at_risk=amount, **refs
                )
    computed = d.computed_total()
    if abs(d.total - computed) > c.rules.total_tolerance:
        c.add(
            "invoice_total_mismatch",
            (d.invoice_number,),
            expected=f"{money(computed)}",
            actual=f"{d.total}",
            amount_at_risk=None if refused else abs(d.total - computed),
            **refs,
        )
    if d.kind == "invoice":
        _unmatched_and_unknown(c, t, counted, f"inv:{d.invoice_number}", **refs)
        for ln in d.lines:
            _line_rules(c, t.lines, ln, refs)
    return refused


def _line_rules(c: Collector, lines: PoLines, ln: InvoiceLine, refs: dict[str, Any]) -> None:
    """An invoice line against its PO line: item ids, unit, whole cases, cost."""
    i = lines.match(ln.item, ln.line_no)
    if i is None:
        return
    po_line = lines.lines[i]
    line = dict(line_no=po_line.line_no, **refs)
    problems = id_problems(po_line.item, ln.item, c.rules.item_ids)
    number = refs["invoice_number"]
    if problems:
        actual = f"{item_label(ln.item)} ({', '.join(problems)})"
        c.add("item_id_mismatch", (number,), expected=item_label(po_line.item), actual=actual, **line)
    if not lines.same_unit(i, ln.uom, ln.case_size):
        size = f" of {qty_text(po_line.case_size)}" if is_case(po_line.uom) and po_line.case_size else ""
        billed = f"{qty_text(ln.quantity)} {ln.uom} at {ln.unit_price}"
        c.add("uom_mismatch", (number,), expected=f"billed in {po_line.uom}{size}", actual=billed, **line)
        return  # a cost of another unit is not comparable (and never converted)
    if is_case(ln.uom) and ln.quantity != ln.quantity.to_integral_value():
        eaches = lines.eaches(i, ln.quantity, ln.uom, ln.case_size)
        shown = f" ({qty_text(eaches)} EA)" if eaches is not None else ""
        actual = f"{qty_text(ln.quantity)} {ln.uom}{shown}"
        c.add(
            "part_case",
            (number,),
            expected=f"whole cases of PO line {po_line.line_no}",
            actual=actual,
            **line,
        )
    cost = po_line.unit_price
    per_unit = (lines.case_size(i, ln.case_size) or Decimal(1)) if is_case(ln.uom) else Decimal(1)
    if cost is not None and abs(ln.unit_price - cost) > c.rules.price_tolerance * per_unit:
        unit = po_line.uom.upper()
        c.add(
            "price_mismatch",
            (number,),
            expected=f"{cost} per {unit}",
            actual=f"{ln.unit_price} per {unit}",
            amount_at_risk=abs(ln.unit_price - cost) * ln.quantity,
            **line,
        )


def _line_sums(c: Collector, t: Tally, refused: set[int]) -> None:
    """Shipped against ordered and invoiced against shipped, per PO line, money counted once."""
    shipped, invoiced, billed = t.shipped, t.invoiced, t.billed(leave_out=refused)
    tol, uncertain = c.rules.quantity_tolerance, t.uncertain
    for i, po_line in enumerate(t.lines.lines):
        ordered = t.lines.ordered(i)
        if i in uncertain or ordered is None:
            continue
        line = dict(po_number=t.lines.po.po_number, line_no=po_line.line_no)
        if shipped[i] > ordered + tol:
            c.add(
                "over_shipment",
                (),
                expected=f"<= {qty_text(ordered)} EA ordered",
                actual=f"{qty_text(shipped[i])} EA shipped",
                amount_at_risk=t.lines.value(i, shipped[i] - ordered),
                detail={"ordered": str(ordered), "shipped": str(shipped[i])},
                **line,
            )
        confirmed = t.confirmed[i] if t.confirmed is not None else None
        if confirmed is not None and shipped[i] > confirmed + tol:
            c.add(
                "shipped_over_confirmed",
                (),
                expected=f"<= {qty_text(confirmed)} EA confirmed (our PO acknowledgement)",
                actual=f"{qty_text(shipped[i])} EA shipped",
                amount_at_risk=t.lines.value(i, shipped[i] - confirmed),
                detail={"confirmed": str(confirmed), "shipped": str(shipped[i])},
                **line,
            )
        if invoiced[i] > ordered + tol:
            c.add(
                "invoiced_over_ordered",
                (),
                expected=f"<= {qty_text(ordered)} EA ordered",
                actual=f"{qty_text(invoiced[i])} EA invoiced",
                **line,
            )
        if invoiced[i] > shipped[i] + tol:
            c.add(
                "invoiced_over_shipped",
                (),
                expected=f"<= {qty_text(shipped[i])} EA shipped",
                actual=f"{qty_text(invoiced[i])} EA invoiced",
                amount_at_risk=t.lines.value(i, max(billed[i] - shipped[i], Decimal(0))),
                detail={"shipped": str(shipped[i]), "invoiced": str(invoiced[i])},
                **line,
            )


def _per_shipment(c: Collector, t: Tally) -> None:
    """Each shipment's invoices: one per shipment, billing no more than it shipped."""
    po_number = t.lines.po.po_number
    by_sid: dict[str, list[tuple[Loaded[Invoice], Count]]] = defaultdict(list)
    for inv, counted in t.invoices:
        if inv.doc.shipment_id and any(s.doc.shipment_id == inv.doc.shipment_id for s, _ in t.shipments):
            by_sid[inv.doc.shipment_id].append((inv, counted))
    for sid, invoices in by_sid.items():
        in_asn = t.in_shipment(sid)
        billed = t.lines.zeros()
        for _, counted in invoices:
            billed = [a + b for a, b in zip(billed, counted.eaches, strict=True)]
        for i, qty in enumerate(billed):
            if i not in t.uncertain and qty > in_asn[i] + c.rules.quantity_tolerance:
                c.add(
                    "invoice_quantity_over_asn",
                    (sid,),
                    po_number=po_number,
                    shipment_id=sid,
                    line_no=t.lines.lines[i].line_no,
                    expected=f"<= {qty_text(in_asn[i])} EA in ASN {sid}",
                    actual=f"{qty_text(qty)} EA invoiced",
                )
        if len(invoices) > 1:
            ordered = sorted(
                (x for x, _ in invoices), key=lambda x: (x.doc.invoice_date, x.doc.invoice_number)
            )
            numbers = [x.doc.invoice_number for x in ordered]
            c.add(
                "duplicate_invoice",
                (sid,),
                po_number=po_number,
                shipment_id=sid,
                invoice_number=numbers[-1],
                expected="one invoice per shipment",
                actual=", ".join(numbers),
                detail={"invoices": numbers},
            )


def _return_rules(c: Collector, bundle: PoBundle, t: Tally) -> None:
    po_number = bundle.po_number
    for r, counted in t.returns:
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
        _unmatched_and_unknown(c, t, counted, f"rma:{rma}", rma_number=rma)
    if not bundle.shipments:
        return
    shipped, returned = t.shipped, t.returned
    for i, qty in enumerate(returned):
        if i not in t.uncertain and qty > shipped[i] + c.rules.quantity_tolerance:
            c.add(
                "returned_over_shipped",
                (),
                po_number=po_number,
                line_no=t.lines.lines[i].line_no,
                expected=f"<= {qty_text(shipped[i])} EA shipped",
                actual=f"{qty_text(qty)} EA returned",
                amount_at_risk=t.lines.value(i, qty - shipped[i]),
            )


def _orphans(bundle: PoBundle, rules: ReconciliationRules) -> list[Finding]:
    """Documents naming a PO we do not have."""
    scope, number = f"po:{bundle.po_number}", bundle.po_number
    found: list[Finding] = []
    orphans: list[tuple[str, str, tuple[str, ...], dict[str, Any]]] = []
    for s in bundle.shipments:
        orphans.append(
            (s.row.partner, "asn_without_po", (s.doc.shipment_id,), {"shipment_id": s.doc.shipment_id})
        )
    for inv in bundle.invoices:
        if is_live(inv.row) or inv.row.id in bundle.counted:
            d = inv.doc
            values = dict(
                invoice_number=d.invoice_number,
                shipment_id=d.shipment_id,
                amount_at_risk=d.total,
                currency=d.currency,
            )
            orphans.append((inv.row.partner, "invoice_without_po", (d.invoice_number,), values))
    for r in bundle.returns:
        orphans.append(
            (r.row.partner, "return_without_po", (r.doc.rma_number,), {"rma_number": r.doc.rma_number})
        )
    for partner, kind, refs, values in orphans:
        c = Collector(scope, partner, rules)
        c.add(kind, refs, po_number=number, expected=f"PO {number}", actual="no such PO", **values)
        found += c.findings.values()
    return found


def draft_findings(
    bundle: PoBundle, row: Document, invoice: Invoice, rules: ReconciliationRules, partner: str
) -> list[Finding]:
    """The findings of PO ``bundle`` that ``invoice`` (stored as ``row``) would create once live:
    those it adds or changes (a sum it raises, a list it joins). Its pre-check blocks on them."""
    before = {f.key: f for f in po_findings(bundle.without(row), rules, partner)}
    return [f for f in po_findings(bundle.counting(row, invoice), rules, partner) if before.get(f.key) != f]
