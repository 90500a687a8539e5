"""The ``acorn`` command line.

Each subcommand lives in its own module and is registered here explicitly. Commands
print errors as one readable line on stderr and exit with status 2 for bad input or
configuration (never a traceback); 1 is left for unexpected failures.
"""

from __future__ import annotations

import click
from click.core import ParameterSource

from gateway import __version__
from gateway.cli.admin_cmds import db_group, partners_group
from gateway.cli.console_cmds import console_command, users_group
from gateway.cli.group import AcornGroup
from gateway.cli.mapping_cmds import mappings_group, translate_command
from gateway.cli.money_cmds import alerts_group, discrepancies_group, invoices_group, reconcile_command
from gateway.cli.parse_cmd import parse_command
from gateway.cli.runtime_cmds import (
    as2_server_command,
    demo_command,
    ingest_command,
    messages_command,
    prune_command,
    replay_command,
    run_command,
    send_command,
    show_command,
)


@click.group(cls=AcornGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="acorn")
@click.option(
    "--config",
    "config_path",
    envvar="ACORN_CONFIG",
    default="config.yaml",
    show_default=True,
    help="Gateway configuration file (also ACORN_CONFIG); before or after the subcommand.",
)
@click.pass_context
def cli(ctx: click.Context, config_path: str) -> None:
    """ACORN: the EDI gateway for Amazon Vendor (1P) suppliers."""
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path
    ctx.obj["config_given"] = ctx.get_parameter_source("config_path") is not ParameterSource.DEFAULT


cli.add_command(parse_command)
cli.add_command(translate_command)
cli.add_command(mappings_group)
cli.add_command(db_group)
cli.add_command(partners_group)
cli.add_command(reconcile_command)
cli.add_command(discrepancies_group)
cli.add_command(invoices_group)
cli.add_command(alerts_group)
cli.add_command(run_command)
cli.add_command(ingest_command)
cli.add_command(messages_command)
cli.add_command(show_command)
cli.add_command(replay_command)
cli.add_command(send_command)
cli.add_command(demo_command)
cli.add_command(prune_command)
cli.add_command(as2_server_command)
cli.add_command(console_command)
cli.add_command(users_group)


def main() -> None:
    """Entry point of the ``acorn`` console script."""
    cli(obj={})
