"""Nothing can block a mailbox (issue 15 item 4), on a SQLite file and on PostgreSQL.

A name byte ``0xFF``, a ``0xFF`` in an envelope field quoted in the error text, a name holding a
line feed: each file ends as a message, done or failed with a reason, its name stored readable
with its bytes kept, and the files behind it are taken in the same poll. Entries the mailbox will
not read are reported on the mailbox's status, once.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select

from gateway.service import mailboxes
from gateway.service.logsetup import RedactingFilter
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import MailboxStatus, Message
from tests.conftest import BACKENDS, pg_schema
from tests.pipeline.conftest import make_home, numbered_po, sample


@pytest.fixture(params=BACKENDS)
def any_home(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Runtime, Path]]:
    if request.param == "sqlite":
        config = make_home(tmp_path / "gw")
        rt = Runtime.open(config)
        yield rt, config.parent
        rt.close()
        return
    with pg_schema("utf") as url:
        config = make_home(tmp_path / "gw", url)
        rt = Runtime.open(config)
        yield rt, config.parent
        rt.close()


def _inbox(home: Path) -> Path:
    folder = home / "run" / "mailboxes" / "amazon-us" / "inbox"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _messages(runtime: Runtime) -> list[Message]:
    with session_scope(runtime.engine) as session:
        return list(session.exec(select(Message).where(Message.direction == "in").order_by(Message.id)).all())


def test_bad_names_and_bytes_first_good_files_behind_all_end_in_one_poll(
    any_home: tuple[Runtime, Path],
) -> None:
    runtime, home = any_home
    inbox = os.fsencode(_inbox(home))
    gs08 = sample("x12_4010_850_new_po.edi").replace(b"*X*004010~", b"*X*00401\xff~", 1)
    with open(inbox + b"/a_\xff_name.edi", "wb") as fh:  # oldest: taken first
        fh.write(numbered_po(7001))
    os.utime(inbox + b"/a_\xff_name.edi", (1, 1))
    with open(inbox + b"/b_gs08.edi", "wb") as fh:
        fh.write(gs08)
    os.utime(inbox + b"/b_gs08.edi", (2, 2))
    with open(inbox + b"/c_line\nfeed\x1b.edi", "wb") as fh:
        fh.write(sample("bad_x12_850_se_count.edi"))
    os.utime(inbox + b"/c_line\nfeed\x1b.edi", (3, 3))
    for n in (7002, 7003):
        with open(inbox + f"/z_good_{n}.edi".encode(), "wb") as fh:
            fh.write(numbered_po(n))
    summary = mailboxes.poll_mailbox(runtime, "amazon-us", "local")
    assert summary.errors == []
    assert summary.taken == 5 and summary.done == 3 and summary.failed == 2
    rows = _messages(runtime)
    assert [m.state for m in rows] == ["done", "failed", "failed", "done", "done"]
    assert rows[0].filename == "a_\\xff_name.edi" and rows[0].name_bytes == b"a_\xff_name.edi"
    assert rows[1].error_code and rows[1].error_code != "INTERNAL_ERROR"
    assert rows[2].filename == "c_line\\nfeed\\x1b.edi" and rows[2].name_bytes == b"c_line\nfeed\x1b.edi"
    assert all(m.lease_owner is None for m in rows)
    assert os.listdir(inbox) == []


def test_a_non_utf8_gs08_quoted_in_the_error_is_stored_escaped(any_home: tuple[Runtime, Path]) -> None:
    runtime, _home = any_home
    from gateway.service import pipeline

    data = numbered_po(7100).replace(b"\nSE*", b"\nSE*\xff", 1)
    receipt = pipeline.ingest(runtime, data, "gs08-\udcff.edi")
    assert receipt.state == "failed"
    row = _messages(runtime)[0]
    assert row.error_code != "INTERNAL_ERROR" and "\\xff" in (row.error_message or "")
    assert "\\xff" in (row.filename or "")


def test_unread_entries_are_reported_once_on_the_mailbox_status(
    any_home: tuple[Runtime, Path], caplog: pytest.LogCaptureFixture
) -> None:
    runtime, home = any_home
    inbox = _inbox(home)
    (inbox / ".hidden.edi").write_bytes(b"x")
    (inbox / "..%2f..%2fx").write_bytes(b"x")
    (inbox / "folder").mkdir()
    (inbox / "link.edi").symlink_to(home / "config.yaml")
    with caplog.at_level(logging.WARNING, logger="gateway.service.mailboxes"):
        mailboxes.poll_mailbox(runtime, "amazon-us", "local")
        mailboxes.poll_mailbox(runtime, "amazon-us", "local")
    lines = [r for r in caplog.records if "not read" in r.getMessage()]
    assert len(lines) == 1  # once, not every poll
    with session_scope(runtime.engine) as session:
        status = session.get(MailboxStatus, ("amazon-us", "local"))
        assert status is not None
        found = {e["name"]: e["why"] for e in status.unread_entries or []}
    assert set(found) == {".hidden.edi", "..%2f..%2fx", "folder", "link.edi"}
    assert found["link.edi"].startswith("symbolic link") and found["folder"].startswith("folder")
    assert sorted(os.listdir(inbox)) == sorted(found)  # left alone


def test_a_name_with_a_line_feed_cannot_forge_a_log_line() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "received %s", ("a.edi\nERROR forged\udcff",), None
    )
    RedactingFilter().filter(record)
    assert record.getMessage() == "received a.edi\\nERROR forged\\xff"


def test_a_file_that_cannot_be_taken_does_not_stop_the_files_behind_it(
    any_home: tuple[Runtime, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime, home = any_home
    inbox = _inbox(home)
    for i, n in enumerate((7201, 7202, 7203)):
        (inbox / f"{n}.edi").write_bytes(numbered_po(n))
        os.utime(inbox / f"{n}.edi", (i + 1, i + 1))
    real = runtime.archive.store_file

    def store_file(source: Path):  # type: ignore[no-untyped-def]
        if b"7201" in Path(source).read_bytes():
            raise OSError(5, "Input/output error")
        return real(source)

    monkeypatch.setattr(runtime.archive, "store_file", store_file)
    with pytest.raises(mailboxes.TransportError, match=r"7201\.edi"):
        mailboxes.poll_mailbox(runtime, "amazon-us", "local")
    assert [m.state for m in _messages(runtime)] == ["done", "done"]  # the two behind it
    assert os.listdir(inbox) == ["7201.edi"]  # left for the next poll
