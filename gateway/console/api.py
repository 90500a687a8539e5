"""The JSON API under ``/api/``: the console's reads, replay and bulk replay, for scripts.

Authentication: ``Authorization: Bearer <token>`` (``acorn users token NAME``). Reads also
accept a logged-in browser session; anything that changes state needs a token and the
operator role (no CSRF token is involved: a browser never sends the header by itself).
Described by the OpenAPI document at ``/api/openapi.json`` (and ``.yaml``).
"""

from __future__ import annotations

from typing import Any

import yaml
from flask import Blueprint, Response, abort, current_app, jsonify, request
from sqlmodel import col, select
from werkzeug.utils import secure_filename

from gateway.console import actions, overview, serialize
from gateway.console.auth import requires
from gateway.console.context import current_user, db, int_arg, runtime, whole_number
from gateway.console.jobs import JobBusy, JobTable
from gateway.console.openapi import openapi_document
from gateway.console.orders import discrepancies_of_po, documents_of_po
from gateway.console.queries import FilterError, MessageFilter, list_messages, parse_day, related_messages
from gateway.console.views.documents import messages_by_document, ship_notices_of
from gateway.console.views.messages import load_payload, message_documents
from gateway.console.views.money import blocked_reasons
from gateway.store.models import (
    AuditEntry,
    Discrepancy,
    Document,
    Message,
    MessageEvent,
    ShipNoticeRecord,
)

bp = Blueprint("api", __name__, url_prefix="/api")

MAX_LIMIT = 200
MAX_REPLAY_IDS = 1000


def _limit(default: int = 50) -> int:
    value = request.args.get("limit", "")
    if not value:
        return default
    number = whole_number(value)
    if number is None or not 1 <= number <= MAX_LIMIT:
        abort(400, description=f"limit must be between 1 and {MAX_LIMIT}")
    return number


def _page(query: Any, id_column: Any, filters: tuple[tuple[str, Any], ...]) -> list[Any]:
    """``query`` narrowed by the equality ``filters`` given as query arguments, newest first,
    one page of ``?limit`` rows below the id ``?before`` (keyset paging)."""
    for arg, column in filters:
        if request.args.get(arg):
            query = query.where(column == request.args[arg])
    before = int_arg("before")
    if before is not None:
        query = query.where(id_column < before)
    return list(db().exec(query.order_by(id_column.desc()).limit(_limit())))


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, description="send a JSON object")
    return data


def _reason(data: dict[str, Any]) -> str:
    reason = data.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        abort(400, description="a reason is required")
    return reason.strip()[:500]


def _actor() -> str:
    user = current_user()
    assert user is not None
    return user.username


@bp.route("/messages")
def messages() -> Any:
    try:
        flt = MessageFilter.from_args(request.args)
    except FilterError as exc:
        abort(400, description=str(exc))
    page = list_messages(
        db(),
        flt,
        before=int_arg("before"),
        after=int_arg("after"),
        limit=_limit(),
        archive=runtime().archive,
    )
    return jsonify(
        {
            "items": [serialize.message(m) for m in page.items],
            "older": page.older,
            "newer": page.newer,
            "total": page.total,
            "total_capped": page.total_capped,
            "total_approximate": page.total_approximate,
        }
    )


def _message(message_id: int) -> Any:
    found = db().get(Message, message_id)
    if found is None:
        abort(404, description=f"there is no message {message_id}")
    return found


@bp.route("/messages/<int:message_id>")
def message(message_id: int) -> Any:
    session = db()
    found = _message(message_id)
    events = session.exec(
        select(MessageEvent).where(MessageEvent.message_id == message_id).order_by(col(MessageEvent.id))
    )
    return jsonify(
        {
            **serialize.message(found),
            "events": [serialize.event(e) for e in events],
            "documents": [
                {**serialize.document(d), "role": role} for d, role in message_documents(message_id)
            ],
            "related": [m.id for m in related_messages(session, found)],
        }
    )


@bp.route("/messages/<int:message_id>/raw")
def message_raw(message_id: int) -> Response:
    data, problem = load_payload(_message(message_id))
    if data is None:
        abort(404, description=problem)
    return Response(data, mimetype="application/octet-stream")


def _outcomes(outcomes: list[actions.Outcome]) -> list[dict[str, Any]]:
    return [{"message_id": o.message_id, "state": o.state, "error": o.error, "ok": o.ok} for o in outcomes]


@bp.route("/messages/<int:message_id>/<any(replay, resend):verb>", methods=["POST"])
@requires("operator")
def message_action(message_id: int, verb: str) -> Any:
    reason = _reason(_body())
    _message(message_id)
    fn = actions.replay if verb == "replay" else actions.resend
    outcomes = fn(runtime(), [message_id], actor=_actor(), reason=reason)
    return jsonify({"outcomes": _outcomes(outcomes)})


def _resolution(result: actions.Resolution) -> dict[str, Any]:
    return {
        "message_id": result.message_id,
        "state": result.state,
        "correction_id": result.correction_id,
        "correction_state": result.correction_state,
        "error": result.error,
    }


@bp.route("/messages/<int:message_id>/correct", methods=["POST"])
@requires("operator")
def message_correct(message_id: int) -> Any:
    """A corrected file for a failed message: multipart ``file`` and ``reason``."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(400, description="send the corrected file as multipart field 'file'")
    reason = _reason(dict(request.form))
    _message(message_id)
    try:
        name = secure_filename(upload.filename)
        result = actions.correct(runtime(), message_id, upload.read(), name, actor=_actor(), reason=reason)
    except actions.ResolveError as exc:
        abort(409, description=str(exc))
    return jsonify(_resolution(result))


@bp.route("/messages/<int:message_id>/reassign", methods=["POST"])
@requires("operator")
def message_reassign(message_id: int) -> Any:
    data = _body()
    reason = _reason(data)
    partner = data.get("partner")
    if not isinstance(partner, str) or partner not in runtime().partners.names():
        abort(400, description=f"unknown partner {partner!r}")
    _message(message_id)
    try:
        result = actions.reassign(runtime(), message_id, partner, actor=_actor(), reason=reason)
    except actions.ResolveError as exc:
        abort(409, description=str(exc))
    return jsonify(_resolution(result))


def _settle(message_id: int, outcome: str) -> Any:
    reason = _reason(_body())
    _message(message_id)
    try:
        result = actions.settle(runtime(), message_id, outcome, actor=_actor(), reason=reason)
    except actions.ResolveError as exc:
        abort(409, description=str(exc))
    return jsonify(_resolution(result))


@bp.route("/messages/<int:message_id>/resolve", methods=["POST"])
@requires("operator")
def message_resolve(message_id: int) -> Any:
    return _settle(message_id, "resolved")


@bp.route("/messages/<int:message_id>/ignore", methods=["POST"])
@requires("operator")
def message_ignore(message_id: int) -> Any:
    return _settle(message_id, "ignored")


@bp.route("/messages/<int:message_id>/suspect", methods=["POST"])
@requires("operator")
def message_suspect(message_id: int) -> Any:
    """Decide a suspect duplicate: ``{"decision": "new" | "duplicate", "reason": ...}``."""
    data = _body()
    reason = _reason(data)
    _message(message_id)
    decision = data.get("decision")
    if decision not in ("new", "duplicate"):
        abort(400, description="decision must be 'new' or 'duplicate'")
    try:
        result = actions.decide_suspect(runtime(), message_id, decision, actor=_actor(), reason=reason)
    except actions.NotSuspect as exc:
        abort(409, description=str(exc))
    return jsonify({"id": result.message_id, "state": result.state})


def _ship_notice(record_id: int) -> dict[str, Any]:
    db().expire_all()  # the action committed in its own session: read what it left
    record = db().get(ShipNoticeRecord, record_id)
    if record is None:
        abort(404, description=f"there is no ship notice {record_id}")
    return _notice_json(record)


def _notice_json(record: ShipNoticeRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "partner": record.partner,
        "shipment_id": record.shipment_id,
        "source_shipment_id": record.source_shipment_id,
        "po_numbers": list(record.po_numbers),
        "status": record.status,
        "reasons": list(record.reasons),
        "message_id": record.message_id,
        "labels": bool(record.labels_key),
    }


@bp.route("/ship-notices/<int:record_id>/<any(approve, cancel):verb>", methods=["POST"])
@requires("operator")
def ship_notice_action(record_id: int, verb: str) -> Any:
    """Approve (build again, queue if it passes) or cancel (``reason`` required) a blocked ship
    notice; audited. 409 with the reasons when it is not blocked or still fails."""
    data = _body()
    reason = _reason(data) if verb == "cancel" else ""
    _ship_notice(record_id)
    try:
        if verb == "approve":
            actions.approve_ship_notice(runtime(), record_id, _actor())
        else:
            actions.cancel_ship_notice(runtime(), record_id, _actor(), reason)
    except ValueError as exc:
        db().rollback()
        abort(409, description=str(exc))
    return jsonify(_ship_notice(record_id))


@bp.route("/replay", methods=["POST"])
@requires("operator")
def replay_many() -> Any:
    data = _body()
    reason = _reason(data)
    ids = data.get("ids")
    if (
        not isinstance(ids, list)
        or not ids
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
    ):
        abort(400, description="ids must be a non-empty list of message ids")
    if len(ids) > MAX_REPLAY_IDS:
        abort(400, description=f"at most {MAX_REPLAY_IDS} ids per call; use /api/bulk-replay for more")
    outcomes = actions.replay(runtime(), ids, actor=_actor(), reason=reason)
    return jsonify({"outcomes": _outcomes(outcomes)})


def _jobs() -> JobTable:
    return current_app.extensions["acorn.jobs"]


@bp.route("/bulk-replay", methods=["POST"])
@requires("operator")
def bulk_replay() -> Any:
    data = _body()
    reason = _reason(data)
    partner = data.get("partner") or None
    if partner is not None and partner not in runtime().partners.names():
        abort(400, description=f"unknown partner {partner!r}")
    since = data.get("since")
    try:
        since_at = parse_day(str(since)) if since else None
    except FilterError as exc:
        abort(400, description=str(exc))
    try:
        job = _jobs().start_bulk_replay(actor=_actor(), reason=reason, partner=partner, since=since_at)
    except JobBusy as exc:
        abort(409, description=str(exc))
    response = jsonify(job.as_dict())
    response.status_code = 202
    response.headers["Location"] = f"/api/jobs/{job.id}"
    return response


@bp.route("/jobs/<job_id>")
def job(job_id: str) -> Any:
    found = _jobs().get(job_id)
    if found is None:
        abort(404, description="no such job")
    return jsonify(found.as_dict())


@bp.route("/purchase-orders/<path:po_number>")
def purchase_order(po_number: str) -> Any:
    session = db()
    docs = documents_of_po(session, po_number)
    disc = [serialize.discrepancy(d) for d in discrepancies_of_po(session, po_number)]
    if not docs and not disc:
        abort(404, description=f"nothing is known about PO {po_number}")
    links = messages_by_document([i for i in docs if i is not None])
    return jsonify(
        {
            "po_number": po_number,
            "documents": [
                {
                    **serialize.document(d),
                    "messages": [
                        {"id": m.id, "role": r, "state": m.state} for m, r in links.get(d.id or 0, [])
                    ],
                }
                for d in sorted(docs.values(), key=lambda d: d.id or 0)
            ],
            "discrepancies": disc,
            "ship_notices": [_notice_json(n) for n in ship_notices_of(list(docs.values()))],
        }
    )


@bp.route("/documents/<int:document_id>")
def document(document_id: int) -> Any:
    found = db().get(Document, document_id)
    if found is None:
        abort(404, description=f"there is no document {document_id}")
    links = messages_by_document([document_id]).get(document_id, [])
    return jsonify(
        {**serialize.document(found, data=True), "messages": [{"id": m.id, "role": r} for m, r in links]}
    )


@bp.route("/discrepancies")
def discrepancies() -> Any:
    filters = (
        ("status", Discrepancy.status),
        ("partner", Discrepancy.partner),
        ("kind", Discrepancy.kind),
        ("po", Discrepancy.po_number),
    )
    rows = _page(select(Discrepancy), Discrepancy.id, filters)
    return jsonify({"items": [serialize.discrepancy(d) for d in rows]})


@bp.route("/invoices")
def invoices() -> Any:
    filters = (("status", Document.status), ("partner", Document.partner), ("po", Document.po_number))
    rows = _page(select(Document).where(Document.type == "invoice"), Document.id, filters)
    reasons = blocked_reasons([d.id for d in rows if d.id is not None])
    return jsonify(
        {"items": [{**serialize.document(d), "blocked_reasons": reasons.get(d.id, [])} for d in rows]}
    )


@bp.route("/partners")
def partners() -> Any:
    statuses = [serialize.mailbox_status(s) for s in overview.mailboxes(db())]
    out = []
    for profile in runtime().partners:
        out.append(
            {
                "name": profile.name,
                "description": profile.description,
                "standard": profile.standard,
                "version": profile.version,
                "mailboxes": [
                    {
                        "name": b.name,
                        "type": b.type,
                        "interval": b.interval or runtime().settings.scheduler.poll_interval_seconds,
                        "enabled": b.enabled,
                        "status": next(
                            (s for s in statuses if s["partner"] == profile.name and s["mailbox"] == b.name),
                            None,
                        ),
                    }
                    for b in profile.mailboxes
                ],
                "mapping_overlays": list(profile.mappings),
            }
        )
    return jsonify({"items": out})


@bp.route("/audit")
def audit() -> Any:
    filters = (
        ("actor", AuditEntry.actor),
        ("action", AuditEntry.action),
        ("target_type", AuditEntry.target_type),
        ("target_id", AuditEntry.target_id),
    )
    rows = _page(select(AuditEntry), AuditEntry.id, filters)
    return jsonify({"items": [serialize.audit(a) for a in rows]})


@bp.route("/dashboard")
def dashboard() -> Any:
    session = db()
    act = overview.activity(session, overview.known_partners(session, runtime().partners.names()))

    def tally(t: overview.Tally) -> dict[str, Any]:
        return {
            "total": t.total,
            "by_state": dict(t.by_state),
            "by_partner": dict(t.by_partner),
            "by_type": dict(t.by_type),
        }

    _, open_count = overview.open_discrepancies(session, limit=0)
    return jsonify(
        {
            "last_day": tally(act.day),
            "last_week": tally(act.week),
            "mailboxes": [serialize.mailbox_status(s) for s in overview.mailboxes(session)],
            "open_discrepancies": open_count,
        }
    )


@bp.route("/openapi.json")
def openapi_json() -> Any:
    return jsonify(openapi_document())


@bp.route("/openapi.yaml")
def openapi_yaml() -> Response:
    return Response(yaml.safe_dump(openapi_document(), sort_keys=False), mimetype="application/yaml")
