"""Errors a newcomer understands: one readable line and status 2, never a traceback or a quiet default."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import click
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


# -- every command, found by walking the click tree -------------------------------------------------

#: commands that read no database (the syntax layer, the mapping files, the profiles)
NO_DATABASE = {("parse",), ("translate",), ("mappings", "check"), ("mappings", "test"), ("partners", "check")}
#: and of those, the ones that need no config.yaml at all (an EDI coordinator's tools)
NO_CONFIG = {("parse",), ("translate",), ("mappings", "check"), ("mappings", "test")}
RECEIVING_REPORT = "PO,Line,ASIN,Received,Receive Date\n4TQ8ZK2M,1,B07XJ8C8F5,10,2026-01-20\n"


def leaf_commands(
    group: click.Group = cli, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], click.Command]]:
    """Every runnable ``acorn`` command (a group that runs on its own, like ``discrepancies``, too)."""
    ctx = click.Context(group)
    found: list[tuple[tuple[str, ...], click.Command]] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        if isinstance(command, click.Group):
            if command.invoke_without_command:
                found.append(((*path, name), command))
            found += leaf_commands(command, (*path, name))
        else:
            found.append(((*path, name), command))
    return found


COMMANDS = leaf_commands()


def invocation(path: tuple[str, ...], command: click.Command, files: Path) -> list[str]:
    """``path`` with a plausible value for every required argument and option."""
    args = list(path)

    def value(param: click.Parameter) -> str:
        if isinstance(param.type, click.Choice):
            return str(param.type.choices[0])
        if isinstance(param.type, click.Path | click.File):
            return str(files / ("report.csv" if path == ("receipts", "import") else "po.edi"))
        if param.name == "partner":
            return "amazon-us"
        if isinstance(param.type, click.types.IntParamType) or (param.name or "").endswith(("_id", "_ids")):
            return "1"
        return "why not"

    for param in command.params:
        if isinstance(param, click.Argument) and (param.required or param.name == "message_ids"):
            args.append(value(param))
        elif isinstance(param, click.Option) and param.required:
            args += [param.opts[0], value(param)]
    if path == ("run",):
        args += ["--once", "--no-console"]
    if "--password-stdin" in {o for p in command.params for o in getattr(p, "opts", [])}:
        args.append("--password-stdin")
    if path == ("invoices", "build"):
        args += ["--shipment", "1"]
    return args


@pytest.fixture
def files(tmp_path: Path) -> Path:
    folder = tmp_path / "files"
    folder.mkdir()
    shutil.copyfile(DATA / "x12_4010_850_new_po.edi", folder / "po.edi")
    (folder / "report.csv").write_text(RECEIVING_REPORT, encoding="utf-8")
    return folder


def _one_readable_line(result, expected: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    lines = [
        line for line in result.output.splitlines() if line.strip() and not line.startswith("upgrading ")
    ]
    assert lines == [lines[0]] and expected in lines[0], result.output


def _ids(commands) -> list[str]:
    return [" ".join(path) for path, _command in commands]


def test_the_walk_finds_the_commands_a_newcomer_meets() -> None:
    names = set(_ids(COMMANDS))
    for expected in ("payments", "claims list", "claims dispute", "inventory send", "receipts import",
                     "archive migrate", "discrepancies", "users add", "run", "db upgrade"):  # fmt: skip
        assert expected in names


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=_ids(COMMANDS))
def test_every_command_with_a_named_config_file_that_is_not_there(
    tmp_path: Path, files: Path, path, command
) -> None:
    missing = tmp_path / "nonexist.yaml"
    result = run("--config", str(missing), *invocation(path, command, files), env={"ACORN_CONFIG": ""})
    _one_readable_line(result, f"acorn: no such config file: {missing}")


NEEDS_CONFIG = [(p, c) for p, c in COMMANDS if p not in NO_CONFIG]


@pytest.mark.parametrize(("path", "command"), NEEDS_CONFIG, ids=_ids(NEEDS_CONFIG))
def test_every_command_without_a_config_yaml(tmp_path: Path, files: Path, monkeypatch, path, command) -> None:
    home_dir = tmp_path / "empty"
    home_dir.mkdir()
    monkeypatch.chdir(home_dir)
    _one_readable_line(run(*invocation(path, command, files)), "no config.yaml in")
    assert list(home_dir.iterdir()) == []  # nothing created


NEEDS_DATABASE = [(p, c) for p, c in COMMANDS if p not in NO_DATABASE]


@pytest.mark.parametrize(("path", "command"), NEEDS_DATABASE, ids=_ids(NEEDS_DATABASE))
def test_every_command_with_an_unreachable_database(tmp_path: Path, files: Path, path, command) -> None:
    config = home(tmp_path)
    args = invocation(path, command, files)
    result = CliRunner().invoke(
        cli, ["--config", str(config), *args], obj={}, input="a long password\n",
        env={"ACORN_CONFIG": "", "ACORN_DATABASE_URL": DEAD_DB},
    )  # fmt: skip
    _one_readable_line(result, "cannot reach the database")
    assert "topsecretpw" not in result.output


WITH_PARTNER = [(p, c) for p, c in COMMANDS if any(q.name == "partner" for q in c.params)]


@pytest.mark.parametrize(("path", "command"), WITH_PARTNER, ids=_ids(WITH_PARTNER))
def test_every_command_with_an_unknown_partner(tmp_path: Path, files: Path, path, command) -> None:
    config = home(tmp_path)
    assert run("--config", str(config), "db", "upgrade").exit_code == 0
    args = invocation(path, command, files)
    if "--partner" in args:
        args[args.index("--partner") + 1] = "nobody"
    else:
        args += ["--partner", "nobody"]
    if path == ("replay",):
        args.append("--failed")
    _one_readable_line(run("--config", str(config), *args), "unknown partner 'nobody'")


WITH_STATE = [
    (p, c, o)
    for p, c in COMMANDS
    for o in c.params
    if isinstance(o, click.Option) and o.name in {"state", "status", "statuses"}
]


@pytest.mark.parametrize(
    ("path", "command", "option"), WITH_STATE, ids=[" ".join(p) for p, _c, _o in WITH_STATE]
)
def test_every_command_with_an_unknown_state(tmp_path: Path, files: Path, path, command, option) -> None:
    config = home(tmp_path)
    assert run("--config", str(config), "db", "upgrade").exit_code == 0
    args = [*invocation(path, command, files), option.opts[0], "bogus"]
    result = run("--config", str(config), *args)
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "'bogus'" in result.output or "unknown status bogus" in result.output, result.output


@pytest.mark.parametrize("command", [("users", "add", "alice"), ("users", "passwd", "alice")])
def test_no_password_is_asked_before_the_config_is_known(tmp_path: Path, monkeypatch, command) -> None:
    monkeypatch.chdir(tmp_path)
    result = run(*command)  # no --password-stdin: it would prompt
    assert "Password" not in result.output
    _one_readable_line(result, "no config.yaml in")


def test_help_needs_no_config_file(tmp_path: Path) -> None:
    result = run("--config", str(tmp_path / "nonexist.yaml"), "messages", "--help")
    assert result.exit_code == 0 and "Usage:" in result.output and "no such config" not in result.output


def test_a_replay_of_a_message_that_is_not_there_exits_non_zero(tmp_path: Path) -> None:
    config = home(tmp_path)
    assert run("--config", str(config), "db", "upgrade").exit_code == 0
    result = run("--config", str(config), "replay", "999", "--reason", "typo")
    assert result.exit_code == 2 and "message 999: missing" in result.output
