"""Every setting of ``config.example.yaml`` (the file README tells a newcomer to copy) takes effect:
each test loads the example, changes one setting, and observes the gateway doing what it says."""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import text
from sqlmodel import select
from werkzeug.security import generate_password_hash

from gateway.cli import cli
from gateway.config import load_settings
from gateway.console import create_app, limits
from gateway.outbound.alerts import Alert, deliver
from gateway.service import pipeline
from gateway.service.retention import prune_archive
from gateway.service.runtime import Runtime
from gateway.service.scheduler import Gateway
from gateway.store import session_scope, upgrade_database
from gateway.store.models import ConsoleSession, Message, User, utcnow
from gateway.transports.base import TransportError
from tests.conftest import NEEDS_PG, copy_partners, pg_schema
from tests.money.test_aging_alerts import Smtp

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config.example.yaml"
SAMPLE = ROOT / "tests" / "data" / "messages" / "x12_4010_850_new_po.edi"


def example_with(tmp_path: Path, **changes: Any) -> Path:
    """config.example.yaml in a home under ``tmp_path`` with ``changes`` (``a__b=value`` for a.b)."""
    copy_partners(tmp_path / "partners", dirs_exist_ok=True)
    shutil.copytree(ROOT / "mappings", tmp_path / "mappings", dirs_exist_ok=True)
    tree = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    for key, value in changes.items():
        *parents, leaf = key.split("__")
        node = tree
        for part in parents:
            if node.get(part) is None:  # an empty section in the example (alerts:)
                node[part] = {}
            node = node[part]
        node[leaf] = value
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(tree), encoding="utf-8")
    return config


def open_runtime(config: Path) -> Runtime:
    settings = load_settings(config, env={})
    upgrade_database(settings.database_url)  # an engine of its own, disposed
    return Runtime.open(config, settings=settings)


@pytest.fixture
def runtime_with(tmp_path: Path) -> Iterator[Any]:
    opened: list[Runtime] = []

    def make(**changes: Any) -> Runtime:
        runtime = open_runtime(example_with(tmp_path, **changes))
        opened.append(runtime)
        return runtime

    yield make
    for runtime in opened:
        runtime.close()


def test_the_example_is_what_a_newcomer_gets(tmp_path: Path) -> None:
    settings = load_settings(example_with(tmp_path), env={})
    assert settings.database_url.startswith("sqlite:///") and settings.scheduler.poll_interval_seconds == 30


def test_database_url_and_archive_dir(runtime_with, tmp_path: Path) -> None:
    runtime = runtime_with(database_url="sqlite:///elsewhere.sqlite3", archive_dir="vault")
    pipeline.ingest(runtime, SAMPLE.read_bytes(), "po.edi", mailbox="local")
    assert (tmp_path / "elsewhere.sqlite3").is_file() and not (tmp_path / "acorn.sqlite3").exists()
    assert any(p.is_file() for p in (tmp_path / "vault").rglob("*"))


def test_partners_dir_and_mappings_dir(runtime_with, tmp_path: Path) -> None:
    copy_partners(tmp_path / "profiles")
    shutil.copytree(ROOT / "mappings", tmp_path / "maps")
    (tmp_path / "profiles" / "warehouse.yaml").unlink()
    runtime = runtime_with(partners_dir="profiles", mappings_dir="maps")
    assert "warehouse" not in runtime.partners.names() and "amazon-us" in runtime.partners.names()
    assert runtime.settings.mappings_dir == tmp_path / "maps"
    assert runtime.mappings.root == tmp_path / "maps"


def _aged_payload(runtime: Runtime, days: int) -> Path:
    """A done message whose archived payload (like every other) was last stored ``days`` ago; its file."""
    outcome = pipeline.ingest(runtime, SAMPLE.read_bytes(), "po.edi", mailbox="local")
    assert outcome.state == "done"
    with session_scope(runtime.engine) as session:
        sha256 = session.get(Message, outcome.message_id).sha256  # type: ignore[union-attr]
    then = time.time() - days * 86400
    for path in runtime.archive.root.glob("??/*"):
        os.utime(path, (then, then))
    return runtime.archive.root / runtime.archive.key_for(sha256)


def test_archive_retention_days(runtime_with) -> None:
    runtime = runtime_with(archive_retention_days=3)
    old = _aged_payload(runtime, days=5)
    report = prune_archive(runtime)
    assert report is not None and report.removed >= 1 and not old.exists()


def test_archive_retention_days_longer_or_empty_keeps_it(runtime_with) -> None:
    runtime = runtime_with(archive_retention_days=10)
    old = _aged_payload(runtime, days=5)
    report = prune_archive(runtime)
    assert report is not None and report.removed == 0 and old.is_file()
    assert prune_archive(runtime_with(archive_retention_days=None)) is None and old.is_file()


@pytest.fixture
def pg_url() -> Iterator[str]:
    with pg_schema("set") as url:
        yield url


@NEEDS_PG
@pytest.mark.parametrize("backend", ["folder", "database"])
def test_archive_backend(pg_url: str, runtime_with, backend: str) -> None:
    runtime = runtime_with(database_url=pg_url, archive_backend=backend)
    outcome = pipeline.ingest(runtime, SAMPLE.read_bytes(), "po.edi", mailbox="local")
    with session_scope(runtime.engine) as session:
        sha256 = session.get(Message, outcome.message_id).sha256  # type: ignore[union-attr]
    with runtime.engine.connect() as conn:
        blobs = set(conn.execute(text("SELECT sha256 FROM archive_blobs")).scalars())
    cached = runtime.archive.root / runtime.archive.key_for(sha256)
    cached.unlink()  # this host's copy gone: only the database archive still has it
    if backend == "database":
        assert sha256 in blobs and runtime.archive.read(sha256) == SAMPLE.read_bytes() and cached.is_file()
    else:
        assert blobs == set() and not runtime.archive.exists(sha256)


def test_archive_backend_database_is_refused_on_sqlite(tmp_path: Path) -> None:
    config = example_with(tmp_path, archive_backend="database")
    result = CliRunner().invoke(cli, ["--config", str(config), "messages"], obj={}, env={"ACORN_CONFIG": ""})
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "archive_backend: database needs a PostgreSQL database_url" in result.output
    assert not (tmp_path / "acorn.sqlite3").exists()


def test_console_cookie_lifetime_limits_and_secret(runtime_with, tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("a-secret-from-a-file-0123456789", encoding="utf-8")
    runtime = runtime_with(
        console__session_cookie_secure=True,
        console__session_cookie_samesite="Strict",
        console__session_lifetime_minutes=15,
        console__login_limit_per_user="2 per minute",
        console__login_limit_per_address="9 per hour",
        console__secret_file="secret.txt",
    )
    app = create_app(runtime)
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["SESSION_COOKIE_SAMESITE"] == "Strict"
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(minutes=15)
    assert app.config[limits.PER_USER_KEY] == "2 per minute"
    assert app.config[limits.PER_ADDRESS_KEY] == "9 per hour"
    assert app.secret_key == "a-secret-from-a-file-0123456789"


def test_console_host_and_port(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = example_with(tmp_path, console__host="127.0.0.2", console__port=18181)
    (tmp_path / "secret.txt").write_text("another-secret-from-a-file-0123", encoding="utf-8")
    CliRunner().invoke(cli, ["--config", str(config), "db", "upgrade"], obj={})
    bound: list[tuple[str, int]] = []
    monkeypatch.setattr("gateway.cli.console_cmds.serve", lambda app, host, port: bound.append((host, port)))
    env = {"ACORN_CONFIG": "", "ACORN_CONSOLE_SECRET": "x" * 32}
    result = CliRunner().invoke(cli, ["--config", str(config), "console"], obj={}, env=env)
    assert result.exit_code == 0, result.output
    assert bound == [("127.0.0.2", 18181)]


def test_scheduler_settings(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    config = example_with(
        tmp_path,
        scheduler__poll_interval_seconds=11,
        scheduler__outbox_interval_seconds=7,
        scheduler__backoff_initial_seconds=2,
        scheduler__backoff_max_seconds=3,
        scheduler__workers=3,
    )
    _mailboxes_without_interval(tmp_path)
    runtime = open_runtime(config)
    try:
        _scheduler(Gateway(runtime), caplog)
    finally:
        runtime.close()


def _mailboxes_without_interval(home: Path) -> None:
    for profile in (home / "partners").glob("*.yaml"):  # every mailbox takes the default
        content = profile.read_text(encoding="utf-8")
        profile.write_text(re.sub(r"\n *interval: \d+", "", content), encoding="utf-8")


def _scheduler(gateway: Gateway, caplog: pytest.LogCaptureFixture) -> None:
    assert {interval for _p, _m, interval in gateway.mailbox_targets().values()} == {11}
    assert gateway.scheduler._executors["default"]._pool._max_workers == 3
    gateway.start()
    try:
        outbox = gateway.scheduler.get_job("outbox")
        assert outbox.trigger.interval == timedelta(seconds=7)
    finally:
        gateway.stop()


def test_scheduler_backoff(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = example_with(
        tmp_path, scheduler__backoff_initial_seconds=100, scheduler__backoff_max_seconds=250
    )
    runtime = open_runtime(config)

    def unreachable(*_args: Any, **_kwargs: Any) -> Any:
        raise TransportError("amazon-us/local: connection refused")

    monkeypatch.setattr("gateway.service.scheduler.mailboxes.poll_mailbox", unreachable)
    try:
        gateway = Gateway(runtime)
        waits = []
        for _ in range(4):
            gateway.not_before.clear()  # the next run comes now, not after the wait
            before = utcnow()
            gateway.poll("amazon-us", "local", 1)
            waits.append(round((gateway.not_before["poll:amazon-us/local"] - before).total_seconds()))
    finally:
        runtime.close()
    assert waits == [100, 200, 250, 250]  # initial, doubled, then capped by backoff_max_seconds


def test_logging_level_and_format(tmp_path: Path) -> None:
    config = example_with(tmp_path, logging__level="WARNING", logging__format="json")
    env = {"ACORN_CONFIG": ""}
    result = CliRunner().invoke(cli, ["--config", str(config), "db", "upgrade"], obj={}, env=env)
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(cli, ["--config", str(config), "messages"], obj={}, env=env)
    assert result.exit_code == 0, result.output
    root = logging.getLogger()
    assert root.level == logging.WARNING
    [handler] = [h for h in root.handlers if getattr(h, "_acorn", False)]
    record = logging.LogRecord("t", logging.WARNING, __file__, 1, "hello", None, None)
    assert json.loads(handler.format(record))["message"] == "hello"


class _Hook(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:
        _Hook.received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_alerts_webhook_url(tmp_path: Path) -> None:
    httpd = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{httpd.server_port}/acorn"
        settings = load_settings(example_with(tmp_path, alerts__webhook_url=url), env={})
        alert = Alert(kind="po_not_shipped", partner="amazon-us", severity="warning", message="late")
        report = deliver([alert], settings.alerts)
    finally:
        httpd.shutdown()
        httpd.server_close()
    assert report.webhook and _Hook.received and b"po_not_shipped" in _Hook.received[-1]


def test_alerts_email(tmp_path: Path) -> None:
    server = Smtp()
    try:
        email = {"to": ["edi@example.com", "ops@example.com"], "sender": "gw@example.com"}
        email |= {"smtp_host": "127.0.0.1", "smtp_port": server.port}
        settings = load_settings(example_with(tmp_path, alerts__email=email), env={})
        alert = Alert(kind="payment_overdue", partner="amazon-us", severity="warning", message="late")
        report = deliver([alert], settings.alerts)
    finally:
        server.close()
    assert report.email is True and report.webhook is None
    [(sender, recipients, body)] = server.messages
    assert sender == "gw@example.com" and recipients == ["edi@example.com", "ops@example.com"]
    assert "payment_overdue" in body


def _console(runtime: Runtime) -> Any:
    with session_scope(runtime.engine) as session:
        for name in ("ops", "eve"):
            session.add(
                User(username=name, password_hash=generate_password_hash("right password"), role="viewer")
            )
    return create_app(runtime, {"SECRET_KEY": "a-test-secret-0123456789abcdef"}).test_client()


def _login(client: Any, username: str, password: str, address: str = "10.1.1.1") -> Any:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    form = {"username": username, "password": password, "csrf_token": token}
    return client.post("/login", data=form, environ_base={"REMOTE_ADDR": address})


def test_login_limit_per_user_locks_out_after_the_set_number(runtime_with) -> None:
    client = _console(runtime_with(console__login_limit_per_user="2 per minute"))
    assert [_login(client, "ops", "wrong").status_code for _ in range(2)] == [401, 401]
    assert _login(client, "ops", "right password").status_code == 429  # right or not, it waits
    assert _login(client, "eve", "right password").status_code == 302  # another user is not affected


def test_login_limit_per_address(runtime_with) -> None:
    client = _console(runtime_with(console__login_limit_per_address="3 per minute"))
    assert [_login(client, name, "wrong").status_code for name in ("a", "b", "c")] == [401, 401, 401]
    assert _login(client, "ops", "right password").status_code == 429
    assert _login(client, "ops", "right password", address="10.9.9.9").status_code == 302


def test_console_cookie_flags_and_lifetime_on_a_real_login(runtime_with) -> None:
    runtime = runtime_with(
        console__session_cookie_secure=True,
        console__session_cookie_samesite="Strict",
        console__session_lifetime_minutes=15,
    )
    response = _login(_console(runtime), "ops", "right password")
    assert response.status_code == 302
    [cookie] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("acorn_session=")]
    assert "Secure" in cookie and "SameSite=Strict" in cookie
    with session_scope(runtime.engine) as session:
        [row] = session.exec(select(ConsoleSession)).all()
        assert row.expires_at - row.created_at == timedelta(minutes=15)


def test_an_environment_variable_overrides_the_file(tmp_path: Path) -> None:
    config = example_with(tmp_path, scheduler__poll_interval_seconds=11)
    _mailboxes_without_interval(tmp_path)
    settings = load_settings(config, env={"ACORN_SCHEDULER__POLL_INTERVAL_SECONDS": "13"})
    runtime = Runtime.open(config, settings=settings)
    try:
        targets = Gateway(runtime).mailbox_targets()
    finally:
        runtime.close()
    assert targets and {interval for _p, _m, interval in targets.values()} == {13}
