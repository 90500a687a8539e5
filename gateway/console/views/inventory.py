"""The inventory feeds we sent or blocked (846 / INVRPT): their state, reasons, approve and cancel.

A thin list over ``inventory_feeds`` (:class:`~gateway.store.models.InventoryFeedRecord`), paged
like the other lists (:mod:`gateway.console.paging`), with the outbound message each one went as.
Approve and cancel belong to :mod:`gateway.inventory.review`; this module only calls them through
:mod:`gateway.console.actions`, like the invoices' and the acknowledgements' actions.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlmodel import col, select

from gateway.console import actions
from gateway.console.auth import requires
from gateway.console.context import current_user, db, runtime
from gateway.console.csv_export import attribute_rows, csv_response, wants_csv
from gateway.console.paging import every_row, keyset, query_args, where_equal
from gateway.console.views.money import action_reason, describe_reason
from gateway.store.models import InventoryFeedRecord, Message

bp = Blueprint("inventory", __name__)

STATES = ("queued", "blocked", "cancelled")
FILTERS = {"status": InventoryFeedRecord.status, "partner": InventoryFeedRecord.partner}
CSV = ("id", "created_at", "partner", "slot", "feed_id", "status", "message_id")


@bp.route("/inventory-feeds")
def index() -> Any:
    args = query_args(list(FILTERS))
    query = where_equal(select(InventoryFeedRecord), FILTERS, args)
    if wants_csv():
        rows = every_row(db(), query, InventoryFeedRecord.id)
        return csv_response("inventory_feeds.csv", CSV, attribute_rows(rows, CSV))
    listing = keyset(db(), query, InventoryFeedRecord.id)
    ids = [r.message_id for r in listing.rows if r.message_id]
    sent = db().exec(select(Message).where(col(Message.id).in_(ids))).all() if ids else []
    return render_template(
        "inventory_feeds.html",
        listing=listing,
        rows=listing.rows,
        messages={m.id: m for m in sent},
        describe=describe_reason,
        args={k: v for k, v in args.items() if v},
        states=STATES,
    )


@bp.route("/inventory-feeds/<int:record_id>/<any(approve, cancel):verb>", methods=["POST"])
@requires("operator")
def action(record_id: int, verb: str) -> Any:
    """Approve (build again and queue if it passes) or cancel (with a reason) a blocked feed; audited."""
    user = current_user()
    assert user is not None
    if db().get(InventoryFeedRecord, record_id) is None:
        abort(404, description=f"there is no inventory feed {record_id}")
    note = action_reason(verb)
    try:
        if verb == "approve":
            actions.approve_inventory_feed(runtime(), record_id, user.username)
        else:
            actions.cancel_inventory_feed(runtime(), record_id, user.username, note)
    except ValueError as exc:  # not blocked, still failing: the owner's readable reason
        db().rollback()
        flash(f"Inventory feed {record_id}: {exc}", "error")
    else:
        flash(f"Inventory feed {record_id}: {verb} done.", "info")
    return redirect(url_for("inventory.index"))
