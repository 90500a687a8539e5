"""How the console shows a ship notice: what each package (SSCC) holds, and the total per PO line.

A line that ships in two cartons is two package rows, each with its SSCC, and one total row;
the flat document lines (one per carton and PO line, without the SSCC) are not shown for it.
Quantities are added only within one unit of measure: turning cases into eaches is the order
book's job (:mod:`gateway.orders`), not the page's.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any


@dataclass(frozen=True)
class PackageRow:
    sscc: str
    level: str
    parent_sscc: str
    po_number: str
    line_no: str
    item: str
    quantity: Decimal | None
    uom: str


@dataclass(frozen=True)
class LineTotal:
    po_number: str
    line_no: str
    item: str
    quantity: Decimal
    uom: str
    packages: int


def _item(item: Any) -> str:
    if not isinstance(item, dict):
        return ""
    for key in ("asin", "vendor_sku", "ean", "upc", "buyer_sku"):
        if item.get(key):
            return f"{key.upper() if len(key) <= 4 else key.replace('_', ' ')} {item[key]}"
    return ""


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def package_rows(data: dict[str, Any]) -> list[PackageRow]:
    """One row per package and content (a package with no contents, e.g. a pallet, is one row)."""
    rows = []
    for package in data.get("packages") or []:
        head = (str(package.get("sscc") or ""), str(package.get("level") or ""))
        parent = str(package.get("parent_sscc") or "")
        for content in package.get("contents") or [{}]:
            rows.append(
                PackageRow(
                    *head,
                    parent_sscc=parent,
                    po_number=str(content.get("po_number") or ""),
                    line_no=str(content.get("line_no") or ""),
                    item=_item(content.get("item")),
                    quantity=_decimal(content.get("quantity")),
                    uom=str(content.get("uom") or ""),
                )
            )
    return rows


def line_totals(rows: list[PackageRow]) -> list[LineTotal]:
    """The quantity per PO line and unit over all packages, in PO and line order."""
    totals: dict[tuple[str, str, str, str], tuple[Decimal, int]] = {}
    for row in rows:
        if row.quantity is None or not (row.po_number or row.line_no):
            continue
        key = (row.po_number, row.line_no, row.item, row.uom)
        quantity, count = totals.get(key, (Decimal(0), 0))
        totals[key] = (quantity + row.quantity, count + 1)
    return [
        LineTotal(po, line, item, quantity, uom, count)
        for (po, line, item, uom), (quantity, count) in sorted(totals.items())
    ]
