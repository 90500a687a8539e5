"""The archive's one-level layout (``ab/<sha256>``) beside archives written in the two-level one
(``ab/cd/<sha256>``): every payload of an old archive is still read, found, verified, kept, pruned
and migrated where it is, and new payloads go to one level. On a real folder, and for the database
archive on a real SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import hashlib
import os
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from gateway.store.archive import Archive, ArchiveCorrupted
from gateway.store.archive_db import DatabaseArchive, migrate_archive

OLD = [b"ISA*00*old payload %d~" % i for i in range(5)]


def write_old_layout(root: Path, payloads: list[bytes]) -> list[str]:
    """Files as the two-level archive wrote them (read-only, under ``ab/cd/<sha256>``)."""
    names = []
    for data in payloads:
        sha = hashlib.sha256(data).hexdigest()
        path = root / sha[:2] / sha[2:4] / sha
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o444)
        names.append(sha)
    return names


def _age(path: Path, days: int) -> None:
    then = time.time() - days * 86400
    os.utime(path, (then, then))


def test_new_payloads_go_one_level_deep(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    stored = archive.store(b"ISA*00*new~")
    assert stored.key == f"{stored.sha256[:2]}/{stored.sha256}"
    assert stored.path == tmp_path / stored.sha256[:2] / stored.sha256 and stored.path.is_file()
    source = tmp_path / "in.edi"
    source.write_bytes(b"ISA*00*from a file~")
    from_file = archive.store_file(source)
    assert from_file.path.parent.parent == tmp_path and from_file.path.read_bytes() == source.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == sorted(
        {".incoming", stored.sha256[:2], from_file.sha256[:2]}
    )  # no second level


def test_an_archive_of_the_old_layout_is_read_found_and_listed(tmp_path: Path) -> None:
    names = write_old_layout(tmp_path, OLD)
    archive = Archive(tmp_path)
    new = archive.store(b"ISA*00*a new one~")
    for sha, data in zip(names, OLD, strict=True):
        assert archive.exists(sha)
        assert archive.path_for(sha) == tmp_path / sha[:2] / sha[2:4] / sha
        assert archive.read(sha) == data
    assert sorted(archive) == sorted([*names, new.sha256])  # each once, whichever layout
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert not archive.exists(missing) and archive.path_for(missing) == tmp_path / missing[:2] / missing


def test_storing_bytes_the_old_layout_holds_keeps_that_one_copy(tmp_path: Path) -> None:
    (sha,) = write_old_layout(tmp_path, OLD[:1])
    old = tmp_path / sha[:2] / sha[2:4] / sha
    _age(old, days=30)
    again = Archive(tmp_path).store(OLD[0])
    assert again.path == old and again.key == f"{sha[:2]}/{sha[2:4]}/{sha}"
    assert not (tmp_path / sha[:2] / sha).exists()  # no second copy under the new name
    assert old.stat().st_mtime > time.time() - 60  # refreshed: retention counts from now
    source = tmp_path / "in.edi"
    source.write_bytes(OLD[0])
    assert Archive(tmp_path).store_file(source).path == old
    assert list((tmp_path / ".incoming").iterdir()) == []  # the staged copy did not stay


def test_a_damaged_payload_of_the_old_layout_is_refused(tmp_path: Path) -> None:
    (sha,) = write_old_layout(tmp_path, OLD[:1])
    old = tmp_path / sha[:2] / sha[2:4] / sha
    old.chmod(0o644)
    old.write_bytes(b"ISA*00*tampered~")
    with pytest.raises(ArchiveCorrupted):
        Archive(tmp_path).read(sha)
    assert Archive(tmp_path).read(sha, verify=False) == b"ISA*00*tampered~"


def test_a_wrong_sized_old_copy_is_written_again_under_the_new_name(tmp_path: Path) -> None:
    (sha,) = write_old_layout(tmp_path, OLD[:1])
    old = tmp_path / sha[:2] / sha[2:4] / sha
    old.chmod(0o644)
    old.write_bytes(b"half")  # a copy cut short
    stored = Archive(tmp_path).store(OLD[0])
    assert stored.path == tmp_path / sha[:2] / sha
    assert Archive(tmp_path).read(sha) == OLD[0]  # the good copy is the one read


def test_prune_sweeps_both_layouts_and_their_leftovers(tmp_path: Path) -> None:
    names = write_old_layout(tmp_path, OLD[:3])
    archive = Archive(tmp_path)
    new = archive.store(b"ISA*00*new and old~")
    for sha in names:
        _age(tmp_path / sha[:2] / sha[2:4] / sha, days=400)
    _age(new.path, days=400)
    leftovers = [tmp_path / names[0][:2] / names[0][2:4] / ".tmp-crashed", new.path.parent / ".tmp-crashed"]
    for temp in leftovers:  # what a crash between write and rename leaves, in either layout
        temp.write_bytes(b"partial")
        _age(temp, days=1)
    report = archive.prune(older_than=timedelta(days=30), keep={names[1]})
    assert (report.removed, report.kept, report.temp_removed) == (3, 1, 2)
    assert [archive.exists(sha) for sha in names] == [False, True, False] and not archive.exists(new.sha256)
    assert not any(temp.exists() for temp in leftovers)


def test_the_database_archive_uses_an_old_layout_cache_and_migrates_it(
    engine: Engine, tmp_path: Path
) -> None:
    names = write_old_layout(tmp_path / "a", OLD)
    report = migrate_archive("database", tmp_path / "a", engine)
    assert (report.copied, report.missing) == (len(OLD), [])
    host_a = DatabaseArchive(tmp_path / "a", engine)
    for sha, data in zip(names, OLD, strict=True):  # the old cached file is used where it is
        assert host_a.path_for(sha) == tmp_path / "a" / sha[:2] / sha[2:4] / sha
        assert host_a.read(sha) == data
    assert not any((tmp_path / "a" / sha[:2] / sha).exists() for sha in names)
    host_b = DatabaseArchive(tmp_path / "b", engine)  # another host: fetched to the new layout
    assert host_b.read(names[0]) == OLD[0] and (tmp_path / "b" / names[0][:2] / names[0]).is_file()
    back = migrate_archive("folder", tmp_path / "c", engine)
    assert back.copied == len(OLD)
    assert sorted(Archive(tmp_path / "c")) == sorted(names)
    assert all((tmp_path / "c" / sha[:2] / sha).is_file() for sha in names)
    pruned = host_a.prune(timedelta(days=-1), keep=names[1:])  # everything is "old": all but the kept go
    assert pruned.removed == 1 and not (tmp_path / "a" / names[0][:2] / names[0][2:4] / names[0]).exists()
    assert not host_a.exists(names[0]) and host_a.exists(names[1])


# -- a staged download taken as it is -------------------------------------------------------------


def _staged(archive: Archive, data: bytes, name: str = ".fetch-1") -> Path:
    path = archive.staging_folder() / name
    path.write_bytes(data)
    return path


def test_a_staged_download_is_linked_into_place_not_copied(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    staged = _staged(archive, b"ISA*00*downloaded~")
    stored = archive.store_staged(staged)
    assert stored.key == f"{stored.sha256[:2]}/{stored.sha256}" and stored.size == len(b"ISA*00*downloaded~")
    assert os.path.samefile(staged, stored.path)  # one inode, two names until the caller removes one
    assert stored.path.stat().st_mode & 0o222 == 0  # read-only, as every archived file
    staged.unlink()
    assert stored.path.stat().st_nlink == 1 and archive.read(stored.sha256) == b"ISA*00*downloaded~"


def test_a_staged_download_the_archive_holds_is_not_linked_again(tmp_path: Path) -> None:
    (sha,) = write_old_layout(tmp_path, OLD[:1])
    archive = Archive(tmp_path)
    staged = _staged(archive, OLD[0])
    stored = archive.store_staged(staged)
    assert stored.path == tmp_path / sha[:2] / sha[2:4] / sha and stored.path.stat().st_nlink == 1
    assert not os.path.samefile(staged, stored.path)


def test_a_file_outside_the_staging_folder_is_copied(tmp_path: Path) -> None:
    archive = Archive(tmp_path / "archive")
    elsewhere = tmp_path / "partner.edi"
    elsewhere.write_bytes(b"ISA*00*not ours~")
    stored = archive.store_staged(elsewhere)
    assert not os.path.samefile(elsewhere, stored.path) and elsewhere.stat().st_mode & 0o200  # untouched
    assert archive.read(stored.sha256) == b"ISA*00*not ours~"


def test_without_hard_links_a_staged_download_is_copied(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(*_args: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    archive = Archive(tmp_path)
    staged = _staged(archive, b"ISA*00*on a file system without links~")
    stored = archive.store_staged(staged)
    assert not os.path.samefile(staged, stored.path)
    assert archive.read(stored.sha256) == b"ISA*00*on a file system without links~"


def test_prune_sweeps_downloads_a_crash_left_in_the_staging_folder(tmp_path: Path) -> None:
    archive = Archive(tmp_path)
    stale, fresh = _staged(archive, b"old", ".fetch-old"), _staged(archive, b"new", ".fetch-new")
    cut_short = _staged(archive, b"par", "..fetch-cut.12.34.part")  # SFTP's download in progress
    _age(stale, days=1)
    _age(cut_short, days=1)
    stored = archive.store_staged(_staged(archive, b"ISA*00*kept~", ".fetch-linked"))
    _age(tmp_path / ".incoming" / ".fetch-linked", days=1)  # a second name of an archived payload
    report = archive.prune(timedelta(days=30), keep=[])
    assert report.temp_removed == 3 and not stale.exists() and not cut_short.exists() and fresh.exists()
    assert archive.read(stored.sha256) == b"ISA*00*kept~"  # only the scratch name went


def test_the_database_archive_puts_a_staged_download(engine: Engine, tmp_path: Path) -> None:
    host_a = DatabaseArchive(tmp_path / "a", engine)
    stored = host_a.store_staged(_staged(host_a, b"ISA*00*via sftp~"))
    assert DatabaseArchive(tmp_path / "b", engine).read(stored.sha256) == b"ISA*00*via sftp~"
