"""The audit log: who did what to which thing, when and why (newest first, keyset pages)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from sqlmodel import select

from gateway.console.context import db
from gateway.store.models import AuditEntry

bp = Blueprint("audit", __name__)

PAGE = 100


@bp.route("/audit")
def index() -> Any:
    args = {k: (request.args.get(k) or "").strip() for k in ("actor", "action", "target_type", "target_id")}
    query = select(AuditEntry)
    if args["target_type"] and args["target_id"]:
        query = query.where(
            AuditEntry.target_type == args["target_type"], AuditEntry.target_id == args["target_id"]
        )
    elif args["target_type"]:
        query = query.where(AuditEntry.target_type == args["target_type"])
    if args["actor"]:
        query = query.where(AuditEntry.actor == args["actor"])
    if args["action"]:
        query = query.where(AuditEntry.action == args["action"])
    before = request.args.get("before", "")
    if before.isdigit():
        query = query.where(AuditEntry.id < int(before))
    rows = list(db().exec(query.order_by(AuditEntry.id.desc()).limit(PAGE + 1)))
    return render_template(
        "audit.html",
        rows=rows[:PAGE],
        older=rows[PAGE - 1].id if len(rows) > PAGE else None,
        args={k: v for k, v in args.items() if v},
    )
