"""The ``acorn`` command line.

Each subcommand lives in its own module and is registered here in :data:`COMMANDS`, imported
only when it runs (so ``acorn --help`` and ``acorn parse`` start fast). Commands
print errors as one readable line on stderr and exit with status 2 for bad input or
configuration (never a traceback); 1 is left for unexpected failures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.core import ParameterSource

from gateway import __version__
from gateway.cli.group import HELP_ASKED, AcornGroup

# name -> ("module:attr", short help): imported only when the command runs (see cli/group.py).
COMMANDS: dict[str, tuple[str, str]] = {
    "parse": (
        "gateway.cli.parse_cmd:parse_command",
        "Summarise the interchanges, groups and transactions of FILE.",
    ),
    "translate": (
        "gateway.cli.mapping_cmds:translate_command",
        "Translate each transaction of FILE into canonical documents.",
    ),
    "mappings": (
        "gateway.cli.mapping_cmds:mappings_group",
        "Check mapping files and run their golden tests.",
    ),
    "db": ("gateway.cli.admin_cmds:db_group", "Database maintenance."),
    "partners": ("gateway.cli.admin_cmds:partners_group", "Partner profiles (partners/*.yaml)."),
    "reconcile": ("gateway.cli.money_cmds:reconcile_command", "Match POs, ASNs, invoices and returns."),
    "discrepancies": ("gateway.cli.money_cmds:discrepancies_group", "List discrepancies (newest first)."),
    "invoices": ("gateway.cli.money_cmds:invoices_group", "Outbound invoices and credit notes."),
    "alerts": ("gateway.cli.money_cmds:alerts_group", "Aging checks and alerts."),
    "run": ("gateway.cli.runtime_cmds:run_command", "Start the gateway: poll mailboxes, process and send."),
    "ingest": (
        "gateway.cli.runtime_cmds:ingest_command",
        "Receive and process FILES as if they came from a mailbox.",
    ),
    "messages": ("gateway.cli.runtime_cmds:messages_command", "List the newest messages."),
    "show": ("gateway.cli.runtime_cmds:show_command", "Show one message: metadata, error, timeline."),
    "replay": ("gateway.cli.runtime_cmds:replay_command", "Re-run messages from their archived bytes."),
    "send": ("gateway.cli.runtime_cmds:send_command", "Send every queued outbound message that is due."),
    "demo": (
        "gateway.cli.runtime_cmds:demo_command",
        "Drop demo messages into the demo partners' mailboxes.",
    ),
    "archive": ("gateway.cli.archive_cmds:archive_group", "The payload archive: a folder, or the database."),
    "prune": ("gateway.cli.runtime_cmds:prune_command", "Remove archived payloads older than the retention."),
    "as2-server": (
        "gateway.cli.runtime_cmds:as2_server_command",
        "Serve the inbound AS2 endpoint (POST /as2).",
    ),
    "console": ("gateway.cli.console_cmds:console_command", "Serve the status console."),
    "users": ("gateway.cli.console_cmds:users_group", "Console users and their roles."),
    "payments": ("gateway.cli.settlement_cmds:payments_command", "Payment state of each invoice."),
    "claims": ("gateway.cli.settlement_cmds:claims_group", "Claims from deductions: list, dispute, export."),
    "receipts": ("gateway.cli.receipt_cmds:receipts_group", "Import a receiving report (CSV) as a receipt."),
    "inventory": ("gateway.cli.inventory_cmds:inventory_group", "Send the inventory and cost feed (846)."),
}


@click.group(cls=AcornGroup, lazy=COMMANDS, context_settings={"help_option_names": ["-h", "--help"]})
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
    asking_for_help = ctx.meta.get(HELP_ASKED, False)
    quiet = asking_for_help or ctx.resilient_parsing  # help and shell completion need no file
    if ctx.obj["config_given"] and not quiet and not Path(config_path).is_file():
        # a named file that is not there is a typo to fix, even for the commands that need none
        click.echo(f"acorn: no such config file: {config_path}", err=True)
        sys.exit(2)


def main() -> None:
    """Entry point of the ``acorn`` console script."""
    cli(obj={})
