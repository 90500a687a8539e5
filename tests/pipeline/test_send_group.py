"""The outbox sends a group at a time (issue 16 item 1): the messages bound for one mailbox are
claimed in one transaction, all their ``sending`` committed at once before the transport is touched,
and all their ``sent`` at once after. Exactly once still holds for each: a crash after the group's
deliveries and before ``sent`` finds every file at the partner and sends none again; a file the
transport refuses fails alone."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import event

from gateway.service import mailboxes
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Message
from gateway.transports.local import LocalMailbox
from tests.pipeline.test_exactly_once import Crash, crash_after_delivery, restart
from tests.pipeline.test_mailboxes import _queue_probe


def _states(runtime: Runtime, ids: list[int]) -> list[str]:
    with session_scope(runtime.engine) as session:
        return [session.get(Message, i).state for i in ids]  # type: ignore[union-attr]


def test_a_group_is_three_commits_whatever_its_size(runtime: Runtime, home: Path) -> None:
    ids = [_queue_probe(runtime) for _ in range(5)]
    commits: list[int] = []
    listener = lambda *_a: commits.append(1)  # noqa: E731
    event.listen(runtime.engine, "commit", listener)
    try:
        assert mailboxes.send_due(runtime).sent == 5
    finally:
        event.remove(runtime.engine, "commit", listener)
    # due ids, dead holders, the claim, every sending, every sent (counted on the engine)
    assert len(commits) <= 5
    outbox = home / "run" / "mailboxes" / "amazon-us" / "outbox"
    assert len(list(outbox.iterdir())) == 5
    assert _states(runtime, ids) == ["sent"] * 5
    assert mailboxes.send_due(runtime).sent == 0


def test_a_crash_after_the_group_is_delivered_sends_none_again(
    runtime: Runtime, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [_queue_probe(runtime) for _ in range(3)]
    crash_after_delivery(monkeypatch)
    with pytest.raises(Crash):
        mailboxes.send_due(runtime)
    monkeypatch.undo()
    outbox = home / "run" / "mailboxes" / "amazon-us" / "outbox"
    delivered = sorted(outbox.iterdir())
    assert len(delivered) == 3 and _states(runtime, ids) == ["sending"] * 3
    for message_id in ids:
        restart(runtime, message_id)
    assert mailboxes.send_due(runtime).sent == 3
    assert sorted(outbox.iterdir()) == delivered  # each found where it was delivered: none twice
    assert _states(runtime, ids) == ["sent"] * 3


def test_a_file_the_transport_refuses_fails_alone(
    runtime: Runtime, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = [_queue_probe(runtime) for _ in range(3)]
    real_replace = os.replace
    calls: list[str] = []

    def full_once(src: str, dst: str) -> None:
        calls.append(str(dst))
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", full_once)
    summary = mailboxes.send_due(runtime)
    monkeypatch.undo()
    assert (summary.sent, summary.retrying) == (2, 1)
    states = _states(runtime, ids)
    assert sorted(states) == ["sending", "sent", "sent"]  # the refused one goes to the same place next
    assert mailboxes.send_due(runtime).sent == 0  # its retry waits for its backoff


def test_a_message_taken_over_before_its_sending_is_not_sent_here(
    runtime: Runtime, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = _queue_probe(runtime), _queue_probe(runtime)
    real_plan = LocalMailbox.plan

    def plan_then_lose_the_first(box: LocalMailbox, filename: str, data: bytes) -> str:
        with session_scope(runtime.engine) as session:  # another worker takes the first over
            row = session.get(Message, first)
            if row is not None and row.lease_owner != "elsewhere:1:t1":
                row.lease_owner = "elsewhere:1:t1"
                session.add(row)
        return real_plan(box, filename, data)

    monkeypatch.setattr(LocalMailbox, "plan", plan_then_lose_the_first)
    assert mailboxes.send_due(runtime).sent == 1
    monkeypatch.undo()
    assert _states(runtime, [first, second]) == ["queued", "sent"]
    outbox = home / "run" / "mailboxes" / "amazon-us" / "outbox"
    assert len([p for p in outbox.iterdir() if not p.name.startswith(".")]) == 1
