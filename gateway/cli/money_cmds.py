"""``acorn reconcile``, ``discrepancies``, ``invoices`` and ``alerts``: the money commands.

Exit status: 0 when the command did its work; 2 for bad input (unknown document or
discrepancy, a status change not allowed, a configuration problem, an invoice that cannot be
built or sent); 3 when an invoice is blocked by its compliance checks (every reason is
printed). Errors are one readable line on stderr, never a traceback.
"""

from __future__ import annotations

import getpass
import json
import sys
from datetime import date
from typing import Any, NoReturn

import click

from gateway.cli.runtime_cmds import open_runtime
from gateway.invoicing import (
    InvoiceBlocked,
    InvoicingError,
    build_credit_note,
    build_invoices,
    check_invoice,
    invoice_json,
    list_invoices,
)
from gateway.reconcile import (
    STATUSES,
    DiscrepancyError,
    check_aging,
    discrepancy_json,
    list_discrepancies,
    reconcile_all,
    reconcile_po,
    set_discrepancy_status,
)
from gateway.service.money import approve_invoice, send_invoice
from gateway.store import session_scope
from gateway.store.models import utcnow

BLOCKED_EXIT = 3


def _fail(message: str, status: int = 2) -> NoReturn:
    click.echo(f"acorn: {message}", err=True)
    sys.exit(status)


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _dump(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, default=str))


actor_option = click.option("--actor", help="Who does this, for the audit log (default: cli:<login>).")
json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


# -- reconcile ------------------------------------------------------------------------------------


@click.command("reconcile")
@click.option("--partner", help="Only the documents of this partner.")
@click.option("--po", "po_number", help="Only this PO number (and what names it).")
@json_option
@click.pass_context
def reconcile_command(ctx: click.Context, partner: str | None, po_number: str | None, as_json: bool) -> None:
    """Match POs, ASNs, invoices and returns; file, update and close discrepancies."""
    runtime = open_runtime(ctx, partner)
    try:
        with session_scope(runtime.engine) as session:
            if po_number:
                report = reconcile_po(session, runtime.partners, partner, po_number)
            else:
                report = reconcile_all(session, runtime.partners, partner=partner)
        c = report.counts
        if as_json:
            _dump(
                {
                    "scopes": report.scopes,
                    "purchase_orders": report.purchase_orders,
                    "findings": report.findings,
                    "created": c.created,
                    "reopened": c.reopened,
                    "updated": c.updated,
                    "closed": c.closed,
                    "unchanged": c.unchanged,
                }
            )
        else:
            click.echo(f"reconciled {report.summary()}")
    finally:
        runtime.close()


# -- discrepancies --------------------------------------------------------------------------------


@click.group("discrepancies", invoke_without_command=True)
@click.option(
    "--status", "statuses", multiple=True, help="open, acknowledged, resolved, disputed (repeatable)."
)
@click.option(
    "--open", "only_open", is_flag=True, help="Only those not resolved (open, acknowledged, disputed)."
)
@click.option("--partner", help="Only this partner's.")
@click.option("--po", "po_number", help="Only this PO number's.")
@click.option("--kind", help="Only this kind (e.g. price_mismatch).")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
@json_option
@click.pass_context
def discrepancies_group(
    ctx: click.Context,
    statuses: tuple[str, ...],
    only_open: bool,
    partner: str | None,
    po_number: str | None,
    kind: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List discrepancies (newest first); 'discrepancies set ID STATUS' moves one."""
    if ctx.invoked_subcommand is not None:
        return
    wanted = set(statuses) | ({"open", "acknowledged", "disputed"} if only_open else set())
    unknown = wanted - set(STATUSES)
    if unknown:
        _fail(f"unknown status {', '.join(sorted(unknown))}; use {', '.join(STATUSES)}")
    runtime = open_runtime(ctx, partner)
    try:
        with session_scope(runtime.engine) as session:
            rows = list_discrepancies(
                session, status=wanted or None, partner=partner, po_number=po_number, kind=kind, limit=limit
            )
            data = [discrepancy_json(r) for r in rows]
    finally:
        runtime.close()
    if as_json:
        _dump(data)
        return
    for d in data:
        refs = " ".join(
            f"{label} {d[k]}"
            for label, k in (
                ("PO", "po_number"),
                ("ASN", "shipment_id"),
                ("inv", "invoice_number"),
                ("RMA", "rma_number"),
                ("line", "line_no"),
            )
            if d[k]
        )
        risk = f" at risk {d['amount_at_risk']} {d['currency'] or ''}".rstrip() if d["amount_at_risk"] else ""
        click.echo(
            f"#{d['id']} {d['status']:<12} {d['severity']:<7} {d['kind']} ({d['partner']}) {refs}: "
            f"expected {d['expected']}, got {d['actual']}{risk}"
        )
    click.echo(f"{len(data)} discrepancy(ies)")


@discrepancies_group.command("set")
@click.argument("discrepancy_id", type=int)
@click.argument("status")
@click.option("--note", help="Why (kept with the discrepancy and in the audit log).")
@actor_option
@click.pass_context
def set_command(
    ctx: click.Context, discrepancy_id: int, status: str, note: str | None, actor: str | None
) -> None:
    """Move a discrepancy: open -> acknowledged -> resolved | disputed (resolved -> open reopens)."""
    runtime = open_runtime(ctx)
    try:
        with session_scope(runtime.engine) as session:
            row = set_discrepancy_status(session, discrepancy_id, status, _actor(actor), note)
            click.echo(f"discrepancy #{row.id} ({row.kind}) is now {row.status}")
    except DiscrepancyError as exc:
        _fail(str(exc))
    finally:
        runtime.close()


# -- invoices -------------------------------------------------------------------------------------


@click.group("invoices")
def invoices_group() -> None:
    """Outbound invoices and credit notes: build, list, check, approve, send."""


def _print_reasons(reasons: list[Any]) -> None:
    for reason in reasons:
        click.echo(f"  - {reason}", err=True)


@invoices_group.command("build")
@click.option("--shipment", "shipment_id", help="Build the invoice of each PO of this ASN.")
@click.option("--po", "po_number", help="With --shipment: only this PO.")
@click.option("--rma", "rma_number", help="Build the credit note of this return authorization.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Invoice date (default: today).")
@actor_option
@json_option
@click.pass_context
def build_command(
    ctx: click.Context,
    shipment_id: str | None,
    po_number: str | None,
    rma_number: str | None,
    today: Any,
    actor: str | None,
    as_json: bool,
) -> None:
    """Build (or find) the invoice of an ASN or the credit note of an RMA, and check it."""
    if bool(shipment_id) == bool(rma_number):
        _fail("give --shipment ID or --rma NUMBER")
    day: date | None = today.date() if today else None
    runtime = open_runtime(ctx)
    blocked = False
    try:
        with session_scope(runtime.engine) as session:
            if shipment_id:
                rows = build_invoices(
                    session,
                    runtime.partners,
                    shipment_id,
                    po_number=po_number,
                    today=day,
                    actor=_actor(actor),
                )
            else:
                rows = [
                    build_credit_note(
                        session, runtime.partners, rma_number or "", today=day, actor=_actor(actor)
                    )
                ]
            out = []
            for row in rows:
                if row.status in ("draft", "blocked"):
                    check_invoice(session, runtime.partners, int(row.id), today=day)  # type: ignore[arg-type]
                view = next(v for v in list_invoices(session, po_number=row.po_number) if v.row.id == row.id)
                out.append(invoice_json(view))
                blocked = blocked or view.state == "blocked"
    except InvoicingError as exc:
        _fail(str(exc))
    finally:
        runtime.close()
    if as_json:
        _dump(out)
    else:
        for inv in out:
            click.echo(
                f"#{inv['id']} {inv['kind']} {inv['invoice_number']} PO {inv['po_number']} "
                f"{inv['total']} {inv['currency']}: {inv['state']}"
            )
            _print_reasons([f"{r['code']}: {r['message']}" for r in inv["blocked_reasons"]])
    if blocked:
        sys.exit(BLOCKED_EXIT)


@invoices_group.command("list")
@click.option(
    "--state", type=click.Choice(["draft", "blocked", "queued", "sent", "accepted", "rejected", "received"])
)
@click.option("--partner")
@click.option("--po", "po_number")
@click.option("--limit", type=click.IntRange(min=1), default=200, show_default=True)
@json_option
@click.pass_context
def list_command(
    ctx: click.Context,
    state: str | None,
    partner: str | None,
    po_number: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Invoices and credit notes, newest first (``received``: an ERP's, not built here)."""
    runtime = open_runtime(ctx, partner)
    try:
        with session_scope(runtime.engine) as session:
            data = [
                invoice_json(v)
                for v in list_invoices(
                    session, partner=partner, state=state, po_number=po_number, limit=limit
                )
            ]
    finally:
        runtime.close()
    if as_json:
        _dump(data)
        return
    for inv in data:
        reasons = f" ({len(inv['blocked_reasons'])} reason(s))" if inv["blocked_reasons"] else ""
        click.echo(
            f"#{inv['id']} {inv['state']:<9} {inv['kind']:<11} {inv['invoice_number']} {inv['partner']} "
            f"PO {inv['po_number']} ASN {inv['shipment_id'] or '-'} {inv['total']} {inv['currency']}{reasons}"
        )
    click.echo(f"{len(data)} invoice(s)")


@invoices_group.command("check")
@click.argument("document_id", type=int)
@click.pass_context
def check_command(ctx: click.Context, document_id: int) -> None:
    """Run the compliance checks; exit 3 and list every reason when the invoice is blocked."""
    runtime = open_runtime(ctx)
    try:
        with session_scope(runtime.engine) as session:
            reasons = check_invoice(session, runtime.partners, document_id)
    except InvoicingError as exc:
        _fail(str(exc))
    finally:
        runtime.close()
    if reasons:
        click.echo(f"invoice document {document_id}: {len(reasons)} reason(s) it may not be sent:", err=True)
        _print_reasons(reasons)
        sys.exit(BLOCKED_EXIT)
    click.echo(f"invoice document {document_id} passes every check")


def _send(ctx: click.Context, document_id: int, actor: str | None, note: str | None, approve: bool) -> None:
    runtime = open_runtime(ctx)
    try:
        if approve:
            message = approve_invoice(runtime, document_id, _actor(actor), note)
        else:
            message = send_invoice(runtime, document_id, _actor(actor))
    except InvoiceBlocked as exc:
        click.echo(f"acorn: invoice document {document_id} is blocked:", err=True)
        _print_reasons(exc.reasons)
        sys.exit(BLOCKED_EXIT)
    except InvoicingError as exc:
        _fail(str(exc))
    finally:
        runtime.close()
    click.echo(f"invoice document {document_id} queued as message {message.id} ({message.filename})")


@invoices_group.command("approve")
@click.argument("document_id", type=int)
@click.option("--note", help="Kept in the audit log.")
@actor_option
@click.pass_context
def approve_command(ctx: click.Context, document_id: int, note: str | None, actor: str | None) -> None:
    """Approve an invoice (manual mode) and queue it; exit 3 when it is blocked."""
    _send(ctx, document_id, actor, note, approve=True)


@invoices_group.command("send")
@click.argument("document_id", type=int)
@actor_option
@click.pass_context
def send_command(ctx: click.Context, document_id: int, actor: str | None) -> None:
    """Re-check and queue an invoice (draft, blocked that now passes, or rejected); exit 3 when blocked."""
    _send(ctx, document_id, actor, None, approve=False)


# -- alerts ---------------------------------------------------------------------------------------


@click.group("alerts")
def alerts_group() -> None:
    """Aging checks and alerts."""


@alerts_group.command("check")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), help="Check as of this date (default: today).")
@click.option("--no-notify", is_flag=True, help="Do not send the webhook / e-mail (still logged and stored).")
@json_option
@click.pass_context
def alerts_check_command(ctx: click.Context, today: Any, no_notify: bool, as_json: bool) -> None:
    """Run the aging checks; new alerts go to the log, the webhook and e-mail of config.yaml."""
    runtime = open_runtime(ctx)
    try:
        with session_scope(runtime.engine) as session:
            alerts = check_aging(
                session,
                runtime.partners,
                runtime.settings,
                today.date() if today else utcnow().date(),
                notify=not no_notify,
            )
    finally:
        runtime.close()
    if as_json:
        _dump([a.to_json() for a in alerts])
        return
    for alert in alerts:
        click.echo(("NEW " if alert.new else "    ") + alert.line())
    click.echo(f"{len(alerts)} alert(s), {sum(a.new for a in alerts)} new")
