"""``acorn payments`` and ``acorn claims``: what Amazon paid and deducted, and the disputes.

Exit status: 0 when the command did its work; 2 for bad input (unknown claim, a status change not
allowed, a configuration problem). Errors are one readable line on stderr, never a traceback.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, NoReturn

import click
from sqlmodel import Session

from gateway.cli.runtime_cmds import open_runtime
from gateway.settlement.claims import (
    STATUSES,
    ClaimError,
    claim_events,
    claim_json,
    find_claim,
    list_claims,
    transition,
)
from gateway.settlement.evidence import attach, export_pack
from gateway.settlement.payments import STATES, invoice_statuses
from gateway.store.models import utcnow


def _fail(message: str, status: int = 2) -> NoReturn:
    click.echo(f"acorn: {message}", err=True)
    sys.exit(status)


def _actor(actor: str | None) -> str:
    from gateway.cli.money_cmds import _actor as money_actor

    return money_actor(actor)


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


def _today(value: datetime | None) -> date:
    return value.date() if value else utcnow().date()


json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
actor_option = click.option("--actor", help="Who does this, for the audit log (default: cli:<login>).")
reason_option = click.option(
    "--reason", required=True, help="Why (kept on the claim's timeline and audit log)."
)


@click.command("payments")
@click.option("--partner", help="Only invoices stored for this partner.")
@click.option("--po", "po_number", help="Only this PO's invoices.")
@click.option("--state", type=click.Choice(STATES), help="Only invoices in this payment state.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Judge overdue as of this day.")
@json_option
@click.pass_context
def payments_command(
    ctx: click.Context,
    partner: str | None,
    po_number: str | None,
    state: str | None,
    today: datetime | None,
    as_json: bool,
) -> None:
    """The payment state of each invoice: open, partially paid, paid, short-paid, overdue."""
    runtime = open_runtime(ctx, partner)
    try:
        with Session(runtime.engine) as session:
            rows = invoice_statuses(session, runtime.partners, _today(today), po_number=po_number)
        rows = [r for r in rows if (not partner or r.partner == partner) and (not state or r.state == state)]
        if as_json:
            _dump([r.to_json() for r in rows])
            return
        for r in rows:
            click.echo(
                f"{r.invoice_number:<20} {r.state:<15} total {r.total:.2f} paid {r.paid:.2f} "
                f"deducted {-r.deducted:.2f} balance {r.balance:.2f} {r.currency} due {r.due_date}"
            )
        click.echo(f"{len(rows)} invoice(s)")
    finally:
        runtime.close()


@click.group("claims")
def claims_group() -> None:
    """Claims: one per deduction Amazon took; dispute them before the deadline."""


@claims_group.command("list")
@click.option("--status", type=click.Choice(STATUSES))
@click.option("--partner")
@json_option
@click.pass_context
def list_command(ctx: click.Context, status: str | None, partner: str | None, as_json: bool) -> None:
    """List claims, soonest deadline first."""
    runtime = open_runtime(ctx, partner)
    try:
        with Session(runtime.engine) as session:
            rows = list_claims(session, status=status, partner=partner)
            if as_json:
                _dump([claim_json(c) for c in rows])
                return
            for c in rows:
                predicted = {True: "predicted", False: "not predicted", None: "-"}[c.predicted]
                click.echo(
                    f"#{c.id:<5} {c.reference:<24} {c.kind:<12} {c.status:<10} {c.amount:.2f} "
                    f"{c.currency or ''} deadline {c.deadline} ({predicted})"
                )
            click.echo(f"{len(rows)} claim(s)")
    finally:
        runtime.close()


@claims_group.command("show")
@click.argument("claim_id", type=int)
@click.pass_context
def show_command(ctx: click.Context, claim_id: int) -> None:
    """Show one claim: links, evidence and timeline (JSON)."""
    runtime = open_runtime(ctx)
    try:
        with Session(runtime.engine) as session:
            claim = find_claim(session, claim_id)
            _dump(claim_json(claim, claim_events(session, claim)))
    except ClaimError as exc:
        _fail(str(exc))
    finally:
        runtime.close()


def _move(
    ctx: click.Context,
    claim_id: int,
    to: str,
    reason: str,
    actor: str | None,
    recovered: Decimal | None = None,
) -> None:
    runtime = open_runtime(ctx)
    try:
        with Session(runtime.engine) as session:
            claim = transition(
                session, find_claim(session, claim_id), to, _actor(actor), reason, recovered=recovered
            )
            session.commit()
            click.echo(f"claim #{claim.id} ({claim.reference}) is now {claim.status}")
    except ClaimError as exc:
        _fail(str(exc))
    finally:
        runtime.close()


@claims_group.command("dispute")
@click.argument("claim_id", type=int)
@reason_option
@actor_option
@click.pass_context
def dispute_command(ctx: click.Context, claim_id: int, reason: str, actor: str | None) -> None:
    """Mark a claim disputed (filed with the partner)."""
    _move(ctx, claim_id, "disputed", reason, actor)


@claims_group.command("resolve")
@click.argument("claim_id", type=int)
@click.argument("outcome", type=click.Choice(["won", "lost", "accepted", "to_dispute"]))
@click.option("--recovered", help="With won: the amount recovered (default: all of it).")
@reason_option
@actor_option
@click.pass_context
def resolve_command(
    ctx: click.Context, claim_id: int, outcome: str, recovered: str | None, reason: str, actor: str | None
) -> None:
    """Close a claim: won (with the amount recovered), lost or accepted."""
    try:
        amount = Decimal(recovered) if recovered is not None else None
    except InvalidOperation:
        _fail(f"--recovered {recovered!r} is not an amount")
    _move(ctx, claim_id, outcome, reason, actor, amount)


@claims_group.command("attach")
@click.argument("claim_id", type=int)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@actor_option
@click.pass_context
def attach_command(ctx: click.Context, claim_id: int, file: Path, actor: str | None) -> None:
    """Attach FILE to a claim's evidence."""
    runtime = open_runtime(ctx)
    try:
        with Session(runtime.engine) as session:
            claim = find_claim(session, claim_id)
            folder = runtime.settings.archive_dir / "claims"
            attach(session, claim, file.name, file.read_bytes(), _actor(actor), folder)
            session.commit()
            click.echo(f"attached {file.name} to claim #{claim_id}")
    except ClaimError as exc:
        _fail(str(exc))
    finally:
        runtime.close()


@claims_group.command("export")
@click.argument("claim_id", type=int)
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="ZIP file to write.")
@click.pass_context
def export_command(ctx: click.Context, claim_id: int, output: Path | None) -> None:
    """Write a claim's dispute pack: a ZIP with an index and every piece of evidence."""
    runtime = open_runtime(ctx)
    try:
        with Session(runtime.engine) as session:
            claim = find_claim(session, claim_id)
            data = export_pack(session, claim)
        target = output or Path(f"claim-{claim_id}-{claim.reference}.zip")
        target.write_bytes(data)
        click.echo(f"wrote {target} ({len(data)} bytes)")
    except ClaimError as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror}")
    finally:
        runtime.close()
