"""The local-folder mailbox never takes a file that is still being written."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from gateway.transports import local
from gateway.transports.local import LocalMailbox, open_for_writing


@pytest.fixture
def box(tmp_path: Path) -> LocalMailbox:
    return LocalMailbox("amazon-us", "local", tmp_path / "in", tmp_path / "out", tmp_path / "done")


def names(box: LocalMailbox) -> list[str]:
    return [item.name for item in box.list_ready()]


def test_a_file_held_open_for_writing_waits_for_its_writer(box: LocalMailbox) -> None:
    """A warehouse writing an ASN in place, pausing between interchanges: the first half must not
    be taken (and the second half then moved, unread, to processed/ by the acknowledgement)."""
    path = box.inbox / "slow.edi"
    writer = open(path, "wb")  # noqa: SIM115 - held open on purpose, as a slow writer does
    try:
        writer.write(b"ISA*00*first half")
        writer.flush()
        assert open_for_writing(str(path)) is True
        assert names(box) == []
        writer.write(b" and the rest~")
    finally:
        writer.close()
    assert open_for_writing(str(path)) is False
    assert names(box) == ["slow.edi"]


def test_where_linux_cannot_tell_a_file_is_taken_once_it_stopped_changing(box, monkeypatch) -> None:
    monkeypatch.setattr(local, "open_for_writing", lambda path: None)  # another user's file, NFS...
    path = box.inbox / "a.edi"
    path.write_bytes(b"ISA~")
    assert names(box) == []  # changed under 2 seconds ago: perhaps still being written
    old = time.time() - 3
    os.utime(path, (old, old))
    assert names(box) == ["a.edi"]
    box.stable_seconds = 0
    (box.inbox / "b.edi").write_bytes(b"ISA~")
    assert names(box) == ["a.edi", "b.edi"]
