"""Local-folder mailboxes driven by the pipeline: pickup order, temporary names, crashes, sending."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from sqlmodel import select

from gateway.edi import parse
from gateway.edi.model import OutboundTransaction
from gateway.outbound.envelopes import build_interchange, outbound_filename, to_payload
from gateway.outbound.outbox import queue_outbound
from gateway.service import mailboxes, pipeline
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, MailboxStatus, Message
from tests.conftest import PROJECT_ROOT
from tests.pipeline.conftest import sample


def _inbox(home: Path, partner: str) -> Path:
    folder = home / "run" / "mailboxes" / partner / "inbox"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _messages(runtime: Runtime, direction: str = "in") -> list[Message]:
    with session_scope(runtime.engine) as session:
        return list(
            session.exec(select(Message).where(Message.direction == direction).order_by(Message.id)).all()
        )


def test_poll_takes_complete_files_moves_them_and_leaves_temporary_names(
    runtime: Runtime, home: Path
) -> None:
    inbox = _inbox(home, "amazon-us")
    (inbox / "a_po.edi").write_bytes(sample("x12_4010_850_new_po.edi"))
    (inbox / "b_bad.edi").write_bytes(sample("bad_x12_850_se_count.edi"))
    (inbox / ".c_upload.edi").write_bytes(b"half")
    (inbox / "d_upload.edi.part").write_bytes(b"half")
    summary = mailboxes.poll_mailbox(runtime, "amazon-us", "local")
    assert (summary.taken, summary.done, summary.failed) == (2, 1, 1)
    assert sorted(p.name for p in inbox.iterdir()) == [".c_upload.edi", "d_upload.edi.part"]
    processed = home / "run" / "mailboxes" / "amazon-us" / "processed"
    assert sorted(p.name for p in processed.iterdir()) == ["a_po.edi", "b_bad.edi"]
    assert [m.receipt_key for m in _messages(runtime)] == [None, None]  # released after the move
    with session_scope(runtime.engine) as session:
        status = session.get(MailboxStatus, ("amazon-us", "local"))
        assert status is not None and (status.polls, status.received, status.last_error) == (1, 2, None)


def test_the_same_file_dropped_again_later_is_recorded_as_a_duplicate(runtime: Runtime, home: Path) -> None:
    inbox = _inbox(home, "amazon-us")
    (inbox / "po.edi").write_bytes(sample("x12_4010_850_new_po.edi"))
    mailboxes.poll_mailbox(runtime, "amazon-us", "local")
    (inbox / "po.edi").write_bytes(sample("x12_4010_850_new_po.edi"))
    summary = mailboxes.poll_mailbox(runtime, "amazon-us", "local")
    assert summary.duplicates == 1
    assert [m.state for m in _messages(runtime)] == ["done", "duplicate"]


CRASH_AFTER_RECEIVE = """
import os, signal, sys
from pathlib import Path
from gateway.service import pipeline
from gateway.service.runtime import Runtime
from gateway.transports.local import LocalMailbox
rt = Runtime.open(Path(sys.argv[1]))
inbox = Path(sys.argv[2])
box = LocalMailbox("amazon-us", "local", inbox, inbox.parent / "outbox", inbox.parent / "processed")
(item,) = box.list_ready()
tmp = Path(sys.argv[3])
box.fetch(item, tmp)
receipt = pipeline.receive(rt, tmp, filename=item.name, partner="amazon-us", mailbox="local", remote_ref=item.ref)
if sys.argv[4] == "claimed":
    assert pipeline.claim(rt, receipt.message_id)
os.kill(os.getpid(), signal.SIGKILL)  # the power goes: after the commit, before the mailbox let go
"""


def _crash(home: Path, tmp_path: Path, stage: str) -> None:
    script = tmp_path / "crash.py"
    script.write_text(textwrap.dedent(CRASH_AFTER_RECEIVE), encoding="utf-8")
    inbox = _inbox(home, "amazon-us")
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    result = subprocess.run(
        [sys.executable, str(script), str(home / "config.yaml"), str(inbox), str(tmp_path / "fetched"), stage],
        env=env, capture_output=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == -signal.SIGKILL, result.stderr.decode()


def test_a_crash_between_receive_and_mailbox_delete_neither_loses_nor_doubles(
    home: Path, tmp_path: Path
) -> None:
    inbox = _inbox(home, "amazon-us")
    (inbox / "po.edi").write_bytes(sample("x12_4010_850_new_po.edi"))
    _crash(home, tmp_path, "received")
    assert (inbox / "po.edi").is_file()  # still at the mailbox
    runtime = Runtime.open(home / "config.yaml")
    try:
        (row,) = _messages(runtime)
        assert row.state == "received"
        summary = mailboxes.poll_mailbox(runtime, "amazon-us", "local")
        assert summary.taken == 1
        (row,) = _messages(runtime)  # the same message, not a second one
        assert row.state == "done"
        assert not (inbox / "po.edi").exists()
        with session_scope(runtime.engine) as session:
            assert len(session.exec(select(Document)).all()) == 1
    finally:
        runtime.close()


def test_a_crash_while_processing_is_recovered_at_start(home: Path, tmp_path: Path) -> None:
    inbox = _inbox(home, "amazon-us")
    (inbox / "po.edi").write_bytes(sample("x12_4010_850_new_po.edi"))
    _crash(home, tmp_path, "claimed")
    runtime = Runtime.open(home / "config.yaml")
    try:
        (row,) = _messages(runtime)
        assert row.lease_owner is not None  # held by a process that no longer exists
        assert pipeline.recover(runtime) == [row.id]
        (row,) = _messages(runtime)
        assert row.state == "done" and row.lease_owner is None
    finally:
        runtime.close()


def _queue_probe(runtime: Runtime, partner: str = "amazon-us") -> int:
    profile = runtime.partners.get(partner)
    with session_scope(runtime.engine) as session:
        body = [["BIG", "20260115", "INV1", "20260112", "4TQ8ZK2M"]]
        interchange = build_interchange(session, profile, "IN", [OutboundTransaction("810", "0001", body)])
        payload = to_payload(
            interchange, "x12", outbound_filename(profile, "810", interchange.control_number)
        )
        message = queue_outbound(session, runtime.archive, partner, "local", payload)
        return int(message.id)  # type: ignore[arg-type]


def test_queued_messages_are_sent_through_the_outbox_folder(runtime: Runtime, home: Path) -> None:
    message_id = _queue_probe(runtime)
    summary = mailboxes.send_due(runtime)
    assert summary.sent == 1
    outbox = home / "run" / "mailboxes" / "amazon-us" / "outbox"
    (sent,) = list(outbox.iterdir())
    parsed = parse(sent.read_bytes())
    assert parsed.ok and parsed.transactions[0].type == "810"
    (row,) = _messages(runtime, "out")
    assert (row.id, row.state, row.remote_ref) == (message_id, "sent", str(sent))
    assert mailboxes.send_due(runtime).sent == 0  # never twice


def test_a_failing_send_backs_off_then_fails_for_good(runtime: Runtime, home: Path) -> None:
    outbox = home / "run" / "mailboxes" / "amazon-us" / "outbox"
    outbox.mkdir(parents=True, exist_ok=True)
    outbox.chmod(0o500)
    message_id = _queue_probe(runtime)
    try:
        if os.geteuid() == 0:  # root writes anyway: break the folder instead
            outbox.chmod(0o700)
            outbox.rmdir()
            outbox.write_text("not a folder")
        summary = mailboxes.send_due(runtime)
        assert summary.retrying == 1
        with session_scope(runtime.engine) as session:
            row = session.get(Message, message_id)
            assert row is not None and row.state == "queued" and row.attempts == 1
            assert row.error_code == "SEND_FAILED" and row.next_attempt_at is not None
        assert mailboxes.send_due(runtime).retrying == 0  # not due yet
        for _ in range(mailboxes.MAX_SEND_ATTEMPTS - 1):
            with session_scope(runtime.engine) as session:
                row = session.get(Message, message_id)
                row.next_attempt_at = None
                session.add(row)
            mailboxes.send_due(runtime)
        with session_scope(runtime.engine) as session:
            row = session.get(Message, message_id)
            assert row is not None and row.state == "failed" and row.attempts == mailboxes.MAX_SEND_ATTEMPTS
    finally:
        if outbox.is_dir():
            outbox.chmod(0o700)


def test_an_inbound_997_marks_what_we_sent_and_its_documents(runtime: Runtime) -> None:
    message_id = _queue_probe(runtime)
    mailboxes.send_due(runtime)
    with session_scope(runtime.engine) as session:
        sent = session.get(Message, message_id)
        assert sent is not None
        group = sent.group_controls[0]
    ack = (
        "ISA*00*          *00*          *ZZ*AMAZON         *ZZ*ACMEVENDOR     *260116*0900*U*00401*000009001*0*P*>~"
        "GS*FA*AMAZON*ACMEVENDOR*20260116*0900*9001*X*004010~ST*997*0001~"
        f"AK1*IN*{group}~AK2*810*0001~AK5*R*5~AK9*R*1*1*0~SE*6*0001~GE*1*9001~IEA*1*000009001~"
    ).encode()
    receipt = pipeline.ingest(runtime, ack, "997.edi")
    assert receipt.state == "done"
    with session_scope(runtime.engine) as session:
        sent = session.get(Message, message_id)
        assert sent is not None and sent.state == "rejected" and sent.ack_message_id == receipt.message_id
        assert sent.ack_detail["transactions"][0]["codes"] == ["5"]
    assert len(_messages(runtime, "out")) == 1  # a 997 is never acknowledged


def test_an_unwritable_archive_fails_the_poll_not_the_pass(runtime: Runtime, home: Path, monkeypatch) -> None:
    """The archive refusing a file (read-only disk) fails that mailbox's poll, recorded as such; the
    file stays in the inbox for the next poll and the other mailboxes are still polled."""
    from gateway.service.scheduler import run_once

    us, warehouse = _inbox(home, "amazon-us"), _inbox(home, "warehouse")
    (us / "po.edi").write_bytes(sample("x12_4010_850_new_po.edi"))
    (warehouse / "asn.edi").write_bytes(sample("x12_4010_856_partial_shipment.edi"))
    real_store_file = runtime.archive.store_file

    def store_file(source: Path):  # type: ignore[no-untyped-def]
        if Path(source).read_bytes().find(b"*850*") >= 0:
            raise OSError(30, "Read-only file system")
        return real_store_file(source)

    monkeypatch.setattr(runtime.archive, "store_file", store_file)
    totals = run_once(runtime)
    assert totals["mailbox_errors"] == 1 and totals["taken"] == 1  # the warehouse's ASN went through
    assert [p.name for p in us.iterdir()] == ["po.edi"]  # nothing lost
    with session_scope(runtime.engine) as session:
        status = session.exec(select(MailboxStatus).where(MailboxStatus.partner == "amazon-us")).one()
        assert status.last_error is not None and "Read-only file system" in status.last_error
        assert status.last_success_at is None
    monkeypatch.setattr(runtime.archive, "store_file", real_store_file)
    assert run_once(runtime)["done"] == 1  # taken once the disk is back
