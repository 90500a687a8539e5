"""Quantities on PO lines: the one place that turns cases into eaches and sums them per PO line.

Reconciliation, invoice building, the invoice pre-check, credit notes and aging all compare
quantities in **eaches of a PO line**, and they all ask this module.

**Cases.** A quantity in a case unit (``CA``, ``CS``, ``CT``) is quantity x case size, the
case size being the one the document's line states, else its PO line's. Any other unit
counts as eaches.

**Unknown case size: one policy.** A quantity in cases whose case size neither the line nor
its PO line states is *not* converted (never one each per case, never a skip that looks like
zero): :func:`eaches` returns ``None``, :func:`count` records the line in
:attr:`Count.unknown`, and the PO line is *uncertain* (:attr:`Tally.uncertain`).
Reconciliation files it as ``case_size_missing`` naming the document and the PO line and
compares no sums on that line; the invoice and credit-note builders refuse to bill it
(:func:`unknown_text` says why, in the same words); aging values only what is known.

**Value.** The money of ``n`` eaches of a PO line is the PO's cost of its unit times the
number of units (``57.00 x 114 / 12``): no cost per each is rounded first. A case-ordered
line is billed in cases, so a quantity that is not a whole number of cases
(:meth:`PoLines.cases`) is billed as a fraction of a case and found as ``part_case``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol

from gateway.canonical import (
    Invoice,
    ItemIds,
    OrderLine,
    PurchaseOrder,
    ReturnAuthorization,
    Shipment,
)
from gateway.orders.book import Loaded, PoBundle, item_keys, item_label, qty_text, shares_id

#: Units of measure that count cases (multiplied by the case size).
CASE_UOMS = frozenset({"CA", "CS", "CT"})
ZERO = Decimal(0)


class DocLine(Protocol):
    """A line of any document: what :func:`count` needs of it."""

    @property
    def line_no(self) -> str | None: ...
    @property
    def item(self) -> ItemIds: ...
    @property
    def quantity(self) -> Decimal: ...
    @property
    def uom(self) -> str: ...


def is_case(uom: str) -> bool:
    return uom.upper() in CASE_UOMS


def line_case_size(line: DocLine) -> Decimal | None:
    """The case size a document line states (return lines state none)."""
    return getattr(line, "case_size", None)


def eaches(quantity: Decimal, uom: str, case_size: Decimal | None) -> Decimal | None:
    """``quantity`` in ``uom`` as eaches; ``None`` when ``uom`` is a case of unknown size."""
    if not is_case(uom):
        return quantity
    return quantity * case_size if case_size else None


class PoLines:
    """The lines of a purchase order: matching a document's line to one, its eaches, its value."""

    def __init__(self, po: PurchaseOrder) -> None:
        self.po = po
        self.lines: list[OrderLine] = list(po.lines)
        self.keys = [item_keys(line.item) for line in self.lines]

    def __len__(self) -> int:
        return len(self.lines)

    def zeros(self) -> list[Decimal]:
        return [ZERO] * len(self.lines)

    def match(self, item: ItemIds, line_no: str | None = None) -> int | None:
        """The index of the PO line ``item`` belongs to, or ``None`` when no PO line shares an id."""
        keys = item_keys(item)
        found = [i for i, k in enumerate(self.keys) if shares_id(k, keys)]
        if not found:
            return None
        if line_no:
            same = [i for i in found if self.lines[i].line_no == line_no]
            if same:
                return same[0]
        return found[0]

    def case_size(self, i: int, line_case: Decimal | None = None) -> Decimal | None:
        """The case size of a document line of PO line ``i``: its own, else the PO line's."""
        return line_case or self.lines[i].case_size

    def eaches(self, i: int, quantity: Decimal, uom: str, line_case: Decimal | None = None) -> Decimal | None:
        """``quantity`` in ``uom`` as eaches of PO line ``i`` (``None``: a case of unknown size)."""
        return eaches(quantity, uom, self.case_size(i, line_case))

    def ordered(self, i: int) -> Decimal | None:
        line = self.lines[i]
        return self.eaches(i, line.quantity, line.uom)

    def unit_size(self, i: int, line_case: Decimal | None = None) -> Decimal | None:
        """Eaches in one unit of PO line ``i``: 1 for eaches; for cases the PO's case size, else the
        one a document states (``line_case``); ``None`` when neither does."""
        line = self.lines[i]
        return (line.case_size or line_case) if is_case(line.uom) else Decimal(1)

    def cases(self, i: int, each_count: Decimal, line_case: Decimal | None = None) -> Decimal | None:
        """``each_count`` eaches in units of PO line ``i`` (cases when it is ordered in cases)."""
        size = self.unit_size(i, line_case)
        return each_count / size if size else None

    def value(self, i: int, each_count: Decimal, line_case: Decimal | None = None) -> Decimal | None:
        """``each_count`` eaches of PO line ``i`` at the PO's cost (``None``: no cost, or no case size)."""
        line, size = self.lines[i], self.unit_size(i, line_case)
        if line.unit_price is None or size is None:
            return None
        return line.unit_price * each_count / size

    def same_unit(self, i: int, uom: str, line_case: Decimal | None) -> bool:
        """Whether a document line in ``uom`` (of ``line_case``) is in PO line ``i``'s unit."""
        line = self.lines[i]
        if is_case(uom) != is_case(line.uom):
            return False
        if not is_case(uom):
            return uom.upper() == line.uom.upper()
        return not (line_case and line.case_size and line_case != line.case_size)


@dataclass(frozen=True)
class Unknown:
    """A document line in cases whose case size nobody states: its eaches are not known."""

    line: int  # index of the PO line
    doc_line: DocLine


@dataclass
class Count:
    """A document's lines as eaches per PO line."""

    eaches: list[Decimal]
    unknown: list[Unknown] = field(default_factory=list)
    unmatched: list[DocLine] = field(default_factory=list)
    case_sizes: list[Decimal | None] = field(default_factory=list)  # the case size the document states


def count(lines: PoLines, doc_lines: Iterable[DocLine]) -> Count:
    """The eaches ``doc_lines`` hold of each PO line, with the lines of unknown quantity or no PO line."""
    out = Count(lines.zeros(), case_sizes=[None] * len(lines))
    for ln in doc_lines:
        i = lines.match(ln.item, ln.line_no)
        if i is None:
            out.unmatched.append(ln)
            continue
        size = line_case_size(ln)
        out.case_sizes[i] = out.case_sizes[i] or size
        each_count = lines.eaches(i, ln.quantity, ln.uom, size)
        if each_count is None:
            out.unknown.append(Unknown(i, ln))
        else:
            out.eaches[i] += each_count
    return out


def shipment_lines(doc: Shipment, po_number: str) -> list[DocLine]:
    """The lines a shipment ships of PO ``po_number``."""
    return [ln for order in doc.orders if order.po_number == po_number for ln in order.lines]


def unknown_text(lines: PoLines, u: Unknown) -> str:
    """What a line of unknown eaches is, naming the PO line (the builders' and the finding's words)."""
    po_line = lines.lines[u.line]
    return (
        f"{qty_text(u.doc_line.quantity)} {u.doc_line.uom} of PO line {po_line.line_no} "
        f"({item_label(po_line.item)}) with no case size, on the line or the PO"
    )


def add(vectors: Sequence[list[Decimal]], n: int) -> list[Decimal]:
    total = [ZERO] * n
    for vector in vectors:
        total = [a + b for a, b in zip(total, vector, strict=True)]
    return total


@dataclass
class Tally:
    """Every document of a PO counted once, per PO line (see the module docstring)."""

    lines: PoLines
    shipments: list[tuple[Loaded[Shipment], Count]]
    invoices: list[tuple[Loaded[Invoice], Count]]  # live invoices
    credit_notes: list[tuple[Loaded[Invoice], Count]]  # live credit notes
    returns: list[tuple[Loaded[ReturnAuthorization], Count]]
    #: eaches per PO line our sent acknowledgement confirms (accepted + backordered); ``None``
    #: when none was sent (the ordered quantity stands), an entry ``None`` when not convertible
    confirmed: list[Decimal | None] | None = None

    def _sum(self, counted: Iterable[tuple[object, Count]]) -> list[Decimal]:
        return add([c.eaches for _, c in counted], len(self.lines))

    @property
    def ordered(self) -> list[Decimal | None]:
        return [self.lines.ordered(i) for i in range(len(self.lines))]

    @property
    def shipped(self) -> list[Decimal]:
        return self._sum(self.shipments)

    @property
    def invoiced(self) -> list[Decimal]:
        return self._sum(self.invoices)

    @property
    def credited(self) -> list[Decimal]:
        return self._sum(self.credit_notes)

    @property
    def returned(self) -> list[Decimal]:
        return self._sum(self.returns)

    def in_shipment(self, shipment_id: str | None) -> list[Decimal]:
        """The eaches the ASNs ``shipment_id`` ship of each PO line."""
        return self._sum((s, c) for s, c in self.shipments if s.doc.shipment_id == shipment_id)

    def billed(self, leave_out: Iterable[int] = ()) -> list[Decimal]:
        """The eaches invoiced, without the live invoices at positions ``leave_out``."""
        skip = set(leave_out)
        return self._sum(x for k, x in enumerate(self.invoices) if k not in skip)

    @property
    def uncertain(self) -> set[int]:
        """The PO lines with a quantity in cases of unknown size (their sums are not known)."""
        counts = [c for _, c in self.shipments] + [c for _, c in self.invoices]
        counts += [c for _, c in self.credit_notes] + [c for _, c in self.returns]
        return {u.line for c in counts for u in c.unknown}


def tally(bundle: PoBundle, lines: PoLines) -> Tally:
    """Count every ASN, live invoice and credit note, and return of ``bundle`` against ``lines``."""
    number = bundle.po_number
    return Tally(
        lines,
        [(s, count(lines, shipment_lines(s.doc, number))) for s in bundle.shipments],
        [(x, count(lines, x.doc.lines)) for x in bundle.live_invoices("invoice")],
        [(x, count(lines, x.doc.lines)) for x in bundle.live_invoices("credit_note")],
        [(r, count(lines, r.doc.lines)) for r in bundle.returns],
        confirmed_eaches(bundle, lines),
    )


def confirmed_eaches(bundle: PoBundle, lines: PoLines) -> list[Decimal | None] | None:
    """The one reading of confirmed quantities: our sent acknowledgement's, in eaches per PO line."""
    sent = bundle.sent_acknowledgement
    if sent is None:
        return None
    out: list[Decimal | None] = [ZERO] * len(lines)
    index = {line.line_no: i for i, line in enumerate(lines.lines)}
    for ack_line in sent.doc.lines:
        i = index.get(ack_line.line_no)
        if i is None or ack_line.status == "reject":
            continue
        each = lines.eaches(i, ack_line.confirmed_quantity, ack_line.uom)
        current = out[i]
        out[i] = None if each is None or current is None else current + each
    return out
