"""The ``acorn`` group's own rules: global options anywhere, and one readable line for a database
that cannot be reached.

- ``--config FILE`` works before or after the subcommand (``acorn messages --config x.yaml``):
  the group moves it in front before click parses the line.
- A database that refuses the connection, or a URL that names no database, ends any command
  with ``acorn: cannot reach the database URL: reason`` (password masked) and status 2,
  never a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

GLOBAL_OPTIONS = ("--config",)  # options of the group that take a value


def hoist_global_options(args: list[str]) -> list[str]:
    """``args`` with every global option (and its value) moved before the subcommand."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest.extend(args[index:])
            break
        if arg in GLOBAL_OPTIONS and index + 1 < len(args):
            front += [arg, args[index + 1]]
            index += 2
            continue
        if arg.startswith(tuple(f"{name}=" for name in GLOBAL_OPTIONS)):
            front.append(arg)
        else:
            rest.append(arg)
        index += 1
    return front + rest


def safe_url(url: str) -> str:
    """``url`` with any password masked, for printing."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported by the engine; never echo it whole
        return "(database URL)"


def database_problem(exc: Exception) -> str:
    """The first line of a driver's error, without the SQL and the link sqlalchemy adds."""
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


class AcornGroup(click.Group):
    """A click group with the rules in this module's text."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(list(args)))

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (DBAPIError, ArgumentError, NoSuchModuleError) as exc:
            url = (ctx.obj or {}).get("database_url") or ""
            click.echo(f"acorn: cannot reach the database {safe_url(url)}: {database_problem(exc)}", err=True)
            sys.exit(2)
