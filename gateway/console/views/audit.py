"""The audit log: who did what to which thing, when and why (newest first, keyset pages)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template
from sqlmodel import select

from gateway.console.context import db
from gateway.console.paging import keyset, query_args, where_equal
from gateway.store.models import AuditEntry

bp = Blueprint("audit", __name__)

PAGE = 100
FILTERS = {
    "actor": AuditEntry.actor,
    "action": AuditEntry.action,
    "target_type": AuditEntry.target_type,
    "target_id": AuditEntry.target_id,
}


@bp.route("/audit")
def index() -> Any:
    args = query_args(list(FILTERS))
    if not args["target_type"]:
        args["target_id"] = ""  # an id means nothing without its kind
    listing = keyset(db(), where_equal(select(AuditEntry), FILTERS, args), AuditEntry.id, size=PAGE)
    return render_template("audit.html", listing=listing, args={k: v for k, v in args.items() if v})
