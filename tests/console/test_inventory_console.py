"""The console's inventory feeds (issue 17): the 846s / INVRPTs sent and blocked, with their state and
reasons, linked from the nav and paged; an operator approves (queued once it passes) or cancels a
blocked one, audited; a viewer only looks."""

from __future__ import annotations

from sqlmodel import col, select

from gateway.inventory.send import send_inventory_feed
from gateway.service import pipeline
from gateway.store import session_scope
from gateway.store.models import AuditEntry, InventoryFeedRecord, Message
from tests.console.conftest import login_as, post_form

PAGE = "/inventory-feeds"
NO_CURRENCY = b"asin,quantity_available,cost\nB07XJ8C8F5,1,4.75\n"
GOOD = b"asin,vendor_sku,quantity_available,cost,currency\nB07XJ8C8F5,SKU-1,120,4.75,USD\n"


def _blocked(runtime) -> InventoryFeedRecord:
    """A feed without a currency: the 846 built from it is blocked with ``currency_missing``."""
    assert (
        pipeline.ingest(runtime, NO_CURRENCY, "stock.csv", partner="warehouse", mailbox="local").state
        == "done"
    )
    with session_scope(runtime.engine) as session:
        outcome = send_inventory_feed(
            session, runtime.partners, runtime.mappings, runtime.archive, "amazon-us"
        )
        assert outcome.record.status == "blocked"
        return outcome.record


def _record(runtime, record_id: int) -> InventoryFeedRecord:
    with session_scope(runtime.engine) as session:
        return session.get(InventoryFeedRecord, record_id)


def _audit(runtime) -> list[str]:
    with session_scope(runtime.engine) as session:
        return [a.action for a in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()]


def test_the_list_shows_state_and_reasons_and_is_in_the_nav(client, runtime, accounts) -> None:
    record = _blocked(runtime)
    login_as(client, runtime, "viewer")
    home = client.get("/").get_data(as_text=True)
    assert f'href="{PAGE}"' in home
    page = client.get(PAGE).get_data(as_text=True)
    assert "amazon-us" in page and record.slot in page and "blocked" in page
    assert "currency_missing: item B07XJ8C8F5: cost 4.75 without a currency" in page
    assert "approve</button>" not in page  # a viewer has no actions
    assert "No inventory feeds." in client.get(f"{PAGE}?status=queued").get_data(as_text=True)
    csv = client.get(f"{PAGE}?format=csv").get_data(as_text=True)
    assert csv.splitlines()[0].startswith("id,created_at,partner,slot") and "blocked" in csv


def test_an_operator_approves_once_the_cause_is_fixed(client, runtime, accounts) -> None:
    record = _blocked(runtime)
    login_as(client, runtime, "operator")
    assert "approve</button>" in client.get(PAGE).get_data(as_text=True)
    refused = post_form(client, f"{PAGE}/{record.id}/approve", {}, token_from=PAGE, follow_redirects=True)
    assert "still fails: currency_missing" in refused.get_data(as_text=True)
    assert _record(runtime, record.id).status == "blocked"
    pipeline.ingest(runtime, GOOD, "stock2.csv", partner="warehouse", mailbox="local")  # the fix
    response = post_form(client, f"{PAGE}/{record.id}/approve", {}, token_from=PAGE)
    assert response.status_code == 302
    after = _record(runtime, record.id)
    assert (after.status, after.feed_id, after.reasons) == ("queued", "stock2", [])
    with session_scope(runtime.engine) as session:
        message = session.get(Message, after.message_id)
        assert message.state == "queued" and "_846_" in message.filename
    assert _audit(runtime)[-1] == "inventory_feed.approved"
    assert "inventory_feed.approve_refused" in _audit(runtime)
    again = post_form(client, f"{PAGE}/{record.id}/cancel", {"reason": "late"}, token_from=PAGE)
    assert again.status_code == 302 and _record(runtime, record.id).status == "queued"  # not blocked


def test_an_operator_cancels_with_a_reason_and_a_viewer_cannot(client, runtime, accounts) -> None:
    record = _blocked(runtime)
    login_as(client, runtime, "operator")
    assert post_form(client, f"{PAGE}/{record.id}/cancel", {}, token_from=PAGE).status_code == 400
    assert (
        post_form(client, f"{PAGE}/{record.id}/cancel", {"reason": "wrong feed"}, token_from=PAGE).status_code
        == 302
    )
    assert _record(runtime, record.id).status == "cancelled"
    with session_scope(runtime.engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "inventory_feed.cancelled")).one()
        assert (entry.actor, entry.reason, entry.target_id) == ("operator", "wrong feed", str(record.id))
    with session_scope(runtime.engine) as session:  # the schedule leaves a cancelled slot alone
        outcome = send_inventory_feed(
            session, runtime.partners, runtime.mappings, runtime.archive, "amazon-us", slot=record.slot
        )
        assert outcome.already and outcome.record.status == "cancelled"
    login_as(client, runtime, "viewer")
    assert post_form(client, f"{PAGE}/{record.id}/approve", {}, token_from=PAGE).status_code == 403
    assert post_form(client, f"{PAGE}/999999/approve", {}, token_from=PAGE).status_code in (403, 404)


def test_the_list_is_paged(client, runtime, accounts) -> None:
    with session_scope(runtime.engine) as session:
        for n in range(55):
            session.add(InventoryFeedRecord(partner="amazon-us", slot=f"2026-01-{n:02d}", status="queued"))
    login_as(client, runtime, "viewer")
    first = client.get(PAGE).get_data(as_text=True)
    assert "55 inventory feeds" in first and "2026-01-54" in first and "2026-01-04" not in first
    assert 'rel="next"' in first
    older = client.get(f"{PAGE}?before=6").get_data(as_text=True)
    assert "2026-01-04" in older and "2026-01-54" not in older
