"""Discrepancies (filter, acknowledge, resolve, dispute) and invoices (status, blocked reasons, actions).

The status changes and invoice actions belong to :mod:`gateway.reconcile` and
:mod:`gateway.invoicing`; this module only calls them (see :mod:`gateway.console.actions`).
Blocked reasons are read from ``invoice_checks`` when that table's model is installed.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlmodel import col, select

from gateway.console import actions
from gateway.console.auth import requires
from gateway.console.context import current_user, db, runtime
from gateway.console.csv_export import attribute_rows, csv_response, wants_csv
from gateway.console.paging import every_row, keyset, query_args, where_equal
from gateway.store.models import Discrepancy, Document
from gateway.store.money import InvoiceCheck

log = logging.getLogger(__name__)

bp = Blueprint("money", __name__)

DISCREPANCY_STATUSES = ("open", "acknowledged", "resolved", "disputed")
TRANSITIONS = {"acknowledge": "acknowledged", "resolve": "resolved", "dispute": "disputed"}
#: The moves offered on the page per status (gateway.reconcile has the final word).
OFFERED = {
    "open": ("acknowledge",),
    "acknowledged": ("resolve", "dispute"),
    "disputed": ("resolve", "acknowledge"),
}
INVOICE_STATES = ("draft", "blocked", "queued", "sent", "accepted", "rejected", "cancelled")
NOTE_MAX = 1000


DISCREPANCY_FILTERS = {
    "status": Discrepancy.status,
    "partner": Discrepancy.partner,
    "kind": Discrepancy.kind,
    "po": Discrepancy.po_number,
}
INVOICE_FILTERS = {"status": Document.status, "partner": Document.partner, "po": Document.po_number}
DISCREPANCY_CSV = (
    "id", "created_at", "partner", "kind", "severity", "status", "po_number", "shipment_id",
    "invoice_number", "line_no", "expected", "actual", "amount_at_risk", "currency", "resolved_at",
)  # fmt: skip
INVOICE_CSV = (
    "id", "partner", "business_key", "invoice_number", "po_number", "shipment_id", "document_date",
    "currency", "total", "status",
)  # fmt: skip


@bp.route("/discrepancies")
def discrepancies() -> Any:
    args = query_args(list(DISCREPANCY_FILTERS))
    query = where_equal(select(Discrepancy), DISCREPANCY_FILTERS, args)
    if wants_csv():
        rows = every_row(db(), query, Discrepancy.id)
        return csv_response("discrepancies.csv", DISCREPANCY_CSV, attribute_rows(rows, DISCREPANCY_CSV))
    listing = keyset(db(), query, Discrepancy.id)
    return render_template(
        "discrepancies.html",
        listing=listing,
        rows=listing.rows,
        args={k: v for k, v in args.items() if v},
        statuses=DISCREPANCY_STATUSES,
        offered=OFFERED,
    )


@bp.route("/discrepancies/<int:discrepancy_id>/<any(acknowledge, resolve, dispute):verb>", methods=["POST"])
@requires("operator")
def discrepancy_status(discrepancy_id: int, verb: str) -> Any:
    user = current_user()
    assert user is not None
    session = db()
    if session.get(Discrepancy, discrepancy_id) is None:
        abort(404, description=f"there is no discrepancy {discrepancy_id}")
    note = request.form.get("note", "").strip()[:NOTE_MAX]
    if not note:
        abort(400, description="a note is required")
    status = TRANSITIONS[verb]
    try:
        actions.set_discrepancy_status(session, discrepancy_id, status, user.username, note)  # audited there
        session.commit()
    except ValueError as exc:  # a transition the rules do not allow
        session.rollback()
        flash(f"Discrepancy {discrepancy_id}: {exc}", "error")
    else:
        flash(f"Discrepancy {discrepancy_id} is now {status}.", "info")
    back = request.form.get("back") or ""
    return redirect(back if _local(back) else url_for("money.discrepancies"))


def _local(target: str) -> bool:
    return target.startswith("/") and not target.startswith("//")


def blocked_reasons(doc_ids: list[int]) -> dict[int, list[Any]]:
    """Blocked reasons per invoice document, from ``invoice_checks`` when that model exists."""
    if not doc_ids:
        return {}
    rows = db().exec(select(InvoiceCheck).where(col(InvoiceCheck.document_id).in_(doc_ids))).all()
    return {row.document_id: list(row.reasons or []) for row in rows}


def describe_reason(reason: Any) -> str:
    if isinstance(reason, dict):
        code = reason.get("code") or reason.get("rule") or ""
        text = reason.get("message") or reason.get("text") or ""
        return f"{code}: {text}" if code and text else str(code or text or reason)
    return str(reason)


@bp.route("/invoices")
def invoices() -> Any:
    args = query_args(list(INVOICE_FILTERS))
    query = where_equal(select(Document).where(col(Document.type) == "invoice"), INVOICE_FILTERS, args)
    if wants_csv():
        rows = list(every_row(db(), query, Document.id))
        kinds = [[str((d.data or {}).get("kind") or "invoice")] for d in rows]
        cells = [[*a, *k] for a, k in zip(attribute_rows(rows, INVOICE_CSV), kinds, strict=True)]
        return csv_response("invoices.csv", (*INVOICE_CSV, "kind"), cells)
    listing = keyset(db(), query, Document.id)
    shown = listing.rows
    return render_template(
        "invoices.html",
        listing=listing,
        rows=shown,
        reasons=blocked_reasons([d.id for d in shown if d.id is not None]),
        describe=describe_reason,
        args={k: v for k, v in args.items() if v},
        states=INVOICE_STATES,
    )


def action_reason(verb: str) -> str:
    """The operator's reason from the form: required for a cancel (it goes to the audit log), capped."""
    note = (request.form.get("reason") or "").strip()
    if verb == "cancel" and not note:
        abort(400, description="a cancel needs a reason (it goes to the audit log)")
    if len(note) > NOTE_MAX:
        abort(400, description=f"the reason is longer than {NOTE_MAX} characters")
    return note


@bp.route("/invoices/<int:document_id>/<any(approve, send, recheck, cancel):verb>", methods=["POST"])
@requires("operator")
def invoice_action(document_id: int, verb: str) -> Any:
    """Approve (re-queue), send, re-check (its cause fixed) or cancel (with a reason) an invoice."""
    user = current_user()
    assert user is not None
    session = db()
    doc = session.get(Document, document_id)
    if doc is None or doc.type != "invoice":
        abort(404, description=f"there is no invoice {document_id}")
    note = action_reason(verb)
    try:
        if verb == "cancel":
            actions.cancel_invoice(runtime(), document_id, user.username, note)
        elif verb == "recheck":
            actions.recheck_invoice(runtime(), document_id, user.username)
        else:
            fn = actions.approve_invoice if verb == "approve" else actions.send_invoice
            fn(runtime(), document_id, user.username)  # commits and audits in gateway.service.money
    except ValueError as exc:  # blocked, wrong state: the owner's readable reason
        session.rollback()
        flash(f"Invoice {doc.business_key}: {exc}", "error")
    else:
        flash(f"Invoice {doc.business_key}: {verb} done.", "info")
    target = request.form.get("next") or ""
    return redirect(target if _local(target) else url_for("money.invoices"))
