"""The outbound layout of a ship notice: a :class:`Shipment` with its HL/CPS hierarchy laid out.

An 856 numbers its levels (HL01, parent in HL02) and a DESADV its packaging levels (CPS01,
CPS02); the mapping language fills elements from fields, so :func:`ship_notice` lays the
hierarchy out as a list, depth first, that the outbound mapping walks with ``each: hierarchy``:
shipment (HL 1, written by the mapping) -> order (O) -> pallet (T) -> carton (P) -> item (I).
Items sit under their carton; an order without packages has its items under the order.
``cps_parent`` is the parent among packaging levels only (``1``, the shipment, for a carton
not on a pallet). A carton holds one PO's goods (the pre-check says so when it does not).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from gateway.canonical.base import CanonicalModel
from gateway.canonical.gs1 import with_ai
from gateway.canonical.parties import ItemIds
from gateway.canonical.shipment import Package, Shipment
from gateway.canonical.types import NonNegative, OptText, Text


class HlLevel(CanonicalModel):
    """One level of the hierarchy below the shipment."""

    hl_id: Text
    parent_id: Text
    cps_parent: OptText = None
    level: Literal["O", "T", "P", "I"]
    po_number: OptText = None
    sscc: OptText = None  # 20 characters, (00) + SSCC-18, as MAN*GM and the label write it
    sscc18: OptText = None  # the 18 digits, as GIN+BJ writes it
    line_no: OptText = None
    item: ItemIds | None = None
    quantity: NonNegative | None = None
    uom: OptText = None
    case_size: NonNegative | None = None


class ShipNotice(Shipment):
    """A shipment with its hierarchy laid out for the outbound mappings (see the module docstring)."""

    hierarchy: list[HlLevel] = []
    po_number: OptText = None  # the first order's (a DESADV carries one PO)
    hl_count: int = 1
    package_count: int = 0


def _case_size(shipment: Shipment, po_number: str, line_no: str | None) -> Decimal | None:
    for order in shipment.orders:
        if order.po_number == po_number:
            for line in order.lines:
                if line.line_no == line_no and line.case_size is not None:
                    return line.case_size
    return None


def ship_notice(shipment: Shipment) -> ShipNotice:
    """``shipment`` with its hierarchy laid out (see the module docstring)."""
    levels: list[HlLevel] = []

    def add(level: str, parent: str, **values: object) -> str:
        hl_id = str(len(levels) + 2)
        levels.append(HlLevel.model_validate({"hl_id": hl_id, "parent_id": parent, "level": level, **values}))
        return hl_id

    single = shipment.orders[0].po_number if len(shipment.orders) == 1 else None
    by_parent: dict[str | None, list[Package]] = {}
    for pkg in shipment.packages:
        by_parent.setdefault(pkg.parent_sscc, []).append(pkg)

    def holds(package: Package, po_number: str) -> bool:
        own = any((c.po_number or single) == po_number for c in package.contents)
        return own or any(holds(child, po_number) for child in by_parent.get(package.sscc, []))

    def lay_out(p: Package, parent: str, cps_parent: str, po_number: str) -> None:
        code = "T" if p.level == "pallet" else "P"
        hl = add(code, parent, cps_parent=cps_parent, sscc=with_ai(p.sscc), sscc18=p.sscc)
        for content in p.contents:
            if (content.po_number or single) == po_number:
                add(
                    "I",
                    hl,
                    line_no=content.line_no,
                    item=content.item,
                    quantity=content.quantity,
                    uom=content.uom,
                    case_size=_case_size(shipment, po_number, content.line_no),
                )
        for child in by_parent.get(p.sscc, []):
            if holds(child, po_number):
                lay_out(child, hl, hl, po_number)

    for order in shipment.orders:
        o = add("O", "1", po_number=order.po_number)
        tops = [p for p in by_parent.get(None, []) if holds(p, order.po_number)]
        for top in tops:
            lay_out(top, o, "1", order.po_number)
        if not shipment.packages:
            for line in order.lines:
                add(
                    "I",
                    o,
                    line_no=line.line_no,
                    item=line.item,
                    quantity=line.quantity,
                    uom=line.uom,
                    case_size=line.case_size,
                )
    data = shipment.model_dump()
    data.pop("type", None)
    return ShipNotice.model_validate(
        {
            **data,
            "po_number": shipment.orders[0].po_number,
            "hierarchy": levels,
            "hl_count": len(levels) + 1,
            "package_count": len(shipment.packages),
        }
    )


def as_sent(shipment: Shipment) -> Shipment:
    """``shipment`` as our readers read back the ship notice we send: one order line per item a
    carton holds (an 856's items are its I levels), with the line's case size, and each carton's
    contents naming their PO."""
    if not shipment.packages:
        return shipment
    single = shipment.orders[0].po_number if len(shipment.orders) == 1 else None
    notice = ship_notice(shipment)
    orders: dict[str, list[dict[str, object]]] = {o.po_number: [] for o in shipment.orders}
    current = ""
    for level in notice.hierarchy:
        if level.level == "O":
            current = level.po_number or ""
        elif level.level == "I":
            orders[current].append(
                {
                    "line_no": level.line_no,
                    "item": level.item,
                    "quantity": level.quantity,
                    "uom": level.uom or "EA",
                    "case_size": level.case_size,
                }
            )
    data = shipment.model_dump()
    data["orders"] = [{"po_number": po, "lines": lines} for po, lines in orders.items()]
    for package in data["packages"]:
        for content in package["contents"]:
            content["po_number"] = content["po_number"] or single
    return Shipment.model_validate(data)
