"""The archive: content addressing, one copy per content, durable writes, reading back, retention."""

from __future__ import annotations

import hashlib
import os
import stat
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.store import Archive, ArchiveCorrupted
from gateway.store import archive as archive_module

PAYLOAD = b"ISA*00*          *00*          *ZZ*AMAZON~"


def files_under(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_store_is_content_addressed(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    sha = hashlib.sha256(PAYLOAD).hexdigest()
    stored = archive.store(PAYLOAD)
    assert (stored.sha256, stored.size) == (sha, len(PAYLOAD))
    assert stored.key == f"{sha[:2]}/{sha}"  # one level: 256 folders (see test_archive_layout.py)
    assert stored.path == tmp_path / stored.key
    assert stored.path.read_bytes() == PAYLOAD
    assert not stored.path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_same_bytes_twice_keep_one_file(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    first = archive.store(PAYLOAD)
    second = archive.store(PAYLOAD)
    other = archive.store(PAYLOAD + b"!")
    assert first == second != other
    assert files_under(tmp_path) == sorted([first.path, other.path])
    assert sorted(archive) == sorted([first.sha256, other.sha256])


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=4096))
def test_round_trip_bytes_and_file(tmp_path: Path, data: bytes) -> None:
    archive = Archive(tmp_path / "a")
    stored = archive.store(data)
    assert archive.read(stored.sha256) == data
    source = tmp_path / "in.bin"
    source.write_bytes(data)
    assert archive.store_file(source) == stored


def test_store_file_streams_large_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(archive_module, "CHUNK_SIZE", 1000)
    data = os.urandom(10_500)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    archive = Archive(tmp_path / "a")
    stored = archive.store_file(source)
    assert stored.sha256 == hashlib.sha256(data).hexdigest() and stored.size == len(data)
    assert archive.read(stored.sha256) == data
    assert list((tmp_path / "a" / ".incoming").iterdir()) == []


def test_write_is_temp_fsync_rename_fsync_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    archive = Archive(tmp_path)
    final = archive.path_for(hashlib.sha256(PAYLOAD).hexdigest())
    calls: list[tuple[str, object]] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append(("fsync-dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "fsync-file", None))
        real_fsync(fd)

    def replace(src, dst) -> None:
        assert not final.exists(), "nothing may appear under the final name before the rename"
        assert Path(src).parent == Path(dst).parent == final.parent
        assert Path(src).name.startswith(".tmp-") and Path(src).read_bytes() == PAYLOAD
        calls.append(("rename", Path(dst)))
        real_replace(src, dst)

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", replace)
    archive.store(PAYLOAD)
    kinds = [kind for kind, _ in calls]
    assert kinds.index("fsync-file") < kinds.index("rename") < len(kinds) - 1
    assert kinds[-1] == "fsync-dir"
    assert ("rename", final) in calls


def test_failed_write_leaves_nothing_under_the_final_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = Archive(tmp_path)
    final = archive.path_for(hashlib.sha256(PAYLOAD).hexdigest())

    def broken_fsync(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        archive.store(PAYLOAD)
    assert not final.exists()
    assert files_under(tmp_path) == []


def test_truncated_file_is_rewritten(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    stored = archive.store(PAYLOAD)
    stored.path.chmod(0o644)
    stored.path.write_bytes(PAYLOAD[:5])
    assert archive.store(PAYLOAD).path.read_bytes() == PAYLOAD


def test_read_missing_corrupt_and_bad_names(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    with pytest.raises(FileNotFoundError):
        archive.read("0" * 64)
    with pytest.raises(ValueError):
        archive.read("../../etc/passwd")
    stored = archive.store(PAYLOAD)
    stored.path.chmod(0o644)
    stored.path.write_bytes(b"X" * len(PAYLOAD))
    with pytest.raises(ArchiveCorrupted):
        archive.read(stored.sha256)
    assert archive.read(stored.sha256, verify=False) == b"X" * len(PAYLOAD)


def age(path: Path, days: float) -> None:
    past = time.time() - days * 86400
    os.utime(path, (past, past))


def test_prune_respects_age_and_keep_set(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    old_free = archive.store(b"old and free")
    old_held = archive.store(b"old but on legal hold")
    recent = archive.store(b"recent")
    age(old_free.path, 400)
    age(old_held.path, 400)
    report = archive.prune(timedelta(days=365), keep={old_held.sha256})
    assert (report.removed, report.kept, report.removed_bytes) == (1, 2, old_free.size)
    assert not old_free.path.exists()
    assert old_held.path.exists() and recent.path.exists()


def test_prune_with_a_cutoff_moment_and_stale_temps(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    stored = archive.store(b"payload")
    age(stored.path, 10)
    stale = stored.path.parent / ".tmp-crashed"
    stale.write_bytes(b"half")
    age(stale, 1)
    fresh = stored.path.parent / ".tmp-writing"
    fresh.write_bytes(b"now")
    report = archive.prune(datetime.now() - timedelta(days=5), keep=set())
    assert (report.removed, report.temp_removed) == (1, 1)
    assert not stale.exists() and fresh.exists()


def test_storing_again_renews_retention(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    stored = archive.store(PAYLOAD)
    age(stored.path, 400)
    archive.store(PAYLOAD)
    assert archive.prune(timedelta(days=365), keep=()).removed == 0


def _folder_fsyncs(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Record every folder fsync of the archive module (still done: the real helper is called)."""
    calls: list[Path] = []
    real = archive_module.fsync_dir

    def recorded(folder: Path) -> None:
        calls.append(Path(folder))
        real(folder)

    monkeypatch.setattr(archive_module, "fsync_dir", recorded)
    return calls


def test_a_batch_fsyncs_each_folder_once_and_only_at_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = Archive(tmp_path)
    calls = _folder_fsyncs(monkeypatch)
    with archive.deferred_sync():
        first = archive.store(b"one")
        same = archive.store(b"one")  # found again: no second folder entry
        with archive.deferred_sync():  # nested: joins the outer block
            archive.store(b"two")
        assert calls == []  # nothing before the end of the block: the caller commits after it
    assert same.path == first.path
    assert len(calls) == len(set(calls))  # each folder once
    leaf = first.path.parent
    assert {leaf, tmp_path} <= set(calls)  # the new entries' folders: the payload's, and the root's
    calls.clear()
    payload = next(p for p in (f"x{i}".encode() for i in range(100_000)) if archive.key_for(
        hashlib.sha256(p).hexdigest()).startswith(first.key[:3]))  # fmt: skip
    with archive.deferred_sync():
        other = archive.store(payload)  # a new payload in an existing folder
    assert other.path.parent == leaf and calls == [leaf]  # not the root: the folder existed


def test_outside_a_batch_and_on_another_thread_the_folder_is_fsynced_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    archive = Archive(tmp_path)
    calls = _folder_fsyncs(monkeypatch)
    stored = archive.store(b"alone")
    assert calls[-1] == stored.path.parent
    calls.clear()
    seen: list[int] = []
    with archive.deferred_sync():
        worker = threading.Thread(target=lambda: (archive.store(b"other thread"), seen.append(len(calls))))
        worker.start()
        worker.join()
        assert seen and seen[0] >= 1  # the other thread did not wait for this block
    with pytest.raises(RuntimeError), archive.deferred_sync():
        archive.store(b"then it fails")
        before = len(calls)
        raise RuntimeError("the caller fails: the folders are still fsynced")
    assert len(calls) > before
