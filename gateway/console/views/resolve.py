"""Ways out of a failure a replay cannot fix: upload a corrected file, reassign, resolve or ignore.

Each is a POST form on the message page (operator role, CSRF token, a mandatory reason); the work
is :mod:`gateway.service.pipeline.resolve`'s, which audits it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, request, url_for
from werkzeug.utils import secure_filename

from gateway.console import actions
from gateway.console.auth import requires
from gateway.console.context import current_user, runtime

bp = Blueprint("resolve", __name__)


def _actor() -> str:
    user = current_user()
    assert user is not None
    return user.username


def _done(message_id: int, result: actions.Resolution | None, error: str | None = None) -> Any:
    if error is not None:
        flash(f"Message {message_id}: {error}", "error")
    elif result is not None and result.correction_id is not None:
        level = "error" if result.correction_state == "failed" else "info"
        flash(
            f"Message {message_id} resolved by the corrected file, message {result.correction_id} "
            f"(now {result.correction_state}){': ' + result.error if result.error else ''}.",
            level,
        )
        return redirect(url_for("messages.detail", message_id=result.correction_id))
    elif result is not None:
        level = "error" if result.state == "failed" else "info"
        detail = f": {result.error}" if result.error else ""
        flash(f"Message {message_id}: now {result.state}{detail}.", level)
    return redirect(url_for("messages.detail", message_id=message_id))


@bp.route("/messages/<int:message_id>/correct", methods=["POST"])
@requires("operator")
def correct(message_id: int) -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        abort(400, description="choose the corrected file to upload")
    data = upload.read()
    name = secure_filename(upload.filename) or f"correction-of-{message_id}"
    try:
        result = actions.correct(
            runtime(), message_id, data, name, actor=_actor(), reason=request.form.get("reason", "")
        )
    except actions.ResolveError as exc:
        return _done(message_id, None, str(exc))
    return _done(message_id, result)


@bp.route("/messages/<int:message_id>/reassign", methods=["POST"])
@requires("operator")
def reassign(message_id: int) -> Any:
    try:
        result = actions.reassign(
            runtime(),
            message_id,
            request.form.get("partner", "").strip(),
            actor=_actor(),
            reason=request.form.get("reason", ""),
        )
    except actions.ResolveError as exc:
        return _done(message_id, None, str(exc))
    return _done(message_id, result)


@bp.route("/messages/<int:message_id>/settle", methods=["POST"])
@requires("operator")
def settle(message_id: int) -> Any:
    try:
        result = actions.settle(
            runtime(),
            message_id,
            request.form.get("outcome", ""),
            actor=_actor(),
            reason=request.form.get("reason", ""),
        )
    except actions.ResolveError as exc:
        return _done(message_id, None, str(exc))
    return _done(message_id, result)


@bp.route("/messages/<int:message_id>/suspect", methods=["POST"])
@requires("operator")
def suspect(message_id: int) -> Any:
    """A message held as ``suspect_duplicate``: ``decision`` ``new`` or ``duplicate``, with a reason."""
    try:
        result = actions.decide_suspect(
            runtime(),
            message_id,
            "new" if request.form.get("decision") == "new" else "duplicate",
            actor=_actor(),
            reason=request.form.get("reason", ""),
        )
    except actions.NotSuspect as exc:
        return _done(message_id, None, str(exc))
    flash(f"Message {message_id}: now {result.state}.", "info")
    return redirect(url_for("messages.detail", message_id=message_id))
