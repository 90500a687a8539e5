"""Messages: the filtered list, one message in full, its raw bytes, replay and resend."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from sqlmodel import col, select

from gateway.canonical.sniff import is_xml
from gateway.console import actions, overview
from gateway.console.auth import requires
from gateway.console.context import current_user, db, int_arg, runtime
from gateway.console.csv_export import attribute_rows, csv_response, wants_csv
from gateway.console.paging import EXPORT_BATCH, EXPORT_CAP
from gateway.console.queries import (
    DIRECTIONS,
    STATES,
    FilterError,
    MessageFilter,
    list_messages,
    related_messages,
)
from gateway.console.rawview import raw_lines
from gateway.console.suspectdiff import DiffLine, interchange_diff
from gateway.edi import EdiError, parse
from gateway.store.archive import ArchiveCorrupted
from gateway.store.models import (
    Document,
    DocumentMessage,
    InterchangeSeen,
    Message,
    MessageEvent,
    MessageState,
)

log = logging.getLogger(__name__)

bp = Blueprint("messages", __name__)

REASON_MAX = 500
CSV_COLUMNS = (
    "id", "created_at", "direction", "partner", "mailbox", "filename", "document_types",
    "interchange_control", "state", "error_code", "error_message",
)  # fmt: skip


def every_message(flt: MessageFilter) -> Iterator[Message]:
    """Every message of the filter, newest first, through the list's own keyset pages."""
    before: int | None = None
    sent = 0
    while sent < EXPORT_CAP:
        page = list_messages(db(), flt, before=before, limit=EXPORT_BATCH, archive=runtime().archive)
        yield from page.items
        sent += len(page.items)
        if page.older is None:
            return
        before = page.older


@bp.route("/messages")
def index() -> Any:
    session = db()
    error = None
    try:
        flt = MessageFilter.from_args(request.args)
    except FilterError as exc:
        error, flt = str(exc), MessageFilter()
    if wants_csv() and error is None:
        return csv_response("messages.csv", CSV_COLUMNS, attribute_rows(every_message(flt), CSV_COLUMNS))
    page = list_messages(
        session, flt, before=int_arg("before"), after=int_arg("after"), archive=runtime().archive
    )
    return render_template(
        "messages.html",
        page=page,
        flt=flt,
        args=flt.as_args(),
        error=error,
        states=STATES,
        directions=DIRECTIONS,
        partners=overview.known_partners(session, runtime().partners.names()),
    ), (400 if error else 200)


def _message_or_404(message_id: int) -> Message:
    message = db().get(Message, message_id)
    if message is None:
        abort(404, description=f"there is no message {message_id}")
    return message


def load_payload(message: Message) -> tuple[bytes | None, str | None]:
    """The archived bytes, or ``None`` and why they cannot be shown."""
    try:
        return runtime().archive.read(message.sha256), None
    except FileNotFoundError:
        return None, "the archived payload is missing (pruned by retention?)"
    except ArchiveCorrupted:
        return None, "the archived payload no longer matches its sha256"
    except (OSError, ValueError) as exc:
        return None, f"the archived payload cannot be read: {type(exc).__name__}"


def envelope_summary(data: bytes) -> tuple[dict[str, Any] | None, str | None]:
    try:
        return parse(data).summary(), None
    except EdiError as exc:
        return None, str(exc)


def message_documents(message_id: int) -> list[tuple[Document, str]]:
    session = db()
    rows = session.exec(
        select(Document, DocumentMessage.role)
        .join(DocumentMessage, col(DocumentMessage.document_id) == Document.id)
        .where(DocumentMessage.message_id == message_id)
        .order_by(col(Document.id))
    ).all()
    return [(doc, role) for doc, role in rows]


@bp.route("/messages/<int:message_id>")
def detail(message_id: int) -> Any:
    session = db()
    message = _message_or_404(message_id)
    data, payload_error = load_payload(message)
    raw = raw_lines(data) if data is not None else None
    # canonical XML has no envelope, and its errors are placed by line, not by segment
    xml = data is not None and is_xml(data)
    envelope, envelope_error = envelope_summary(data) if data is not None and not xml else (None, None)
    events = list(
        session.exec(
            select(MessageEvent).where(MessageEvent.message_id == message_id).order_by(col(MessageEvent.id))
        )
    )
    position = message.error_position or {}
    suspect = _suspect_diff(message, data)
    return render_template(
        "message.html",
        message=message,
        raw=raw,
        payload_error=payload_error,
        envelope=envelope,
        envelope_error=envelope_error,
        events=events,
        documents=message_documents(message_id),
        related=related_messages(session, message),
        corrections=list(session.exec(select(Message).where(Message.corrects_id == message_id))),
        partners=runtime().partners.names(),
        failing_segment=position.get("line") if xml else position.get("segment"),
        position=position,
        suspect=suspect,
    )


def _suspect_diff(message: Message, data: bytes | None) -> tuple[int, list[DiffLine]] | None:
    """For a message held as ``suspect_duplicate``: the earlier message and, for each suspect
    interchange, the diff of that interchange against the earlier one it resembles."""
    if message.state != MessageState.SUSPECT_DUPLICATE.value or data is None:
        return None
    suspects = [
        o
        for o in message.interchanges or []
        if o.get("outcome") == MessageState.SUSPECT_DUPLICATE.value and o.get("duplicate_of")
    ]
    payloads: dict[int, bytes | None] = {}
    lines: list[DiffLine] = []
    first: int | None = None
    for entry in suspects:
        earlier = db().get(Message, int(entry["duplicate_of"]))
        if earlier is None:
            continue
        earlier_id = int(earlier.id or 0)
        if earlier_id not in payloads:
            payloads[earlier_id] = load_payload(earlier)[0]
        earlier_data = payloads[earlier_id]
        if earlier_data is None:
            continue
        first = earlier_id if first is None else first
        place = entry.get("duplicate_of_interchange") or _earlier_place(earlier_id, entry)
        lines += interchange_diff(
            earlier_data,
            place,
            data,
            entry.get("interchange"),
            f"message {earlier_id}",
            f"message {message.id}",
        )
    return (first, lines) if first is not None else None


def _earlier_place(earlier_id: int, entry: dict[str, Any]) -> int | None:
    """The place of the earlier interchange of ``entry``'s identity (outcomes written before
    ``duplicate_of_interchange`` was recorded), ``None`` when not known."""
    seen = (
        db()
        .exec(
            select(InterchangeSeen.position).where(
                InterchangeSeen.message_id == earlier_id,
                InterchangeSeen.sender_id == entry.get("sender_id"),
                InterchangeSeen.receiver_id == entry.get("receiver_id"),
                InterchangeSeen.control == entry.get("control"),
            )
        )
        .first()
    )
    return int(seen) if seen is not None else None


@bp.route("/messages/<int:message_id>/raw")
def raw(message_id: int) -> Response:
    """The archived bytes as a download (never rendered by the browser)."""
    message = _message_or_404(message_id)
    data, payload_error = load_payload(message)
    if data is None:
        abort(404, description=payload_error)
    name = f"message-{message.id}.edi"
    return Response(
        data,
        mimetype="application/octet-stream",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _reason() -> str:
    reason = request.form.get("reason", "").strip()
    if not reason:
        abort(400, description="a reason is required")
    return reason[:REASON_MAX]


def _run(action: str, message_id: int) -> Any:
    user = current_user()
    assert user is not None
    _message_or_404(message_id)
    reason = _reason()
    fn = actions.replay if action == "replay" else actions.resend
    outcomes = fn(runtime(), [message_id], actor=user.username, reason=reason)
    for outcome in outcomes:
        if outcome.ok:
            flash(f"Message {outcome.message_id}: {action} done, now {outcome.state}.", "info")
        else:
            flash(
                f"Message {outcome.message_id}: {action} ended {outcome.state}: {outcome.error or ''}",
                "error",
            )
    return redirect(url_for("messages.detail", message_id=message_id))


@bp.route("/messages/<int:message_id>/replay", methods=["POST"])
@requires("operator")
def replay(message_id: int) -> Any:
    return _run("replay", message_id)


@bp.route("/messages/<int:message_id>/resend", methods=["POST"])
@requires("operator")
def resend(message_id: int) -> Any:
    return _run("resend", message_id)
