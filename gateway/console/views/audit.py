"""The audit log: who did what to which thing, when and why (newest first, keyset pages)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from sqlmodel import select

from gateway.console.context import db
from gateway.console.csv_export import csv_response, wants_csv
from gateway.console.formatting import detail_items
from gateway.console.paging import every_row, keyset, query_args, where_equal
from gateway.store.models import AuditEntry

bp = Blueprint("audit", __name__)

PAGE = 100
FILTERS = {
    "actor": AuditEntry.actor,
    "action": AuditEntry.action,
    "target_type": AuditEntry.target_type,
    "target_id": AuditEntry.target_id,
}


CSV_COLUMNS = ("id", "at", "actor", "action", "target_type", "target_id", "reason", "detail")


def _detail_text(detail: object) -> str:
    """The detail as the page shows it (``label: text; ...``), not JSON."""
    return "; ".join(f"{label}: {text}" for label, text in detail_items(detail))


@bp.route("/audit")
def index() -> Any:
    args = query_args(list(FILTERS))
    if not args["target_type"]:
        args["target_id"] = ""  # an id means nothing without its kind
    query = where_equal(select(AuditEntry), FILTERS, args)
    if wants_csv():
        rows = (
            [a.id, a.at, a.actor, a.action, a.target_type, a.target_id, a.reason, _detail_text(a.detail)]
            for a in every_row(db(), query, AuditEntry.id)
        )
        return csv_response("audit.csv", CSV_COLUMNS, rows)
    listing = keyset(db(), query, AuditEntry.id, size=PAGE)
    return render_template("audit.html", listing=listing, args={k: v for k, v in args.items() if v})
