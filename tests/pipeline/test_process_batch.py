"""Processing small messages a batch at a time (issue 16 item 1): one transaction and one commit for
the batch, a savepoint a message. A failure (bad input or a bug) undoes only its own message; a
crash before the commit leaves every message ``received`` and free, and the next run does each once;
a database that refuses the batch has its messages run one by one."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from gateway.service import pipeline
from gateway.service.hooks import STORED_HOOKS, Hook
from gateway.service.pipeline import batch, run
from gateway.service.pipeline.context import Context, Step
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, Message
from tests.pipeline.conftest import numbered_po, sample


class Crash(BaseException):
    """The process dies here."""


def _receive(runtime: Runtime, files: Sequence[tuple[str, bytes]]) -> list[int]:
    return [
        pipeline.receive(runtime, data, filename=name, partner="amazon-us").message_id for name, data in files
    ]


def _rows(runtime: Runtime, ids: Sequence[int]) -> list[Message]:
    with session_scope(runtime.engine) as session:
        return [m for i in ids if (m := session.get(Message, i)) is not None]


def _po_keys(runtime: Runtime) -> list[str]:
    with session_scope(runtime.engine) as session:
        rows = session.exec(select(Document).where(Document.type == "purchase_order")).all()
        return sorted(d.business_key for d in rows)


@pytest.fixture
def commits(runtime: Runtime) -> Iterator[list[int]]:
    counted: list[int] = []
    listener = lambda *_a: counted.append(1)  # noqa: E731
    event.listen(runtime.engine, "commit", listener)
    yield counted
    event.remove(runtime.engine, "commit", listener)


def test_a_batch_is_one_commit_and_a_bad_file_fails_alone(runtime: Runtime, commits: list[int]) -> None:
    ids = _receive(
        runtime,
        [
            ("a.edi", numbered_po(8101)),
            ("bad.edi", sample("bad_x12_850_se_count.edi")),
            ("b.edi", numbered_po(8102)),
        ],
    )
    commits.clear()
    summaries = batch.process_batch(runtime)
    assert len(commits) == 1
    assert [s.message_id for s in summaries] == ids
    assert [s.state for s in summaries] == ["done", "failed", "done"]
    good, bad, other = _rows(runtime, ids)
    assert good.state == other.state == "done" and bad.state == "failed"
    assert bad.error_code == "X12_SE_COUNT_MISMATCH"
    assert all(m.lease_owner is None for m in (good, bad, other))
    assert _po_keys(runtime) == ["P0008101", "P0008102"]
    assert batch.process_batch(runtime) == []  # nothing left to take


def test_a_bug_in_one_message_rolls_back_only_that_message(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = _receive(
        runtime, [("a.edi", numbered_po(8201)), ("b.edi", numbered_po(8202)), ("c.edi", numbered_po(8203))]
    )
    real = run.STAGES[Step.TRANSLATE]

    def translate(session: Session, message: Message, context: Context) -> Step | None:
        if message.id == ids[1]:
            raise ZeroDivisionError("a bug")
        return real(session, message, context)

    monkeypatch.setitem(run.STAGES, Step.TRANSLATE, translate)
    summaries = batch.process_batch(runtime)
    assert [s.state for s in summaries] == ["done", "failed", "done"]
    first, middle, _last = _rows(runtime, ids)
    assert middle.error_code == "INTERNAL_ERROR" and "a bug" in (middle.error_message or "")
    # each interchange's outcome is settled in the batch, the failed message's too
    assert [e["outcome"] for e in first.interchanges or []] == ["stored"]
    assert [e["outcome"] for e in middle.interchanges or []] == ["failed"]
    assert _po_keys(runtime) == ["P0008201", "P0008203"]


def test_a_crash_before_the_commit_leaves_every_message_received_and_free(runtime: Runtime) -> None:
    ids = _receive(runtime, [("a.edi", numbered_po(8301)), ("b.edi", numbered_po(8302))])

    def crash_on_second(session: Session, rt: Runtime, rows: Sequence[Document]) -> list[str]:
        if any(d.business_key == "P0008302" for d in rows):
            raise Crash
        return []

    with pytest.raises(Crash):
        batch.process_batch(runtime, hooks=(Hook("crash", crash_on_second), *STORED_HOOKS))
    rows = _rows(runtime, ids)
    assert [m.state for m in rows] == ["received", "received"]
    assert all(m.lease_owner is None and m.lease_until is None for m in rows)
    assert _po_keys(runtime) == []  # the first message's work went back with the batch
    assert [s.state for s in pipeline.drain(runtime)] == ["done", "done"]
    assert _po_keys(runtime) == ["P0008301", "P0008302"]


def test_a_batch_the_database_refuses_is_run_one_by_one(runtime: Runtime) -> None:
    ids = _receive(runtime, [("a.edi", numbered_po(8401)), ("b.edi", numbered_po(8402))])
    calls: list[int] = []

    def refuse_once(session: Session, rt: Runtime, rows: Sequence[Document]) -> list[str]:
        calls.append(len(rows))
        if len(calls) == 1:
            raise OperationalError("UPDATE documents", {}, Exception("database is locked"))
        return []

    summaries = batch.process_batch(runtime, hooks=(Hook("refuse", refuse_once), *STORED_HOOKS))
    assert [s.state for s in summaries] == ["done", "done"]
    assert len(calls) == 3  # the batch's first message, then each message alone
    assert [m.state for m in _rows(runtime, ids)] == ["done", "done"]
    assert _po_keys(runtime) == ["P0008401", "P0008402"]


def test_a_message_another_holder_leases_is_not_taken(runtime: Runtime) -> None:
    ids = _receive(runtime, [("a.edi", numbered_po(8501)), ("b.edi", numbered_po(8502))])
    with session_scope(runtime.engine) as session:
        assert run.leases.claim(
            session,
            Message,
            [Message.id == ids[0]],
            "elsewhere:1:t1",
            run.LEASE,  # type: ignore[arg-type]
        )
    assert [s.message_id for s in batch.process_batch(runtime)] == [ids[1]]
    assert [m.state for m in _rows(runtime, ids)] == ["received", "done"]
