"""Errors a newcomer understands: one readable line and status 2, never a traceback or a quiet default."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from gateway.cli import cli
from gateway.cli.runlock import run_lock
from gateway.config import load_settings
from gateway.service.runtime import Runtime
from gateway.service.scheduler import Gateway
from tests.conftest import copy_partners

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data" / "messages"
DEAD_DB = "postgresql+psycopg://acorn:topsecretpw@127.0.0.1:1/none?connect_timeout=1"


def home(tmp_path: Path, extra: str = "", *, demo: bool = False) -> Path:
    copy_partners(tmp_path / "partners", demo=demo)
    shutil.copytree(ROOT / "mappings", tmp_path / "mappings")
    config = tmp_path / "config.yaml"
    config.write_text(
        "database_url: sqlite:///acorn.sqlite3\narchive_dir: archive\npartners_dir: partners\n"
        "mappings_dir: mappings\n" + extra,
        encoding="utf-8",
    )
    return config


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), obj={}, env={"ACORN_CONFIG": "", **(env or {})})


def test_a_named_config_file_that_is_not_there(tmp_path: Path) -> None:
    result = run("--config", str(tmp_path / "nonexist.yaml"), "messages")
    assert result.exit_code == 2
    assert f"no such config file: {tmp_path / 'nonexist.yaml'}" in result.output
    assert "mappings_dir" not in result.output


@pytest.mark.parametrize("command", [("db", "upgrade"), ("partners", "check"), ("messages",)])
def test_no_config_yaml_is_said_and_creates_nothing(tmp_path: Path, monkeypatch, command) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(*command)
    assert result.exit_code == 2, result.output
    assert "no config.yaml in" in result.output and "--config" in result.output
    assert "partner(s) valid" not in result.output
    assert list(tmp_path.iterdir()) == []  # no ./acorn.sqlite3


def test_an_empty_partners_folder_is_not_valid(tmp_path: Path) -> None:
    config = home(tmp_path)
    shutil.rmtree(tmp_path / "partners")
    (tmp_path / "partners").mkdir()
    result = run("--config", str(config), "partners", "check")
    assert result.exit_code == 2
    assert "holds no *.yaml profile" in result.output


def test_config_works_after_the_subcommand(tmp_path: Path) -> None:
    config = home(tmp_path)
    result = run("partners", "check", "--config", str(config))
    assert result.exit_code == 0, result.output
    assert "4 partner(s) valid" in result.output
    assert run("messages", f"--config={config}").exit_code == 0


def test_an_unknown_state_or_partner_lists_the_valid_ones(tmp_path: Path) -> None:
    config = home(tmp_path)
    result = run("--config", str(config), "messages", "--state", "bogus")
    assert result.exit_code == 2
    assert "'bogus' is not one of" in result.output and "'failed'" in result.output
    result = run("--config", str(config), "messages", "--partner", "nobody")
    assert result.exit_code == 2
    assert "unknown partner 'nobody'" in result.output and "amazon-us" in result.output


def test_a_replay_that_fails_exits_non_zero(tmp_path: Path) -> None:
    config = home(tmp_path)
    bad = tmp_path / "bad.edi"
    shutil.copyfile(DATA / "bad_x12_850_se_count.edi", bad)
    ingest = run("--config", str(config), "ingest", str(bad))
    assert ingest.exit_code == 2 and "failed" in ingest.output
    message_id = re.search(r"message (\d+): failed", ingest.output).group(1)
    result = run("--config", str(config), "replay", message_id, "--reason", "try again")
    assert "failed" in result.output
    assert result.exit_code == 2


@pytest.mark.parametrize("command", [("messages",), ("run", "--once", "--no-console")])
def test_an_unreachable_database_is_one_line(tmp_path: Path, command) -> None:
    config = home(tmp_path)
    result = run("--config", str(config), *command, env={"ACORN_DATABASE_URL": DEAD_DB})
    assert result.exit_code == 2, result.output
    assert "cannot reach the database" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    assert "topsecretpw" not in result.output


def test_poll_interval_seconds_is_the_default_of_every_mailbox(tmp_path: Path) -> None:
    config = home(tmp_path, "scheduler:\n  poll_interval_seconds: 7\n")
    profile = tmp_path / "partners" / "warehouse.yaml"  # a mailbox that sets no interval of its own
    profile.write_text(
        re.sub(r"\n *interval: \d+", "", profile.read_text(encoding="utf-8")), encoding="utf-8"
    )
    runtime = Runtime.open(config, settings=load_settings(config, env={}))
    try:
        own = {
            f"poll:{p.name}/{b.name}": b.interval for p in runtime.partners for b in p.mailboxes if b.enabled
        }
        targets = Gateway(runtime).mailbox_targets()
    finally:
        runtime.close()
    assert any(v is None for v in own.values())
    for job_id, (_partner, _mailbox, interval) in targets.items():
        assert interval == (own[job_id] or 7)


def test_a_second_gateway_is_refused(tmp_path: Path, monkeypatch) -> None:
    config = home(tmp_path)
    started = []
    monkeypatch.setattr(Gateway, "run_forever", lambda self: started.append(self))
    with run_lock(tmp_path / "archive", config):
        result = run("--config", str(config), "run", "--no-console")
        assert run("--config", str(config), "run", "--once", "--no-console").exit_code == 0  # no lock
    assert result.exit_code == 2
    assert "a gateway is already running" in result.output and started == []
    assert run("--config", str(config), "run", "--no-console").exit_code == 0
    assert len(started) == 1


def test_a_partner_profile_saved_broken_is_one_log_line(tmp_path: Path, caplog) -> None:
    config = home(tmp_path)
    runtime = Runtime.open(config, settings=load_settings(config, env={}))
    try:
        assert "warehouse" in runtime.partners.names()
        profile = tmp_path / "partners" / "warehouse.yaml"
        profile.write_text(profile.read_text(encoding="utf-8") + "\n  bad: [\n", encoding="utf-8")
        with caplog.at_level("ERROR", logger="gateway.service.runtime"):
            runtime.refresh()
        assert "warehouse" in runtime.partners.names()  # the previous profiles are kept
    finally:
        runtime.close()
    [record] = [r for r in caplog.records if r.name == "gateway.service.runtime"]
    assert record.exc_info is None and "\n" not in record.getMessage()
    assert "warehouse.yaml:" in record.getMessage() and "keeping the previous ones" in record.getMessage()
