"""CSV downloads of the console's charts and lists, safe to open in a spreadsheet.

A cell that starts with ``=``, ``+``, ``-``, ``@`` (or a tab / carriage return) would be read
as a formula by Excel or LibreOffice; such a cell is written with a leading ``'`` so that it
stays text (OWASP's advice on CSV injection). Numbers are written as numbers: a negative
amount is not text a spreadsheet runs, so only strings are guarded.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask import Response, request

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> str | int | float:
    """``value`` as a CSV cell: numbers as they are, text guarded against formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def to_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """``rows`` under a header of ``columns`` as CSV text (cells made safe by :func:`safe_cell`)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(c) for c in columns])
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
    return buffer.getvalue()


def wants_csv() -> bool:
    """Whether the request asks for the CSV form of a page (``?format=csv``)."""
    return request.args.get("format", "").lower() == "csv"


def csv_response(filename: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Response:
    """A download of ``rows`` as ``filename``."""
    return Response(
        to_csv(columns, rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def attribute_rows(items: Iterable[Any], columns: Sequence[str]) -> Iterator[list[Any]]:
    """One row per object: its attributes named by ``columns``."""
    for item in items:
        yield [getattr(item, name) for name in columns]
