"""``acorn receipts import``: a receiving report downloaded from Vendor Central (CSV) becomes a receipt.

The report is read by :func:`gateway.canonical.receipt_csv.receipt_from_csv` (the columns accepted
are in docs/remittance.md), stored for the partner as the pipeline stores a document (by business
key: importing the same report again changes nothing, a corrected one replaces it), and followed by
the pipeline's own hooks (:data:`gateway.service.hooks.STORED_HOOKS`), so reconciliation compares
what was invoiced with what was received at once. An 861 needs none of this: it arrives through a
mailbox like any EDI file.

Exit status: 0 stored; 2 a report that does not read (every problem listed), an unknown partner
or a configuration problem. Errors are readable lines on stderr, never a traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import click
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from gateway.canonical.receipt_csv import ReceiptCsvError, receipt_from_csv
from gateway.cli.runtime_cmds import open_runtime
from gateway.reconcile import discrepancy_json
from gateway.service.hooks import STORED_HOOKS
from gateway.store import session_scope
from gateway.store.documents import save_document
from gateway.store.models import Discrepancy

log = logging.getLogger(__name__)

#: the findings a receipt can raise
RECEIPT_KINDS = ("invoiced_past_received", "carton_short_received")


@click.group("receipts")
def receipts_group() -> None:
    """What Amazon's fulfilment centres received (receiving reports; an 861 comes by mailbox)."""


@receipts_group.command("import")
@click.argument("report", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--partner", required=True, help="The Amazon account the report is from (a profile name).")
@click.option("--id", "receipt_id", help="The receipt's id (default: the file name without its suffix).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def import_command(
    ctx: click.Context, report: Path, partner: str, receipt_id: str | None, as_json: bool
) -> None:
    """Store the receiving report REPORT (CSV) as a receipt and reconcile the POs it names."""
    try:
        text = report.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        click.echo(f"acorn: cannot read {report}: {exc}", err=True)
        sys.exit(2)
    try:
        receipt = receipt_from_csv(text, receipt_id or report.stem, partner)
    except ReceiptCsvError as exc:
        click.echo(f"acorn: {report}: {exc}", err=True)
        sys.exit(2)
    runtime = open_runtime(ctx, partner)
    try:
        with session_scope(runtime.engine) as session:
            saved = save_document(session, partner, receipt, None)
            session.flush()
            for hook in STORED_HOOKS:  # as the pipeline runs them: each in a savepoint, a failure reported
                try:
                    with session.begin_nested():
                        hook.run(session, runtime, [saved.document])
                except OperationalError:
                    raise
                except Exception as exc:  # the receipt stays stored; `acorn reconcile` redoes the work
                    log.exception("%s after receipt %s failed", hook.name, receipt.receipt_id)
                    click.echo(f"acorn: {hook.name} failed: {type(exc).__name__}: {exc}", err=True)
            pos = sorted({receipt.po_of(line) for line in receipt.lines})
            query = select(Discrepancy).where(
                col(Discrepancy.kind).in_(RECEIPT_KINDS),
                col(Discrepancy.po_number).in_(pos),
                Discrepancy.status != "resolved",
            )
            found = [discrepancy_json(d) for d in session.exec(query.order_by(col(Discrepancy.id))).all()]
    finally:
        runtime.close()
    if as_json:
        out = {
            "receipt_id": receipt.receipt_id,
            "po_numbers": pos,
            "lines": len(receipt.lines),
            "findings": found,
        }
        click.echo(json.dumps(out, indent=2))
        return
    click.echo(f"receipt {receipt.receipt_id}: {len(receipt.lines)} line(s) of PO {', '.join(pos)} stored")
    for d in found:
        where = f" line {d['line_no']}" if d["line_no"] else ""
        money = f", at risk {d['amount_at_risk']} {d['currency']}" if d["amount_at_risk"] else ""
        click.echo(
            f"  {d['kind']} PO {d['po_number']}{where}: expected {d['expected']}, got {d['actual']}{money}"
        )
