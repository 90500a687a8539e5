"""The dashboard: activity by state, partner and document type; mailbox health; what needs a look;
charts of messages and money over the last 30 days (the rest are on ``/business``)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template

from gateway.console import charts, overview
from gateway.console.context import db, runtime
from gateway.console.queries import MessageFilter, list_messages
from gateway.settlement import reminders
from gateway.store.models import MessageState, utcnow

bp = Blueprint("dashboard", __name__)


@bp.route("/")
def index() -> Any:
    session = db()
    partners = overview.known_partners(session, runtime().partners.names())
    failed = list_messages(session, MessageFilter(state="failed"), limit=10)
    held = list_messages(session, MessageFilter(state=MessageState.SUSPECT_DUPLICATE.value), limit=10)
    discrepancies, open_count = overview.open_discrepancies(session)
    return render_template(
        "dashboard.html",
        activity=overview.activity(session, partners),
        mailboxes=overview.mailboxes(session),
        failed=failed,
        held=held,
        discrepancies=discrepancies,
        open_count=open_count,
        count_cap=overview.COUNT_CAP,
        reminders=reminders.listed(session, utcnow().date()),
        charts=[(name, charts.table(session, name)) for name in charts.DASHBOARD],
    )
