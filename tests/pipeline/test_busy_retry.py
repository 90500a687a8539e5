"""A busy SQLite database costs a message a moment, not a minute (issue 16, found by the crash test).

SQLite refuses at once, whatever the busy timeout, when a transaction that has read wants to
write after another connection committed (``SQLITE_BUSY_SNAPSHOT``). A hook that reads, lets
another connection commit, then writes meets exactly that. The run starts over from what is
committed: the message ends done in the same call, its PO stored once.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import text
from sqlmodel import Session, select

from gateway.service import pipeline
from gateway.service.hooks import STORED_HOOKS, Hook
from gateway.service.pipeline import run
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, Message
from tests.pipeline.conftest import make_home, numbered_po


def test_a_snapshot_conflict_starts_the_run_over_at_once(tmp_path: Path) -> None:
    runtime = Runtime.open(make_home(tmp_path / "gw"))
    try:
        receipt = pipeline.receive(runtime, numbered_po(7201), filename="po.edi", partner="amazon-us")
        calls: list[int] = []

        def interleaved(session: Session, rt: Runtime, rows: Sequence[Document]) -> list[str]:
            calls.append(len(rows))
            session.execute(text("SELECT count(*) FROM messages")).one()  # a read snapshot
            if len(calls) == 1:  # another connection commits between our read and our write
                with rt.engine.connect() as other:
                    other.execute(text("CREATE TABLE IF NOT EXISTS busy_probe (x INTEGER)"))
                    other.commit()
            session.execute(text("UPDATE messages SET attempts = attempts WHERE id = -1"))
            return []

        summary = run.process(
            runtime, receipt.message_id, hooks=(Hook("interleaved", interleaved), *STORED_HOOKS)
        )
        assert summary.state == "done", summary
        assert len(calls) == 2  # the first run met the conflict, the second went through
        with session_scope(runtime.engine) as session:
            pos = session.exec(select(Document).where(Document.type == "purchase_order")).all()
            assert [d.business_key for d in pos] == ["P0007201"]
            message = session.get(Message, receipt.message_id)
            assert message is not None and message.lease_owner is None
    finally:
        runtime.close()
