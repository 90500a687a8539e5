"""The ``acorn`` group's own rules: global options anywhere, and one readable line for a database
that cannot be reached.

- ``--config FILE`` works before or after the subcommand (``acorn messages --config x.yaml``):
  the group moves it in front before click parses the line.
- A database that refuses the connection, or a URL that names no database, ends any command
  with ``acorn: cannot reach the database URL: reason`` (password masked) and status 2,
  never a traceback.
- Subcommands load lazily: the group holds a table ``name -> ("module:attr", short help)`` and
  imports a command's module only when that command runs (or is asked for its own help), so
  ``acorn --help``, ``acorn parse`` and ``acorn translate`` never import the database, web or
  SFTP libraries. The help listing is printed from the table's short help strings.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

GLOBAL_OPTIONS = ("--config",)  # options of the group that take a value
HELP_ASKED = "acorn.help"  # ctx.meta key: a --help anywhere on the line


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
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported by the engine; never echo it whole
        return "(database URL)"


def database_problem(exc: Exception) -> str:
    """The first line of a driver's error, without the SQL and the link sqlalchemy adds."""
    original = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(original).splitlines() if line.strip()]
    return lines[0] if lines else type(original).__name__


def is_database_error(exc: Exception) -> bool:
    """Whether ``exc`` is sqlalchemy's refused connection or bad URL (without importing sqlalchemy)."""
    if "sqlalchemy" not in sys.modules:
        return False
    from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

    return isinstance(exc, DBAPIError | ArgumentError | NoSuchModuleError)


class AcornGroup(click.Group):
    """A click group with the rules in this module's text."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, tuple[str, str]] = dict(lazy or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in self.lazy:
            module_name, _, attr = self.lazy[cmd_name][0].partition(":")
            command = getattr(importlib.import_module(module_name), attr)
            self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command listing, from the lazy table's help strings (nothing is imported)."""
        rows = []
        for name in self.list_commands(ctx):
            if name in self.lazy:  # the table's text, whether or not the module is loaded yet
                rows.append((name, self.lazy[name][1]))
                continue
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit=formatter.width - 6 - len(name))))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        args = hoist_global_options(list(args))
        options = args[: args.index("--")] if "--" in args else args
        ctx.meta[HELP_ASKED] = any(a in ("-h", "--help") for a in options)  # help needs no config file
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            if not is_database_error(exc):
                raise
            url = (ctx.obj or {}).get("database_url") or ""
            click.echo(f"acorn: cannot reach the database {safe_url(url)}: {database_problem(exc)}", err=True)
            sys.exit(2)
