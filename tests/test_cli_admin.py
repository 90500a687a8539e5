"""``acorn db upgrade`` and ``acorn partners check`` through click's runner."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import inspect

from gateway.cli import cli
from gateway.store import head_revision, make_engine

ROOT = Path(__file__).resolve().parent.parent


def project(tmp_path: Path, config: str = "") -> Path:
    shutil.copytree(ROOT / "partners", tmp_path / "partners")
    (tmp_path / "config.yaml").write_text(config, encoding="utf-8")
    return tmp_path / "config.yaml"


def run(*args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, list(args), obj={}, env=env or {})


def test_db_upgrade_creates_and_reports(tmp_path: Path) -> None:
    config = project(tmp_path, "database_url: sqlite:///state/acorn.sqlite3\n")
    result = run("--config", str(config), "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert head_revision() in result.output
    engine = make_engine(f"sqlite:///{tmp_path / 'state' / 'acorn.sqlite3'}")
    assert "messages" in inspect(engine).get_table_names()
    engine.dispose()
    assert run("--config", str(config), "db", "upgrade").exit_code == 0


def test_db_upgrade_never_prints_the_password(tmp_path: Path) -> None:
    config = project(tmp_path)
    url = "postgresql+psycopg://acorn:topsecretpw@127.0.0.1:1/none?connect_timeout=1"
    result = run("--config", str(config), "db", "upgrade", env={"ACORN_DATABASE_URL": url})
    assert result.exit_code == 2
    assert "topsecretpw" not in result.output
    assert "cannot upgrade" in result.output


def test_partners_check_lists_partners(tmp_path: Path) -> None:
    config = project(tmp_path)
    result = run("--config", str(config), "partners", "check")
    assert result.exit_code == 0, result.output
    for name in ("amazon-us", "amazon-eu", "warehouse", "warehouse-eu"):
        assert name in result.output
    assert "4 partner(s) valid" in result.output


def test_partners_check_reports_file_line_key(tmp_path: Path) -> None:
    config = project(tmp_path)
    bad = tmp_path / "partners" / "warehouse.yaml"
    bad.write_text(
        bad.read_text(encoding="utf-8").replace("interval: 10", "interval: often"), encoding="utf-8"
    )
    line = bad.read_text(encoding="utf-8").splitlines().index("    interval: often") + 1
    result = run("--config", str(config), "partners", "check")
    assert result.exit_code == 2
    assert f"{bad}:{line}: mailboxes[0].interval:" in result.output
    assert "Traceback" not in result.output


def test_partners_check_warns_on_missing_files_and_strict_fails(tmp_path: Path) -> None:
    config = project(tmp_path)
    wh = tmp_path / "partners" / "warehouse.yaml"
    wh.write_text(
        wh.read_text(encoding="utf-8")
        + "  - name: sftp\n    type: sftp\n    host: h\n    username: u\n    password_env: WH_SFTP_PW\n    known_hosts: kh\n",
        encoding="utf-8",
    )
    wh.write_text(
        wh.read_text(encoding="utf-8").replace("mappings: []\n", "") + "mappings: [no-such-overlay]\n",
        encoding="utf-8",
    )
    result = run("--config", str(config), "partners", "check")
    assert result.exit_code == 0, result.output
    assert "WH_SFTP_PW is not set" in result.output
    assert "does not exist" in result.output
    assert "no-such-overlay" in result.output
    assert run("--config", str(config), "partners", "check", "--strict").exit_code == 2


def test_bad_config_file_exits_2(tmp_path: Path) -> None:
    config = project(tmp_path, "console:\n  port: high\n")
    result = run("--config", str(config), "partners", "check")
    assert result.exit_code == 2
    assert f"{config}:2: console.port:" in result.output


def test_a_gateway_without_its_mappings_folder_does_not_start(tmp_path: Path) -> None:
    config = project(tmp_path, "database_url: sqlite:///acorn.sqlite3\nmappings_dir: no-such-folder\n")
    result = run("--config", str(config), "run", "--once")
    assert result.exit_code == 2
    assert "mappings_dir:" in result.output and "no-such-folder is not a folder" in result.output
