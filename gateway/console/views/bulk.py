"""Bulk replay: every failed message of a partner, after a mapping fix, with a progress page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for

from gateway.console.auth import requires
from gateway.console.context import current_user, db, runtime
from gateway.console.jobs import JobBusy, JobTable
from gateway.console.queries import FilterError, MessageFilter, list_messages, parse_day

bp = Blueprint("bulk", __name__)

REASON_MAX = 500


def jobs() -> JobTable:
    return current_app.extensions["acorn.jobs"]


@bp.route("/bulk-replay")
def form() -> Any:
    partner = request.args.get("partner") or None
    preview = list_messages(db(), MessageFilter(state="failed", partner=partner), limit=20)
    return render_template(
        "bulk.html",
        partner=partner,
        partners=runtime().partners.names(),
        preview=preview,
        jobs=jobs().all(),
    )


@bp.route("/bulk-replay", methods=["POST"])
@requires("operator")
def start() -> Any:
    user = current_user()
    assert user is not None
    partner = request.form.get("partner", "").strip() or None
    if partner is not None and partner not in runtime().partners.names():
        abort(400, description=f"unknown partner {partner!r}")
    if request.form.get("action") == "preview":
        return redirect(url_for("bulk.form", partner=partner or ""))
    reason = request.form.get("reason", "").strip()[:REASON_MAX]
    if not reason:
        abort(400, description="a reason is required")
    since_text = request.form.get("since", "").strip()
    try:
        since = parse_day(since_text) if since_text else None
    except FilterError as exc:
        abort(400, description=str(exc))
    try:
        job = jobs().start_bulk_replay(actor=user.username, reason=reason, partner=partner, since=since)
    except JobBusy as exc:
        flash(str(exc), "error")
        return redirect(url_for("bulk.form", partner=partner or ""))
    return redirect(url_for("bulk.job", job_id=job.id))


@bp.route("/jobs/<job_id>")
def job(job_id: str) -> Any:
    found = jobs().get(job_id)
    if found is None:
        abort(404, description="no such bulk replay")
    return render_template("job.html", job=found)
