"""Outbound exactly once: a crash between the transport and the ``sent`` commit never means a
second delivery, and a dead worker's outbound messages are taken over at once.

A "crash" is a :class:`Crash` (a ``BaseException`` nothing catches) raised right after the
transport delivered, or right before it touches the partner; "the restart" marks the lease's
holder as a process that no longer runs, as a killed worker leaves it. Over a local folder and a
real OpenSSH sshd (SFTP uploads never overwrite: a second upload would be ``X.1.edi``), and AS2
over real HTTP, where the resend repeats the Message-ID.
"""

from __future__ import annotations

import os
import socket
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from gateway.service import mailboxes
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Message, MessageEvent, Worker, utcnow
from gateway.transports.as2_http import Outcome, make_as2_app
from gateway.transports.as2_profile import profile_lookup
from gateway.transports.local import LocalMailbox
from gateway.transports.sftp import SftpMailbox
from tests.pipeline.test_mailboxes import _queue_probe
from tests.pipeline.test_real_mailboxes import _with_mailboxes
from tests.transports.conftest import http_server, pki, sftp_box, sshd  # noqa: F401 - fixtures
from tests.transports.test_as2 import amazon_config

DEAD = f"{socket.gethostname()}:999999999:t1"  # a pid no process has


class Crash(BaseException):
    """The process dies here."""


def crash_after_delivery(monkeypatch: pytest.MonkeyPatch) -> None:
    def die(*_args: object, **_kwargs: object) -> str:
        raise Crash

    monkeypatch.setattr(mailboxes, "_sent", die)


def crash_before_delivery(monkeypatch: pytest.MonkeyPatch, box: type) -> None:
    def die(*_args: object, **_kwargs: object) -> object:
        raise Crash

    monkeypatch.setattr(box, "send", die)


def restart(runtime: Runtime, message_id: int) -> None:
    """What a SIGKILL leaves: the message still leased, by a process that is gone."""
    with session_scope(runtime.engine) as session:
        row = session.get(Message, message_id)
        assert row is not None and row.state == "sending" and row.lease_owner is not None
        row.lease_owner, row.lease_until = DEAD, utcnow() + timedelta(minutes=5)
        session.add(row)


def message(runtime: Runtime, message_id: int) -> Message:
    with session_scope(runtime.engine) as session:
        row = session.get(Message, message_id)
        assert row is not None
        return row


def notes(runtime: Runtime, message_id: int) -> list[str]:
    with session_scope(runtime.engine) as session:
        query = select(MessageEvent).where(MessageEvent.message_id == message_id).order_by(MessageEvent.id)
        return [event.note or "" for event in session.exec(query)]


def send_crashing(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(Crash):
        mailboxes.send_due(runtime)
    monkeypatch.undo()


def test_local_crash_after_delivery_is_found_and_not_sent_again(
    runtime: Runtime, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message_id = _queue_probe(runtime)
    crash_after_delivery(monkeypatch)
    send_crashing(runtime, monkeypatch)
    outbox = home / "run" / "mailboxes" / "amazon-us" / "outbox"
    (delivered,) = outbox.iterdir()
    assert message(runtime, message_id).remote_ref == str(delivered)
    restart(runtime, message_id)
    assert mailboxes.send_due(runtime).sent == 1  # at once: the lease of a dead process is broken
    assert list(outbox.iterdir()) == [delivered]
    row = message(runtime, message_id)
    assert (row.state, row.attempts, row.lease_owner) == ("sent", 1, None)
    assert any("not sent again" in note for note in notes(runtime, message_id))
    assert mailboxes.send_due(runtime).sent == 0


def test_local_crash_before_delivery_sends_once_to_the_planned_place(
    runtime: Runtime, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message_id = _queue_probe(runtime)
    crash_before_delivery(monkeypatch, LocalMailbox)
    send_crashing(runtime, monkeypatch)
    outbox = home / "run" / "mailboxes" / "amazon-us" / "outbox"
    planned = message(runtime, message_id).remote_ref or ""
    assert [p.name for p in outbox.iterdir()] == [f".{Path(planned).name}.acorn.tmp"]  # only the reservation
    restart(runtime, message_id)
    assert mailboxes.send_due(runtime).sent == 1
    assert [str(p) for p in outbox.iterdir()] == [planned]
    assert any("sending again (not found at the partner)" in note for note in notes(runtime, message_id))


def test_a_file_the_partner_took_before_the_restart_is_not_sent_again(
    runtime: Runtime, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outbox is empty after the restart either way: the reservation tells the two apart."""
    message_id = _queue_probe(runtime)
    crash_after_delivery(monkeypatch)
    send_crashing(runtime, monkeypatch)
    outbox = home / "run" / "mailboxes" / "amazon-us" / "outbox"
    (delivered,) = outbox.iterdir()
    taken = home / "partner-took"
    delivered.rename(taken)  # the partner polls faster than we restart
    restart(runtime, message_id)
    assert mailboxes.send_due(runtime).sent == 1
    assert list(outbox.iterdir()) == [] and taken.is_file()
    assert message(runtime, message_id).state == "sent"


def test_a_failed_write_leaves_the_reservation_and_the_retry_delivers(
    runtime: Runtime, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message_id = _queue_probe(runtime)
    real_replace = os.replace

    def disk_full(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", disk_full)
    assert mailboxes.send_due(runtime).retrying == 1
    monkeypatch.setattr(os, "replace", real_replace)
    outbox = home / "run" / "mailboxes" / "amazon-us" / "outbox"
    assert [p.name for p in outbox.iterdir()] == [
        f".{Path(message(runtime, message_id).remote_ref or '').name}.acorn.tmp"
    ]
    with session_scope(runtime.engine) as session:
        row = session.get(Message, message_id)
        row.next_attempt_at = None  # type: ignore[union-attr]
        session.add(row)
    assert mailboxes.send_due(runtime).sent == 1
    (delivered,) = outbox.iterdir()
    assert not delivered.name.startswith(".") and b"INV1" in delivered.read_bytes()


def test_sftp_crash_after_upload_leaves_one_file_on_the_server(
    home: Path,
    sshd,  # noqa: F811
    sftp_box,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    config = sftp_box()
    _with_mailboxes(home, "amazon-us", [config.model_dump(mode="json", exclude_none=True)])
    runtime = Runtime.open(home / "config.yaml")
    try:
        message_id = _queue_probe(runtime)
        with session_scope(runtime.engine) as session:
            row = session.get(Message, message_id)
            row.mailbox = "sftp"  # type: ignore[union-attr]
            session.add(row)
        crash_after_delivery(monkeypatch)
        send_crashing(runtime, monkeypatch)
        remote = sshd.root / config.outbox
        (uploaded,) = remote.iterdir()
        restart(runtime, message_id)
        assert mailboxes.send_due(runtime).sent == 1
        assert list(remote.iterdir()) == [uploaded]  # no X.1.edi
        assert message(runtime, message_id).remote_ref == f"{config.outbox}/{uploaded.name}"

        second = _queue_probe(runtime)  # and a crash before the upload: sent once, where planned
        with session_scope(runtime.engine) as session:
            row = session.get(Message, second)
            row.mailbox = "sftp"  # type: ignore[union-attr]
            session.add(row)
        crash_before_delivery(monkeypatch, SftpMailbox)
        send_crashing(runtime, monkeypatch)
        planned = message(runtime, second).remote_ref
        restart(runtime, second)
        assert mailboxes.send_due(runtime).sent == 1
        assert sorted(p.name for p in remote.iterdir()) == sorted([uploaded.name, Path(planned or "").name])
    finally:
        runtime.close()


def test_as2_resend_after_a_crash_repeats_the_message_id(
    home: Path,
    pki,  # noqa: F811
    http_server,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[str] = []

    def deliver(_partner: str, _mailbox: str, _filename: str, _payload: bytes, message_id: str) -> Outcome:
        seen.append(message_id)
        return Outcome.accepted()

    amazon_url = (
        http_server(make_as2_app(profile_lookup([("acme", amazon_config(pki))]), deliver)).url + "/as2"
    )
    ours = {
        "name": "as2", "type": "as2", "as2_id": "ACME", "partner_as2_id": "AMAZON", "url": amazon_url,
        "our_private_key": str(pki.acme[0]), "our_certificate": str(pki.acme[1]),
        "partner_certificate": str(pki.amazon[1]),
    }  # fmt: skip
    _with_mailboxes(home, "amazon-us", [ours])
    runtime = Runtime.open(home / "config.yaml")
    try:
        message_id = _queue_probe(runtime)
        with session_scope(runtime.engine) as session:
            row = session.get(Message, message_id)
            row.mailbox = "as2"  # type: ignore[union-attr]
            session.add(row)
        crash_after_delivery(monkeypatch)
        send_crashing(runtime, monkeypatch)
        planned = message(runtime, message_id).remote_ref
        restart(runtime, message_id)
        assert mailboxes.send_due(runtime).sent == 1
        assert len(seen) == 2 and len(set(seen)) == 1  # the partner sees one message, twice
        assert message(runtime, message_id).remote_ref == planned == seen[0].strip("<>")
    finally:
        runtime.close()


def test_a_queued_message_of_a_worker_whose_heartbeat_stopped_is_taken_over_at_once(
    runtime: Runtime, home: Path
) -> None:
    message_id = _queue_probe(runtime)
    other = "otherhost:4242"
    with session_scope(runtime.engine) as session:
        session.add(Worker(id=other, heartbeat_at=utcnow() - timedelta(minutes=3)))
        row = session.get(Message, message_id)
        row.lease_owner, row.lease_until = f"{other}:t7", utcnow() + timedelta(minutes=4)  # type: ignore[union-attr]
        session.add(row)
    assert mailboxes.send_due(runtime).sent == 1
    with session_scope(runtime.engine) as session:
        worker = session.get(Worker, other)
        worker.heartbeat_at = utcnow()  # type: ignore[union-attr]
        session.add(worker)
    second = _queue_probe(runtime)
    with session_scope(runtime.engine) as session:
        row = session.get(Message, second)
        row.lease_owner, row.lease_until = f"{other}:t7", utcnow() + timedelta(minutes=4)  # type: ignore[union-attr]
        session.add(row)
    assert mailboxes.send_due(runtime).sent == 0  # a live worker of another host keeps its lease
