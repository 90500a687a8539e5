"""The dashboard: activity by state, partner and document type; mailbox health; what needs a look."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from gateway.console import overview
from gateway.console.context import db, runtime
from gateway.console.queries import MessageFilter, list_messages

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def index() -> Any:
    session = db()
    partners = overview.known_partners(session, runtime().partners.names())
    failed = list_messages(session, MessageFilter(state="failed"), limit=10)
    discrepancies, open_count = overview.open_discrepancies(session)
    return render_template(
        "dashboard.html",
        activity=overview.activity(session, partners),
        mailboxes=overview.mailboxes(session),
        failed=failed,
        discrepancies=discrepancies,
        open_count=open_count,
        count_cap=overview.COUNT_CAP,
    )
