"""A receiving report (the CSV a vendor downloads from Vendor Central) as a canonical Receipt.

Strategy. Amazon does not publish the report's layout and the headers differ between
marketplaces and over time, so the reader goes by header *names*, not positions: each
canonical field accepts a few spellings (:data:`COLUMNS`, compared without case, spaces,
dashes or underscores), unknown columns are ignored, and the two columns a receipt cannot
do without (the PO and the received quantity) must be there. The delimiter is the first of
``,`` ``;`` or tab found in the header line; a UTF-8 byte-order mark is dropped. Each data
row is one receipt line. The receipt's date is the latest receive date of its rows.

This module is pure: it takes the text and returns a :class:`Receipt`, so the file is read
by whoever received it (a mailbox, ``acorn ingest``). Every problem is reported at once as
:class:`ReceiptCsvError`, a ``ValueError`` listing ``row N, column C: message`` lines.
"""

from __future__ import annotations

import csv
import io
import logging
import re
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from gateway.canonical.receipt import Receipt

log = logging.getLogger(__name__)

#: canonical field -> the header spellings accepted for it (normalised: lower case, no separators)
COLUMNS: dict[str, tuple[str, ...]] = {
    "po_number": ("po", "ponumber", "purchaseorder", "purchaseordernumber"),
    "line_no": ("line", "lineno", "linenumber", "poline"),
    "item.asin": ("asin",),
    "item.ean": ("ean", "gtin", "ean13"),
    "item.upc": ("upc",),
    "item.vendor_sku": ("vendorsku", "sku", "modelnumber", "model"),
    "quantity": ("received", "receivedquantity", "quantityreceived", "receivedunits", "unitsreceived"),
    "damaged": ("damaged", "damagedquantity", "damagedunits", "rejected", "rejectedquantity"),
    "uom": ("uom", "unit", "unitofmeasure"),
    "sscc": ("sscc", "cartonid", "cartonlabel", "carton"),
    "receipt_date": ("receivedate", "receiveddate", "datereceived", "receiptdate"),
    "ship_to_location": ("fc", "fulfillmentcenter", "fulfilmentcentre", "warehouse", "shiptolocation"),
    "shipment_id": ("shipmentid", "asn", "asnnumber"),
    "arn": ("arn", "appointmentrequestnumber"),
    "bol": ("bol", "billoflading"),
}
REQUIRED = ("po_number", "quantity")
_HEADER_FIELDS = ("ship_to_location", "shipment_id", "arn", "bol")
_DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y")  # ISO; US Vendor Central; European
_QUANTITY = re.compile(r"\d+(\.\d+)?")


class ReceiptCsvError(ValueError):
    """A receiving report that cannot become a receipt; ``problems`` holds one line per fault."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("receiving report refused:\n  " + "\n  ".join(problems))


def normal(header: str) -> str:
    """A header as compared: lower case, without spaces, dashes, underscores, dots, slashes or ``#``."""
    return re.sub(r"[\s_\-./#]+", "", header.strip().lower())


def column_map(headers: list[str], columns: dict[str, tuple[str, ...]] = COLUMNS) -> dict[str, int]:
    """Canonical field -> column index, for the headers ``columns`` knows (the first wins); by
    default :data:`COLUMNS`, another CSV reader (the availability feed's) passes its own."""
    spelled = {spelling: name for name, spellings in columns.items() for spelling in spellings}
    found: dict[str, int] = {}
    for index, header in enumerate(headers):
        name = spelled.get(normal(header))
        if name is not None and name not in found:
            found[name] = index
    return found


def read_table(
    text: str, columns: dict[str, tuple[str, ...]] = COLUMNS
) -> tuple[dict[str, int], list[tuple[int, dict[str, str]]]] | None:
    """The :func:`column_map` of a CSV's header and, for each non-blank data row, its row number
    (the header is row 1) and its cells by canonical field, stripped; ``None`` for an empty text.
    A UTF-8 byte-order mark is dropped; the delimiter is :func:`delimiter`'s."""
    text = text.removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter(text.split("\n", 1)[0])))
    if not rows:
        return None
    found = column_map(rows[0], columns)
    cells = [
        (number, {name: (row[i].strip() if i < len(row) else "") for name, i in found.items()})
        for number, row in enumerate(rows[1:], start=2)
        if any(cell.strip() for cell in row)
    ]
    return found, cells


def delimiter(first_line: str) -> str:
    """The delimiter of a CSV: the first of ``,`` ``;`` or tab in its header line (``,`` if none)."""
    return next((d for d in (",", ";", "\t") if d in first_line), ",")


def parse_date(text: str) -> date:
    """A date written ISO, US (MM/DD/YYYY) or European (DD.MM.YYYY); ``ValueError`` otherwise."""
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{text!r} is not a date (YYYY-MM-DD, MM/DD/YYYY or DD.MM.YYYY)")


def parse_quantity(text: str) -> Decimal:
    """A non-negative decimal (digits, ``.`` for a fraction); ``ValueError`` otherwise."""
    if not _QUANTITY.fullmatch(text):
        raise ValueError(f"{text!r} is not a quantity (digits, '.' for a fraction)")
    return Decimal(text)


def _row_line(cells: dict[str, str]) -> dict[str, Any]:
    """The receipt line of one row (raises ``ValueError`` naming the field at fault)."""
    for name in REQUIRED:
        if not cells[name]:
            raise ValueError(f"{name}: empty")
    line: dict[str, Any] = {"item": {}}
    for name, text in cells.items():
        if name in ("receipt_date", *_HEADER_FIELDS) or not text:
            continue
        try:
            value: Any = parse_quantity(text) if name in ("quantity", "damaged") else text
        except ValueError as exc:
            raise ValueError(f"{name}: {exc}") from exc
        if name.startswith("item."):
            line["item"][name.removeprefix("item.")] = value
        else:
            line[name] = value
    return line


def receipt_from_csv(text: str, receipt_id: str, partner: str | None = None) -> Receipt:
    """The receipt of a receiving report's text; ``receipt_id`` names it (e.g. the file's name).

    Raises :class:`ReceiptCsvError` listing every problem: a required column missing, a row
    whose quantity or date does not read, no receive date at all, or a receipt that does not
    validate (a row without any item id...).
    """
    table = read_table(text)
    if table is None:
        raise ReceiptCsvError(["the report is empty"])
    columns, table_rows = table
    missing = [
        f"no {name} column (one of: {', '.join(COLUMNS[name])})" for name in REQUIRED if name not in columns
    ]
    if missing:
        raise ReceiptCsvError(missing)
    problems: list[str] = []
    lines: list[dict[str, Any]] = []
    numbers: list[int] = []  # the report row of each line
    header: dict[str, str] = {}
    dates: list[date] = []
    for number, cells in table_rows:
        try:
            lines.append(_row_line(cells))
            numbers.append(number)
            if cells.get("receipt_date"):
                dates.append(parse_date(cells["receipt_date"]))
        except ValueError as exc:
            problems.append(f"row {number}: {exc}")
        for name in _HEADER_FIELDS:  # the first row that names one gives the receipt's
            if not header.get(name) and cells.get(name):
                header[name] = cells[name]
    if not dates and not problems:
        problems.append("no receive date in any row")
    if problems:
        raise ReceiptCsvError(problems)
    data = {"receipt_id": receipt_id, "receipt_date": max(dates), "partner": partner, "lines": lines}
    data.update({name: value for name, value in header.items() if value})
    try:
        receipt = Receipt.model_validate(data)
    except ValidationError as exc:
        raise ReceiptCsvError([locate(err, numbers) for err in exc.errors(include_url=False)]) from exc
    log.debug("receiving report %s: %d lines", receipt_id, len(receipt.lines))
    return receipt


def locate(err: Any, numbers: list[int]) -> str:
    """A validation error located at its report row (``numbers[i]`` is the row of line i)."""
    loc = list(err["loc"])
    if len(loc) >= 2 and loc[0] == "lines" and isinstance(loc[1], int):
        return f"row {numbers[loc[1]]}: {'.'.join(str(p) for p in loc[2:]) or 'line'}: {err['msg']}"
    return f"{'.'.join(str(p) for p in loc) or 'receipt'}: {err['msg']}"
