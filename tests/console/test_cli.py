"""``acorn users ...`` through click's runner, and ``acorn console`` as a real server process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from click.testing import CliRunner
from sqlmodel import select

from gateway.cli import cli
from gateway.console import users
from gateway.store import make_engine, session_scope
from gateway.store.models import User
from tests.console.conftest import make_home


def run(config: Path, *args: str, stdin: str | None = None):
    return CliRunner().invoke(cli, ["--config", str(config), *args], obj={}, env={}, input=stdin)


def _user(config: Path, name: str) -> User:
    engine = make_engine(f"sqlite:///{config.parent / 'acorn.sqlite3'}")
    try:
        with session_scope(engine) as session:
            return session.exec(select(User).where(User.username == name)).one()
    finally:
        engine.dispose()


def test_users_add_passwd_role_list_token(tmp_path: Path) -> None:
    config = make_home(tmp_path / "gw")
    added = run(
        config, "users", "add", "alice", "--role", "operator", "--password-stdin", stdin="s3cret-pass\n"
    )
    assert added.exit_code == 0, added.output
    assert "user alice added (operator)" in added.output
    alice = _user(config, "alice")
    assert alice.role == "operator" and alice.password_hash.startswith("scrypt:")
    assert "s3cret-pass" not in alice.password_hash

    prompted = run(config, "users", "add", "bob", stdin="another-pass\nanother-pass\n")
    assert prompted.exit_code == 0, prompted.output
    assert _user(config, "bob").role == "viewer"

    assert (
        run(config, "users", "passwd", "alice", "--password-stdin", stdin="brand-new-pass\n").exit_code == 0
    )
    assert _user(config, "alice").password_hash != alice.password_hash
    assert run(config, "users", "role", "bob", "admin").exit_code == 0
    assert run(config, "users", "disable", "bob").exit_code == 0

    token = run(config, "users", "token", "alice")
    assert token.exit_code == 0
    value = token.stdout.strip()
    assert value.startswith("acorn_") and len(value) > 40
    assert _user(config, "alice").api_token_hash == users.hash_token(value)

    listing = run(config, "users", "list")
    assert "alice\toperator\tlast login never\t(API token)" in listing.output
    assert "bob\tadmin\tlast login never\t(disabled)" in listing.output
    assert value not in listing.output

    assert run(config, "users", "token", "alice", "--revoke").exit_code == 0
    assert _user(config, "alice").api_token_hash is None


def test_users_errors_are_one_line_and_exit_2(tmp_path: Path) -> None:
    config = make_home(tmp_path / "gw")
    run(config, "users", "add", "carol", "--password-stdin", stdin="long-enough\n")
    cases = [
        (("users", "add", "carol", "--password-stdin"), "long-enough\n", "user 'carol' already exists"),
        (("users", "add", "dave", "--password-stdin"), "short\n", "at least 8 characters"),
        (("users", "passwd", "nobody", "--password-stdin"), "long-enough\n", "no user 'nobody'"),
        (("users", "token", "nobody"), None, "no user 'nobody'"),
    ]
    for args, stdin, message in cases:
        result = run(config, *args, stdin=stdin)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.output
        assert "Traceback" not in result.output
    mismatch = run(config, "users", "add", "erin", stdin="first-pass\nsecond-pass\nfirst-pass\nfirst-pass\n")
    assert mismatch.exit_code == 0  # click asks again when the two entries differ


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _serve(config: Path, env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    port = _free_port()
    acorn = Path(sys.executable).with_name("acorn")
    proc = subprocess.Popen(
        [str(acorn), "--config", str(config), "console", "--port", str(port)],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("ACORN_")}, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=2).close()
            return proc, port
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"the console did not start: {proc.communicate()[1]}")


def _stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    try:
        _out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        _out, err = proc.communicate()
    return err


def test_acorn_console_serves_and_never_prints_the_secret(tmp_path: Path) -> None:
    config = make_home(tmp_path / "gw")
    secret = "console-secret-value-for-the-test-0123456789"
    proc, port = _serve(config, {"ACORN_CONSOLE_SECRET": secret})
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login") as response:
            page = response.read().decode()
            cookie = response.headers["Set-Cookie"]
        assert "Log in" in page and secret not in page
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz")
        except urllib.error.HTTPError as exc:
            assert exc.code == 503  # no scheduler runs in this test
            assert secret not in exc.read().decode()
    finally:
        err = _stop(proc)
    assert secret not in err
    assert "no console session key" not in err


def test_without_a_secret_the_console_warns_and_makes_one(tmp_path: Path) -> None:
    config = make_home(tmp_path / "gw")
    proc, _port = _serve(config, {})
    err = _stop(proc)
    assert "no console session key is configured" in err
    assert "sessions end when it restarts" in err


def test_a_port_in_use_is_one_clear_line(tmp_path: Path) -> None:
    config = make_home(tmp_path / "gw")
    acorn = Path(sys.executable).with_name("acorn")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ACORN_")},
        "ACORN_CONSOLE_SECRET": "x" * 32,
    }
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [str(acorn), "--config", str(config), "console", "--port", str(port)],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert result.returncode == 2, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
