"""An availability feed as CSV (what a vendor's ERP or warehouse exports) as a canonical Availability.

Strategy. As the receiving report's reader (:mod:`gateway.canonical.receipt_csv`, whose header,
delimiter, date and quantity helpers this module uses), columns go by header *name*, compared
without case, spaces, dashes or underscores (:data:`COLUMNS`); unknown columns are ignored. A
feed must have a ``quantity_available`` column and at least one item id column (asin,
vendor_sku, ean, upc, buyer_sku). Each data row is one line. The feed's moment (``as_of``) is
the latest ``as_of`` cell if the feed has that column, else the moment the caller gives (when
the file was received). The ``warehouse`` of the first row naming one is the feed's.

Pure: text in, :class:`Availability` out. Every problem is reported at once as
:class:`AvailabilityCsvError`, a ``ValueError`` listing ``row N, column C: message`` lines.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from gateway.canonical.availability import Availability
from gateway.canonical.receipt_csv import locate, parse_date, parse_quantity, read_table

log = logging.getLogger(__name__)

#: canonical field -> the header spellings accepted for it (normalised: lower case, no separators)
COLUMNS: dict[str, tuple[str, ...]] = {
    "item.asin": ("asin",),
    "item.vendor_sku": ("vendorsku", "sku", "modelnumber"),
    "item.ean": ("ean", "gtin", "ean13"),
    "item.upc": ("upc",),
    "item.buyer_sku": ("buyersku",),
    "quantity_available": ("quantityavailable", "available", "qtyavailable", "availablequantity", "onhand"),
    "uom": ("uom", "unit", "unitofmeasure"),
    "cost": ("cost", "unitcost", "price"),
    "currency": ("currency", "currencycode"),
    "available_on": ("availableon", "availabledate", "dateavailable", "nextavailable"),
    "status": ("status", "itemstatus"),
    "warehouse": ("warehouse", "location", "shipfrom"),
    "as_of": ("asof", "timestamp", "asofdate"),
}
ITEM_COLUMNS = tuple(name for name in COLUMNS if name.startswith("item."))
_DECIMALS = ("quantity_available", "cost")


class AvailabilityCsvError(ValueError):
    """A feed that cannot become an availability; ``problems`` holds one line per fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("availability feed refused:\n  " + "\n  ".join(problems))


def _as_of(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return datetime.combine(parse_date(text), datetime.min.time())


def _row_line(cells: dict[str, str]) -> dict[str, Any]:
    """The availability line of one row (raises ``ValueError`` naming the column at fault)."""
    if not cells.get("quantity_available"):
        raise ValueError("column quantity_available: empty")
    if not any(cells.get(name) for name in ITEM_COLUMNS):
        raise ValueError("no item id (asin, vendor_sku, ean, upc or buyer_sku)")
    line: dict[str, Any] = {"item": {}}
    for name, text in cells.items():
        if name in ("warehouse", "as_of") or not text:
            continue
        try:
            if name in _DECIMALS:
                value: Any = parse_quantity(text)
            elif name == "available_on":
                value = parse_date(text)
            elif name == "currency":
                value = text.upper()
            else:
                value = text
        except ValueError as exc:
            raise ValueError(f"column {name}: {exc}") from exc
        if name.startswith("item."):
            line["item"][name.removeprefix("item.")] = value
        else:
            line[name] = value
    return line


def availability_from_csv(
    text: str, feed_id: str, received_at: datetime, partner: str | None = None
) -> Availability:
    """The availability of a feed's CSV text; ``feed_id`` names it (e.g. the file's name).

    Raises :class:`AvailabilityCsvError` listing every problem: a required column missing, a
    row whose quantity, cost or date does not read, or a feed that does not validate.
    """
    table = read_table(text, COLUMNS)
    if table is None:
        raise AvailabilityCsvError(["the feed is empty"])
    columns, table_rows = table
    missing = []
    if "quantity_available" not in columns:
        missing.append(f"no quantity_available column (one of: {', '.join(COLUMNS['quantity_available'])})")
    if not any(name in columns for name in ITEM_COLUMNS):
        missing.append("no item id column (asin, vendor_sku, ean, upc or buyer_sku)")
    if missing:
        raise AvailabilityCsvError(missing)
    problems: list[str] = []
    lines: list[dict[str, Any]] = []
    numbers: list[int] = []  # the feed row of each line
    moments: list[datetime] = []
    warehouse: str | None = None
    for number, cells in table_rows:
        try:
            lines.append(_row_line(cells))
            numbers.append(number)
            if cells.get("as_of"):
                try:
                    moments.append(_as_of(cells["as_of"]))
                except ValueError as exc:
                    raise ValueError(f"column as_of: {exc}") from exc
        except ValueError as exc:
            problems.append(f"row {number}: {exc}")
        warehouse = warehouse or cells.get("warehouse") or None
    if not lines and not problems:
        problems.append("the feed has no item rows")
    if problems:
        raise AvailabilityCsvError(problems)
    data: dict[str, Any] = {
        "feed_id": feed_id,
        "as_of": max(moments) if moments else received_at,
        "warehouse": warehouse,
        "partner": partner,
        "lines": lines,
    }
    try:
        feed = Availability.model_validate(data)
    except ValidationError as exc:
        raise AvailabilityCsvError([locate(err, numbers) for err in exc.errors(include_url=False)]) from exc
    log.debug("availability feed %s: %d lines", feed_id, len(feed.lines))
    return feed
