"""Claims pages: the list (soonest deadline first), one claim with its evidence and timeline, its status
moves and attachments (finance or admin), its dispute pack; payment states for the PO and invoice pages."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from gateway.console.auth import requires
from gateway.console.context import current_user, db, runtime
from gateway.settlement.claims import STATUSES, ClaimError, claim_events, list_claims, transition
from gateway.settlement.evidence import attach, export_pack
from gateway.settlement.payments import PaymentStatus, invoice_statuses
from gateway.store.models import utcnow
from gateway.store.settlement import Claim

bp = Blueprint("claims", __name__)

REASON_MAX = 1000
UPLOAD_MAX = 10 * 1024 * 1024


def payment_states(
    po_number: str | None = None, invoice_number: str | None = None
) -> dict[str, PaymentStatus]:
    """The payment state of the invoices of a PO (or of one invoice), by invoice number."""
    numbers = {invoice_number} if invoice_number else None
    rows = invoice_statuses(
        db(), runtime().partners, utcnow().date(), invoice_numbers=numbers, po_number=po_number
    )
    return {r.invoice_number: r for r in rows}


def claim_or_404(claim_id: int) -> Claim:
    """The claim ``claim_id``, or a 404 naming it (pages and the JSON API)."""
    found = db().get(Claim, claim_id)
    if found is None:
        abort(404, description=f"there is no claim {claim_id}")
    return found


def status_filter() -> str | None:
    """The ``?status=`` of a claims list, or a 400 listing the statuses."""
    status = request.args.get("status") or None
    if status is not None and status not in STATUSES:
        abort(400, description=f"status must be one of {', '.join(STATUSES)}")
    return status


@bp.route("/claims")
def index() -> Any:
    status = status_filter()
    rows = list_claims(db(), status=status, partner=request.args.get("partner") or None)
    return render_template("claims.html", rows=rows, statuses=STATUSES, status=status)


@bp.route("/claims/<int:claim_id>")
def detail(claim_id: int) -> Any:
    claim = claim_or_404(claim_id)
    return render_template("claim.html", claim=claim, events=claim_events(db(), claim), statuses=STATUSES)


@bp.route("/claims/<int:claim_id>/status", methods=["POST"])
@requires("finance")
def move(claim_id: int) -> Any:
    user = current_user()
    assert user is not None
    session = db()
    claim = claim_or_404(claim_id)
    reason = request.form.get("reason", "").strip()[:REASON_MAX]
    recovered_text = request.form.get("recovered", "").strip()
    try:
        recovered = Decimal(recovered_text) if recovered_text else None
        transition(session, claim, request.form.get("status", ""), user.username, reason, recovered=recovered)
        session.commit()
    except (ClaimError, InvalidOperation) as exc:
        session.rollback()
        flash(f"Claim {claim_id}: {exc}", "error")
    else:
        flash(f"Claim {claim.reference} is now {claim.status}.", "ok")
    return redirect(url_for("claims.detail", claim_id=claim_id))


@bp.route("/claims/<int:claim_id>/attach", methods=["POST"])
@requires("finance")
def upload(claim_id: int) -> Any:
    user = current_user()
    assert user is not None
    claim = claim_or_404(claim_id)
    file = request.files.get("file")
    if file is None or not file.filename:
        abort(400, description="choose a file to attach")
    content = file.read(UPLOAD_MAX + 1)
    if len(content) > UPLOAD_MAX:
        abort(413, description="an attachment can be at most 10 MB")
    attach(db(), claim, file.filename, content, user.username, runtime().settings.archive_dir / "claims")
    db().commit()
    flash(f"Attached {file.filename}.", "ok")
    return redirect(url_for("claims.detail", claim_id=claim_id))


@bp.route("/claims/<int:claim_id>/pack.zip")
def pack(claim_id: int) -> Response:
    claim = claim_or_404(claim_id)
    data = export_pack(db(), claim)
    name = f"claim-{claim.id}-{claim.reference}.zip".replace('"', "")
    return Response(
        data, mimetype="application/zip", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
