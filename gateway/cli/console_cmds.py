"""``acorn console`` (serve the status console) and ``acorn users add|passwd|role|disable|enable|list|token``.

Passwords are read from a hidden prompt (asked twice) or, for scripts, from standard input
with ``--password-stdin``; they are never taken as an argument (they would show in ``ps`` and
the shell history). ``acorn users token NAME`` prints a new API token once: only its hash is kept.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

import click
from sqlmodel import Session

from gateway.cli.admin_cmds import settings_from
from gateway.cli.runtime_cmds import open_runtime
from gateway.console import create_app, serve, users
from gateway.console.users import UserError
from gateway.store import session_scope

T = TypeVar("T")


def _fail(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(2)


@click.command("console")
@click.option("--host", help="Address to listen on (default: console.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(1, 65535), help="Port (default: console.port, 8080).")
@click.pass_context
def console_command(ctx: click.Context, host: str | None, port: int | None) -> None:
    """Serve the status console (pages, JSON API, /healthz, /metrics) until Ctrl-C."""
    runtime = open_runtime(ctx)
    settings = runtime.settings.console
    host = host or settings.host
    port = port or settings.port
    try:
        app = create_app(runtime)
        click.echo(f"acorn console on http://{host}:{port}/ (Ctrl-C to stop)", err=True)
        serve(app, host, port)
    except OSError as exc:
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    finally:
        runtime.close()


@click.group("users")
def users_group() -> None:
    """Console users: roles viewer, operator (may replay), admin, finance (may change claims)."""


def _password(ctx: click.Context, from_stdin: bool) -> str:
    """The new password, asked only once the configuration is known to be there and valid."""
    settings_from(ctx)  # a missing or broken config exits 2 before anyone types a password
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return password


def _run(ctx: click.Context, action: Callable[[Session], T]) -> T:
    """Run ``action`` in a committed session; a :class:`UserError` exits 2 with its message."""
    runtime = open_runtime(ctx)
    try:
        with session_scope(runtime.engine) as session:
            return action(session)
    except UserError as exc:
        _fail(str(exc))
    finally:
        runtime.close()


@users_group.command("add")
@click.argument("username")
@click.option(
    "--role",
    type=click.Choice(["viewer", "operator", "admin", "finance"]),
    default="viewer",
    show_default=True,
)
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.pass_context
def add_command(ctx: click.Context, username: str, role: str, password_stdin: bool) -> None:
    """Create a console user."""
    password = _password(ctx, password_stdin)
    _run(ctx, lambda s: users.add_user(s, username, password, role))
    click.echo(f"user {username} added ({role})")


@users_group.command("passwd")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.pass_context
def passwd_command(ctx: click.Context, username: str, password_stdin: bool) -> None:
    """Set a user's password (their open console sessions end)."""
    password = _password(ctx, password_stdin)
    _run(ctx, lambda s: users.set_password(s, username, password))
    click.echo(f"password of {username} changed")


@users_group.command("role")
@click.argument("username")
@click.argument("role", type=click.Choice(["viewer", "operator", "admin", "finance"]))
@click.pass_context
def role_command(ctx: click.Context, username: str, role: str) -> None:
    """Change a user's role."""
    _run(ctx, lambda s: users.set_role(s, username, role))
    click.echo(f"{username} is now {role}")


@users_group.command("disable")
@click.argument("username")
@click.pass_context
def disable_command(ctx: click.Context, username: str) -> None:
    """Stop a user from logging in or using their token."""
    _run(ctx, lambda s: users.set_disabled(s, username, True))
    click.echo(f"{username} disabled")


@users_group.command("enable")
@click.argument("username")
@click.pass_context
def enable_command(ctx: click.Context, username: str) -> None:
    """Let a disabled user in again."""
    _run(ctx, lambda s: users.set_disabled(s, username, False))
    click.echo(f"{username} enabled")


@users_group.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """List users, roles and whether each has an API token."""
    rows = _run(
        ctx,
        lambda s: [
            (u.username, u.role, u.disabled, u.api_token_hash is not None, u.last_login_at)
            for u in users.list_users(s)
        ],
    )
    if not rows:
        click.echo("no users yet: acorn users add NAME --role operator")
    for name, role, disabled, token, last in rows:
        flags = ", ".join(f for f in ("disabled" if disabled else "", "API token" if token else "") if f)
        seen = last.strftime("%Y-%m-%d %H:%M UTC") if last else "never"
        click.echo(f"{name}\t{role}\tlast login {seen}" + (f"\t({flags})" if flags else ""))


@users_group.command("token")
@click.argument("username")
@click.option("--revoke", is_flag=True, help="Remove the user's API token instead.")
@click.option("--expires-days", type=int, default=None, help="The token stops working after this many days.")
@click.pass_context
def token_command(ctx: click.Context, username: str, revoke: bool, expires_days: int | None) -> None:
    """Issue a new API token for USERNAME (shown once; replaces the old one)."""
    if revoke:
        _run(ctx, lambda s: users.revoke_token(s, username))
        click.echo(f"API token of {username} revoked")
        return
    token = _run(ctx, lambda s: users.issue_token(s, username, expires_days))
    click.echo(token)
    click.echo("Shown only this once. Send it as 'Authorization: Bearer <token>'.", err=True)
