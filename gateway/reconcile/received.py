"""Invoiced against received: the shortage Amazon will claim, per PO line and per carton.

A shortage claim is invoiced − received, priced at the invoice cost (AMAZON-RULES, Receipts).
Everything here counts through :mod:`gateway.orders.quantities`, like every other count, and is
the one home of that comparison: the findings below, the claim's prediction
(:mod:`gateway.settlement.claims`) and its evidence (:mod:`gateway.settlement.evidence`) use it.

**Which receipts are an invoice's delivery** (:func:`delivery_receipts`): those naming its
shipment; else those of the PO naming no shipment (a receiving report without the ASN id); an
invoice naming no shipment takes every receipt of the PO. A delivery with no receipt yet is not
compared (it is not known to be short, only not received yet).

**Findings** (:func:`received_findings`, part of the PO rules of :mod:`gateway.reconcile.rules`):

- ``invoiced_past_received``: per live invoice and PO line, the eaches it bills beyond what its
  delivery's receipts accepted. Money at risk is counted once: the eaches billed past received
  that its ASN did ship, at the invoice cost (those billed past shipped are
  ``invoiced_over_shipped``'s; a second invoice of the same delivery adds only what the first did
  not; an invoice Amazon refuses whole carries none);
- ``carton_short_received``: per carton (SSCC) of an ASN whose receipts name cartons, the eaches
  of this PO the ASN put in it that were not received in it (a carton no receipt line names
  received nothing). It explains the line finding and carries no money.

Both use the partner's ``rules.reconcile.quantity_tolerance``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from gateway.canonical import Invoice, Receipt, ReceiptLine, Shipment
from gateway.orders.book import Loaded, PoBundle, item_label, qty_text
from gateway.orders.quantities import PoLines, Tally, count, is_case
from gateway.reconcile.findings import Collector

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True)
class LineShortage:
    """Eaches of one PO line billed but not received, and what they cost on the invoice."""

    index: int  # of the PO line
    line_no: str | None
    item: str
    invoiced: Decimal
    received: Decimal
    unit_cost: Decimal  # of one each, on the invoice

    @property
    def units(self) -> Decimal:
        return self.invoiced - self.received

    @property
    def amount(self) -> Decimal:
        return self.unit_cost * self.units


@dataclass(frozen=True, slots=True)
class Carton:
    """One SSCC of the ASN: the eaches it was said to hold and the eaches received in it."""

    sscc: str
    shipped: Decimal
    received: Decimal | None  # None: no receipt line names this carton


def delivery_receipts(bundle: PoBundle, invoice: Invoice) -> list[Receipt]:
    """The receipts of the invoice's delivery (see the module docstring)."""
    return shipment_receipts(bundle, invoice.shipment_id)


def shipment_receipts(bundle: PoBundle, shipment_id: str | None) -> list[Receipt]:
    """The receipts of PO ``bundle`` naming ``shipment_id``; else those naming no shipment, unless
    they name cartons and none of this shipment's."""
    if not shipment_id:
        return [r.doc for r in bundle.receipts]
    same = [r.doc for r in bundle.receipts if r.doc.shipment_id == shipment_id]
    if same:
        return same
    ship = bundle.shipment(shipment_id)
    ours = {p.sscc for p in ship.doc.packages} if ship is not None else set()
    out = []
    for r in bundle.receipts:
        named = {line.sscc for line in r.doc.lines if line.sscc}
        if not r.doc.shipment_id and (not named or named & ours):
            out.append(r.doc)
    return out


def receipt_lines(receipts: list[Receipt], po_number: str) -> list[ReceiptLine]:
    return [line for r in receipts for line in r.lines if r.po_of(line) == po_number]


def shortages(
    lines: PoLines, invoice: Invoice, receipts: list[Receipt], tolerance: Decimal = ZERO
) -> list[LineShortage]:
    """Per PO line, what ``invoice`` bills beyond what ``receipts`` accepted (more than ``tolerance``)."""
    billed = count(lines, invoice.lines)
    received = count(lines, receipt_lines(receipts, invoice.po_number))
    unsure = {u.line for u in billed.unknown + received.unknown}
    out: list[LineShortage] = []
    for i, po_line in enumerate(lines.lines):
        if i in unsure or billed.eaches[i] - received.eaches[i] <= tolerance:
            continue
        out.append(
            LineShortage(
                i,
                po_line.line_no,
                item_label(po_line.item),
                billed.eaches[i],
                received.eaches[i],
                _cost(lines, i, invoice),
            )
        )
    return out


def predicted_shortage(bundle: PoBundle, invoice: Invoice) -> list[LineShortage] | None:
    """Per PO line, what ``invoice`` bills beyond what was received; ``None`` without a PO or a receipt."""
    if bundle.po is None:
        return None
    receipts = delivery_receipts(bundle, invoice)
    if not receipts:
        return None
    return shortages(PoLines(bundle.po.doc), invoice, receipts)


def _cost(lines: PoLines, i: int, invoice: Invoice) -> Decimal:
    """The invoice's cost of one each of PO line ``i`` (the PO's when the invoice has no such line)."""
    for line in invoice.lines:
        if lines.match(line.item, line.line_no) == i and line.unit_price is not None:
            size = (line.case_size or lines.case_size(i)) if is_case(line.uom) else Decimal(1)
            return line.unit_price / (size or Decimal(1))
    value = lines.value(i, Decimal(1))
    return value if value is not None else ZERO


def shortage_amount(found: list[LineShortage]) -> Decimal:
    return sum((s.amount for s in found), ZERO).quantize(Decimal("0.01"))


def cartons(shipment: Shipment, receipts: list[Receipt], po_number: str | None = None) -> list[Carton]:
    """Each carton of ``shipment`` with the eaches its contents state and the eaches received in it
    (of PO ``po_number`` only, when given)."""
    received: dict[str, Decimal] = defaultdict(Decimal)
    for receipt in receipts:
        for line in receipt.lines:
            if line.sscc is not None and (po_number is None or receipt.po_of(line) == po_number):
                received[line.sscc] += line.quantity
    out = []
    for package in shipment.packages:
        if package.level != "carton":
            continue
        contents = [c for c in package.contents if po_number is None or c.po_number in (None, po_number)]
        shipped = sum((c.quantity for c in contents), ZERO)
        out.append(Carton(package.sscc, shipped, received.get(package.sscc)))
    return out


# -- findings ---------------------------------------------------------------------------------------


def received_findings(c: Collector, bundle: PoBundle, t: Tally, refused: set[int]) -> None:
    """``invoiced_past_received`` and ``carton_short_received`` of one PO (see the module docstring)."""
    tol = c.rules.quantity_tolerance
    po_number = t.lines.po.po_number
    at_risk: dict[str | None, list[Decimal]] = defaultdict(t.lines.zeros)  # eaches counted, per delivery
    for k, (inv, _) in enumerate(t.invoices):
        receipts = delivery_receipts(bundle, inv.doc)
        if not receipts:
            continue
        sid = inv.doc.shipment_id
        # what shipped: its ASN's eaches; every ASN of the PO for an invoice naming none (one it names
        # that we lack refuses the invoice whole, so it carries no money here anyway)
        in_asn = t.in_shipment(sid) if sid and bundle.shipment(sid) is not None else t.shipped
        for s in shortages(t.lines, inv.doc, receipts, tol):
            if s.index in t.uncertain:
                continue
            shipped = min(s.invoiced, in_asn[s.index])
            units = max(shipped - s.received - at_risk[sid][s.index], ZERO)
            at_risk[sid][s.index] += units
            c.add(
                "invoiced_past_received",
                (inv.doc.invoice_number,),
                po_number=po_number,
                invoice_number=inv.doc.invoice_number,
                shipment_id=sid,
                line_no=s.line_no,
                expected=f"<= {qty_text(s.received)} EA received",
                actual=f"{qty_text(s.invoiced)} EA invoiced",
                amount_at_risk=None if k in refused else s.unit_cost * units,
                detail={
                    "invoiced": str(s.invoiced),
                    "received": str(s.received),
                    "claimable": format(s.amount, "f"),
                },
            )
    for ship, _ in t.shipments:
        _carton_findings(c, bundle, ship, po_number)


def _carton_findings(c: Collector, bundle: PoBundle, ship: Loaded[Shipment], po_number: str) -> None:
    sid = ship.doc.shipment_id
    receipts = shipment_receipts(bundle, sid)
    if not any(line.sscc for r in receipts for line in receipt_lines([r], po_number)):
        return  # no carton-level receipt: nothing to compare per SSCC
    for carton in cartons(ship.doc, receipts, po_number):
        received = carton.received or ZERO
        if carton.shipped - received <= c.rules.quantity_tolerance:
            continue
        c.add(
            "carton_short_received",
            (sid, carton.sscc),
            po_number=po_number,
            shipment_id=sid,
            expected=f"{qty_text(carton.shipped)} EA in carton {carton.sscc}",
            actual=f"{qty_text(received)} EA received",
            detail={"sscc": carton.sscc, "shipped": str(carton.shipped), "received": str(received)},
        )
