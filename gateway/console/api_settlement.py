"""The settlement part of the JSON API: payments, claims (read, move, dispute pack) and reminders.

Reads accept a token or a logged-in session like the rest of ``/api/``; a claim's status change
needs a token and the ``finance`` (or ``admin``) role. Described in ``console/openapi.yaml``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, Response, abort, jsonify, request

from gateway.console.auth import requires
from gateway.console.context import current_user, db, runtime
from gateway.console.views.claims import claim_or_404, status_filter
from gateway.settlement import reminders
from gateway.settlement.claims import ClaimError, claim_events, claim_json, list_claims, transition
from gateway.settlement.evidence import export_pack
from gateway.settlement.payments import STATES, invoice_statuses
from gateway.store.models import utcnow

bp = Blueprint("api_settlement", __name__, url_prefix="/api")


@bp.route("/payments")
def payments() -> Any:
    state = request.args.get("state") or None
    if state is not None and state not in STATES:
        abort(400, description=f"state must be one of {', '.join(STATES)}")
    rows = invoice_statuses(
        db(), runtime().partners, utcnow().date(), po_number=request.args.get("po") or None
    )
    return jsonify({"items": [r.to_json() for r in rows if state is None or r.state == state]})


@bp.route("/claims")
def claims() -> Any:
    status = status_filter()
    rows = list_claims(db(), status=status, partner=request.args.get("partner") or None)
    return jsonify({"items": [claim_json(c) for c in rows]})


@bp.route("/claims/<int:claim_id>")
def claim(claim_id: int) -> Any:
    found = claim_or_404(claim_id)
    return jsonify(claim_json(found, claim_events(db(), found)))


@bp.route("/claims/<int:claim_id>/status", methods=["POST"])
@requires("finance")
def claim_status(claim_id: int) -> Any:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="send a JSON object")
    user = current_user()
    assert user is not None
    found = claim_or_404(claim_id)
    try:
        recovered = Decimal(str(data["recovered"])) if data.get("recovered") is not None else None
        transition(
            db(),
            found,
            str(data.get("status", "")),
            user.username,
            str(data.get("reason", "")),
            recovered=recovered,
        )
    except (ClaimError, InvalidOperation) as exc:
        db().rollback()
        abort(409 if isinstance(exc, ClaimError) and "can move to" in str(exc) else 400, description=str(exc))
    db().commit()
    return jsonify(claim_json(found, claim_events(db(), found)))


@bp.route("/claims/<int:claim_id>/pack")
def claim_pack(claim_id: int) -> Response:
    return Response(export_pack(db(), claim_or_404(claim_id)), mimetype="application/zip")


@bp.route("/reminders")
def reminder_list() -> Any:
    rows = reminders.listed(db(), utcnow().date())
    return jsonify(
        {
            "items": [
                {
                    "id": r.id,
                    "kind": r.kind,
                    "partner": r.partner,
                    "subject": r.subject,
                    "due_on": r.due_on.isoformat(),
                    "message": r.message,
                    "sent_at": r.sent_at.isoformat() if r.sent_at else None,
                }
                for r in rows
            ]
        }
    )
