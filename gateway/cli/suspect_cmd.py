"""``acorn messages suspect ID --as duplicate|new --reason "..."``: an operator's decision on a
message held as ``suspect_duplicate``, beside the console's buttons and the API.

The decision is :func:`gateway.service.pipeline.suspects.decide`, the one the console runs: audited
with who (``--actor``, default the current user) and why. A missing message, one not held, or an
empty reason ends with one line on stderr and status 2; the decided message's new state is printed
(a message processed as new that then fails exits 2 too, as ``acorn replay`` does).
"""

from __future__ import annotations

import getpass
import sys
from typing import cast

import click

from gateway.cli.runtime_cmds import open_runtime
from gateway.service.pipeline import suspects
from gateway.store.models import MessageState


@click.command("suspect")
@click.argument("message_id", type=int)
@click.option(
    "--as", "decision", required=True, type=click.Choice(["duplicate", "new"]),
    help="duplicate: file it as a duplicate of the earlier message; new: process it as new.",
)  # fmt: skip
@click.option("--reason", required=True, help="Why: written to the audit log.")
@click.option("--actor", default=None, help="Who (default: the current user).")
@click.pass_context
def suspect_command(
    ctx: click.Context, message_id: int, decision: str, reason: str, actor: str | None
) -> None:
    """Decide a message held as a suspect duplicate: file it as a duplicate, or process it as new."""
    runtime = open_runtime(ctx)
    who = actor or getpass.getuser()
    try:
        decided = suspects.decide(
            runtime, message_id, cast(suspects.Decision, decision), actor=who, reason=reason
        )
    except suspects.NotSuspect as exc:
        click.echo(f"acorn: {exc}", err=True)
        sys.exit(2)
    finally:
        runtime.close()
    click.echo(f"message {decided.message_id}: {decided.state}")
    if decided.state == MessageState.FAILED.value:
        sys.exit(2)  # processed as new and failed: as a replay that still fails, not a success
