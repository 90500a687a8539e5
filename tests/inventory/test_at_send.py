"""Issue 17: the 846 is re-checked at the moment it is sent, like the invoice and the 855.

A queued 846 whose availability feed has since been replaced by a newer one, or that now fails
its pre-check, goes back to ``blocked`` with its reasons (audited) and is not sent; the next run
of its slot sends the newer feed.
"""

from __future__ import annotations

from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from gateway.invoicing.at_send import prepare_for_send
from gateway.service import mailboxes, pipeline
from gateway.service.money import AT_SEND_CHECKS, run_inventory_feeds
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import AuditEntry, InventoryFeedRecord, Message
from tests.conftest import BACKENDS, pg_schema
from tests.inventory.test_send import FEED
from tests.pipeline.conftest import make_home

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture(params=BACKENDS)
def runtime(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The shipped profiles on a real SQLite file, and on PostgreSQL when it is there."""
    with ExitStack() as stack:
        url = None if request.param == "sqlite" else stack.enter_context(pg_schema("inv"))
        config = make_home(tmp_path / "gw", url)
        monkeypatch.chdir(config.parent)  # the local mailboxes' relative folders
        rt = Runtime.open(config)
        stack.callback(rt.close)
        yield rt


def _feed(runtime: Runtime, data: bytes, name: str) -> None:
    assert pipeline.ingest(runtime, data, name, partner="warehouse", mailbox="local").state == "done"


def _state(runtime: Runtime) -> list[tuple[str | None, str, list[str], str | None]]:
    with session_scope(runtime.engine) as session:
        rows = session.exec(select(InventoryFeedRecord).order_by(InventoryFeedRecord.id)).all()
        out = []
        for r in rows:
            message = session.get(Message, r.message_id) if r.message_id else None
            out.append((r.feed_id, r.status, [x["code"] for x in r.reasons], message and message.state))
        return out


def test_a_queued_846_whose_feed_was_replaced_is_held_and_the_newer_one_goes(runtime: Runtime) -> None:
    _feed(runtime, FEED, "stock.csv")
    assert len(run_inventory_feeds(runtime, now=NOW)) == 1
    _feed(runtime, FEED.replace(b"120", b"80"), "stock2.csv")  # a newer feed before the send
    summary = mailboxes.send_due(runtime)
    assert (summary.sent, summary.blocked) == (0, 1)
    assert _state(runtime) == [("stock", "blocked", ["feed_superseded"], "blocked")]
    with session_scope(runtime.engine) as session:
        audit = session.exec(
            select(AuditEntry).where(AuditEntry.action == "inventory_feed.blocked_at_send")
        ).one()
        assert "replaced by stock2" in (audit.reason or "")
    assert len(run_inventory_feeds(runtime, now=NOW + timedelta(minutes=5))) == 1  # same slot, again
    assert mailboxes.send_due(runtime).sent == 1
    assert _state(runtime) == [("stock2", "queued", [], "sent")]
    with session_scope(runtime.engine) as session:  # the held message is replaced, not left blocked
        held = session.exec(select(Message).where(Message.state == "cancelled")).one()
        assert "availability" in held.document_types


def test_a_queued_846_that_is_now_stale_is_held(runtime: Runtime) -> None:
    """Queued with a fresh feed, sent 49 hours later (``max_age_hours`` 48): ``feed_stale``."""
    _feed(runtime, FEED, "stock.csv")
    assert len(run_inventory_feeds(runtime, now=NOW)) == 1
    with session_scope(runtime.engine) as session:
        (record,) = session.exec(select(InventoryFeedRecord)).all()
        check = prepare_for_send(
            session,
            runtime.partners,
            runtime.mappings,
            runtime.archive,
            int(record.message_id or 0),
            now=datetime.now(UTC) + timedelta(hours=49),
            record_checks=AT_SEND_CHECKS,
        )
        assert [r.code for r in check.reasons] == ["feed_stale"]
    assert _state(runtime) == [("stock", "blocked", ["feed_stale"], "blocked")]


def test_a_queued_846_still_right_is_sent(runtime: Runtime) -> None:
    _feed(runtime, FEED, "stock.csv")
    assert len(run_inventory_feeds(runtime, now=NOW)) == 1
    assert mailboxes.send_due(runtime).sent == 1
    assert _state(runtime) == [("stock", "queued", [], "sent")]
