"""CSV export of the messages list: the rows the list's filters select, walked page by page.

``/messages/export.csv`` takes the same query arguments as ``/messages`` and streams every
matching message (newest first, keyset pages of :data:`BATCH`), one row each, up to
:data:`MAX_ROWS`. Cells that a spreadsheet would run as a formula are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, request, stream_with_context

from gateway.console.context import db, runtime
from gateway.console.queries import FilterError, MessageFilter, list_messages
from gateway.store.models import Message

bp = Blueprint("export", __name__)

BATCH = 500
MAX_ROWS = 100_000
COLUMNS = (
    "id",
    "created_at",
    "direction",
    "partner",
    "mailbox",
    "filename",
    "document_types",
    "state",
    "error",
)


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _row(message: Message) -> list[str]:
    values = (
        message.id,
        message.created_at.isoformat() if message.created_at else "",
        message.direction,
        message.partner,
        message.mailbox,
        message.filename,
        " ".join(message.document_types or []),
        message.state,
        message.error_message,
    )
    return [_cell(v) for v in values]


def _rows(flt: MessageFilter) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    before, written = None, 0
    while written < MAX_ROWS:
        page = list_messages(db(), flt, before=before, limit=BATCH, archive=runtime().archive)
        for message in page.items:
            writer.writerow(_row(message))
        written += len(page.items)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if page.older is None or not page.items:
            return
        before = page.older


@bp.route("/messages/export.csv")
def messages_csv() -> Any:
    try:
        flt = MessageFilter.from_args(request.args)
    except FilterError as exc:
        abort(400, description=str(exc))
    return Response(
        stream_with_context(_rows(flt)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="messages.csv"'},
    )
