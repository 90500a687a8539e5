"""The SFTP mailbox against a real OpenSSH sshd on loopback: pickup, partial files, crash safety,
uploads with rename, host key pinning, server down then back, clear errors."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from gateway.transports import open_mailbox
from gateway.transports.base import TransportError
from gateway.transports.sftp import SftpMailbox

HERE = Path(__file__).resolve().parent


def test_pickup_oldest_first_skipping_temporary_names(sshd, sftp_box, tmp_path):
    config = sftp_box(stable_seconds=0)
    inbox = sshd.root / config.inbox
    for name, mtime in (("b.edi", 200), ("a.edi", 100), (".hidden", 50), ("c.edi.part", 60)):
        (inbox / name).write_bytes(name.encode() * 10)
        os.utime(inbox / name, (mtime, mtime))
    (inbox / "folder").mkdir()
    with open_mailbox("warehouse", config) as box:
        ready = box.list_ready()
        assert [item.name for item in ready] == ["a.edi", "b.edi"]
        assert ready[0].size == len(b"a.edi") * 10
        box.fetch(ready[0], tmp_path / "a.edi")
        assert (tmp_path / "a.edi").read_bytes() == b"a.edi" * 10
        assert (inbox / "a.edi").exists(), "fetch never removes the remote file"
        box.acknowledge(ready[0])
        assert not (inbox / "a.edi").exists()
        box.acknowledge(ready[0])  # already gone is fine
    assert not list(tmp_path.glob(".*.part"))


def test_acknowledge_moves_to_processed_under_a_free_name(sshd, sftp_box, tmp_path):
    config = sftp_box(stable_seconds=0)
    config = config.model_copy(update={"processed": config.inbox.replace("/in", "/done")})
    inbox, done = sshd.root / config.inbox, sshd.root / config.processed
    (done / "x.edi").write_bytes(b"earlier")
    (inbox / "x.edi").write_bytes(b"later")
    with SftpMailbox("warehouse", config) as box:
        [item] = box.list_ready()
        box.fetch(item, tmp_path / "x")
        box.acknowledge(item)
    assert (done / "x.edi").read_bytes() == b"earlier"
    assert (done / "x.1.edi").read_bytes() == b"later"
    assert not (inbox / "x.edi").exists()


def test_growing_file_is_not_taken_until_its_size_is_stable(sshd, sftp_box):
    config = sftp_box(stable_seconds=5)
    growing = sshd.root / config.inbox / "big.edi"
    growing.write_bytes(b"ISA*00*" * 100)
    clock = [1000.0]
    slept: list[float] = []

    def writer_appends_while_we_wait(seconds: float) -> None:
        slept.append(seconds)
        clock[0] += seconds
        with open(growing, "ab") as fh:
            fh.write(b"more")

    box = SftpMailbox("warehouse", config, sleep=writer_appends_while_we_wait, clock=lambda: clock[0])
    with box:
        assert box.list_ready() == []
        assert slept == [5]

        def writer_done(seconds: float) -> None:
            slept.append(seconds)
            clock[0] += seconds

        box._sleep = writer_done
        [item] = box.list_ready()  # unchanged across this call's two looks
        assert item.size == growing.stat().st_size
        # A third poll after stable_seconds takes it on the remembered look, without waiting.
        clock[0] += 10
        count = len(slept)
        assert [i.name for i in box.list_ready()] == ["big.edi"]
        assert len(slept) == count


def test_assume_complete_takes_files_without_waiting(sshd, sftp_box):
    config = sftp_box(stable_seconds=30, assume_complete=True)
    (sshd.root / config.inbox / "x.edi").write_bytes(b"x")

    def never(_seconds: float) -> None:
        raise AssertionError("must not wait")

    with SftpMailbox("warehouse", config, sleep=never) as box:
        assert [i.name for i in box.list_ready()] == ["x.edi"]


def test_upload_writes_a_temporary_name_then_renames(sshd, sftp_box):
    config = sftp_box()
    outbox = sshd.root / config.outbox
    data = bytes(range(256)) * 1000
    with SftpMailbox("amazon-us", config) as box:
        receipt = box.send("INV001.edi", data)
        assert receipt.delivered and receipt.ref == f"{config.outbox}/INV001.edi"
        assert (outbox / "INV001.edi").read_bytes() == data
        # A second file under the same name never overwrites the first.
        second = box.send("INV001.edi", b"other")
        assert second.ref == f"{config.outbox}/INV001.1.edi"
    assert (outbox / "INV001.edi").read_bytes() == data
    assert sorted(p.name for p in outbox.iterdir()) == ["INV001.1.edi", "INV001.edi"]


def test_upload_naming_rule(sshd, sftp_box):
    config = sftp_box(upload_name="ACME_{stem}_{timestamp}{suffix}", upload_temp_name="{name}.tmp")
    with SftpMailbox("amazon-us", config) as box:
        receipt = box.send("INV002.edi", b"ISA")
    name = receipt.ref.rsplit("/", 1)[1]
    assert name.startswith("ACME_INV002_") and name.endswith(".edi")
    assert [p.name for p in (sshd.root / config.outbox).iterdir()] == [name]


@given(
    filename=st.from_regex(r"[A-Za-z0-9_.-]{1,40}", fullmatch=True).filter(lambda n: n not in (".", "..")),
    rule=st.sampled_from(
        ["{name}", "{stem}{suffix}", "ACME_{stem}_{timestamp}{suffix}", "{timestamp}-{name}"]
    ),
)
def test_naming_rules_give_plain_names(filename, rule):
    from gateway.config.partners import SftpMailbox as SftpConfig

    config = SftpConfig.model_validate(
        {"name": "s", "type": "sftp", "host": "h", "username": "u", "password_env": "X", "known_hosts": "k",
         "upload_name": rule}
    )  # fmt: skip
    name = SftpMailbox("p", config).remote_name(filename)
    assert "/" not in name and name
    assert filename in name or (rule != "{name}" and filename.rpartition(".")[0] in name)


@pytest.mark.parametrize("rule", ["{name}/x", "{nope}", "{name"])
def test_bad_naming_rules_are_refused_by_the_profile(rule):
    from gateway.config.partners import SftpMailbox as SftpConfig

    with pytest.raises(ValidationError):
        SftpConfig.model_validate(
            {"name": "s", "type": "sftp", "host": "h", "username": "u", "password_env": "X", "known_hosts": "k",
             "upload_name": rule}
        )  # fmt: skip


def test_unknown_host_key_is_refused(sshd, sftp_box, tmp_path):
    config = sftp_box()
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    box = SftpMailbox("warehouse", config.model_copy(update={"known_hosts": empty}))
    with pytest.raises(TransportError, match=r"is not in .*empty_known_hosts") as info:
        box.list_ready()
    assert info.value.retryable is False


def test_changed_host_key_is_refused(sshd, sftp_box, tmp_path):
    config = sftp_box()
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    kind, blob = other.with_suffix(".pub").read_text().split()[:2]
    wrong = tmp_path / "wrong_known_hosts"
    wrong.write_text(f"[127.0.0.1]:{sshd.port} {kind} {blob}\n")
    box = SftpMailbox("warehouse", config.model_copy(update={"known_hosts": wrong}))
    with pytest.raises(TransportError, match="does not match") as info:
        box.send("x.edi", b"x")
    assert info.value.retryable is False
    assert not list((sshd.root / config.outbox).iterdir())


def test_wrong_client_key_is_refused_without_leaking_the_passphrase(sshd, sftp_box, tmp_path, monkeypatch):
    stranger = tmp_path / "stranger"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "s3cret-pass", "-f", str(stranger)], check=True
    )
    monkeypatch.setenv("ACORN_TEST_KEY_PASS", "s3cret-pass")
    config = sftp_box(key_file=str(stranger), key_passphrase_env="ACORN_TEST_KEY_PASS")
    with pytest.raises(TransportError, match="refused our credentials") as info:
        SftpMailbox("warehouse", config).list_ready()
    assert "s3cret-pass" not in str(info.value)
    monkeypatch.setenv("ACORN_TEST_KEY_PASS", "not-it")
    with pytest.raises(TransportError, match="wrong passphrase") as info:
        SftpMailbox("warehouse", config).list_ready()
    assert "not-it" not in str(info.value)


def test_missing_known_hosts_file_is_a_clear_error(sftp_box, tmp_path):
    config = sftp_box().model_copy(update={"known_hosts": tmp_path / "nope"})
    with pytest.raises(TransportError, match=r"cannot read known_hosts file .*nope"):
        SftpMailbox("warehouse", config).list_ready()


def test_server_down_then_back(make_sshd, sftp_profile, tmp_path):
    server = make_sshd()
    config = sftp_profile(server, "box", stable_seconds=0)
    (server.root / "box/in/po.edi").write_bytes(b"ISA*PO~")
    box = SftpMailbox("warehouse", config)
    with pytest.raises(TransportError, match=r"cannot connect to .*Connection refused") as info:
        box.list_ready()
    assert info.value.retryable is True
    server.start()
    assert [i.name for i in box.list_ready()] == ["po.edi"]
    server.stop()  # the live session dies with the server
    with pytest.raises(TransportError) as info:
        box.list_ready()
    assert info.value.retryable is True
    server.start()
    [item] = box.list_ready()  # reconnects on its own
    box.fetch(item, tmp_path / "po.edi")
    box.acknowledge(item)
    box.close()
    assert (tmp_path / "po.edi").read_bytes() == b"ISA*PO~"
    assert not (server.root / "box/in/po.edi").exists()


def test_sha1_only_server_is_a_clear_error(make_sshd, sftp_profile):
    """paramiko 5 has no SHA-1 key exchange: an old server fails with a message that says so."""
    server = make_sshd("KexAlgorithms diffie-hellman-group14-sha1")
    server.start()
    box = SftpMailbox("warehouse", sftp_profile(server, "old"))
    with pytest.raises(TransportError, match="offers no algorithm we accept") as info:
        box.list_ready()
    assert info.value.retryable is False


def run_pipeline(config_path: Path, db: Path, spool: Path, crash_at: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(HERE / "sftp_crash_child.py"), str(config_path), str(db), str(spool), crash_at],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("crash_at", ["after_fetch", "after_commit"])
def test_crash_between_download_and_remote_delete(sshd, sftp_box, tmp_path, crash_at):
    """kill -9 a real process mid-way: the remote file stays, and a restart takes it exactly once."""
    config = sftp_box(stable_seconds=0)
    payload = b"ISA*00*          *00*          *ZZ*ACME3PL~" * 50
    (sshd.root / config.inbox / "asn1.edi").write_bytes(payload)
    config_path = tmp_path / "mailbox.json"
    config_path.write_text(config.model_dump_json())
    db, spool = tmp_path / "pipeline.sqlite", tmp_path / "spool"
    spool.mkdir()

    child = run_pipeline(config_path, db, spool, crash_at)
    assert child.stdout is not None
    line = child.stdout.readline().strip()
    assert line == f"CRASH-POINT {crash_at}", child.stderr.read() if child.stderr else ""
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    child.stdout.close()
    child.stderr.close()  # type: ignore[union-attr]
    assert (sshd.root / config.inbox / "asn1.edi").read_bytes() == payload, "the remote file must survive"

    restart = run_pipeline(config_path, db, spool, "never")
    out, err = restart.communicate(timeout=60)
    assert restart.returncode == 0, err
    report = json.loads(out.strip().splitlines()[-1])
    assert report == {
        "ingested": [] if crash_at == "after_commit" else ["asn1.edi"],
        "duplicates": ["asn1.edi"] if crash_at == "after_commit" else [],
    }
    assert not (sshd.root / config.inbox / "asn1.edi").exists()
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT name, sha256 FROM messages").fetchall()
    assert rows == [("asn1.edi", hashlib.sha256(payload).hexdigest())]
