"""``acorn inventory send|list``: the inventory and cost feed (846 / INVRPT) we send Amazon.

The output names the document the partner gets: ``846`` for an X12 partner, ``INVRPT`` for an
EDIFACT one (:data:`gateway.outbound.render.DOCUMENTS`).

``send --partner P`` builds the 846 of the latest availability feed that applies to P now
(:func:`gateway.inventory.send.send_inventory_feed`) and queues it in the outbox (``acorn send``
or the service delivers it); a feed that breaks a pre-check rule is recorded ``blocked`` with
its reasons and exit status 1. ``list`` shows the 846s recorded, newest first (when the last one
went, per partner and slot). Exit status 2: an unknown partner, no feed, a configuration problem.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import click
from sqlmodel import col, select

from gateway.cli.runtime_cmds import open_runtime
from gateway.config import PartnerDirectory
from gateway.inventory.send import InventoryFeedError, send_inventory_feed
from gateway.outbound.render import DOCUMENTS
from gateway.store import session_scope
from gateway.store.models import InventoryFeedRecord


def document_name(partners: PartnerDirectory, partner: str) -> str:
    """What ``partner`` gets: ``846`` (X12) or ``INVRPT`` (EDIFACT); ``846`` for a partner with no profile."""
    if partner not in partners:
        return DOCUMENTS["inventory_feed"]["x12"].document
    return DOCUMENTS["inventory_feed"][partners.get(partner).standard].document


@click.group("inventory")
def inventory_group() -> None:
    """The inventory and cost feed (846 / INVRPT) to Amazon."""


@inventory_group.command("send")
@click.option("--partner", required=True, help="The Amazon account to send it to (a profile name).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
def send_command(ctx: click.Context, partner: str, as_json: bool) -> None:
    """Build and queue the 846 (INVRPT for EDIFACT) of PARTNER now, from the latest availability feed."""
    runtime = open_runtime(ctx, partner)
    try:
        with session_scope(runtime.engine) as session:
            try:
                outcome = send_inventory_feed(
                    session, runtime.partners, runtime.mappings, runtime.archive, partner, actor="cli"
                )
            except InventoryFeedError as exc:
                click.echo(f"acorn: {exc}", err=True)
                sys.exit(2)
            record = outcome.record
            out: dict[str, Any] = {
                "partner": partner,
                "document": document_name(runtime.partners, partner),
                "slot": record.slot,
                "feed_id": record.feed_id,
                "status": record.status,
                "message_id": record.message_id,
                "reasons": record.reasons,
            }
    finally:
        runtime.close()
    if as_json:
        click.echo(json.dumps(out, indent=2))
    elif out["status"] == "queued":
        click.echo(
            f"{out['document']} of feed {out['feed_id']} queued for {partner} (message {out['message_id']})"
        )
    else:
        click.echo(f"{out['document']} of feed {out['feed_id']} for {partner} blocked:")
        for reason in out["reasons"]:
            click.echo(f"  {reason['code']}: {reason['message']}")
    if out["status"] != "queued":
        sys.exit(1)


@inventory_group.command("list")
@click.option("--partner", help="Only this partner's.")
@click.option("--limit", default=20, show_default=True, help="How many.")
@click.pass_context
def list_command(ctx: click.Context, partner: str | None, limit: int) -> None:
    """The 846s / INVRPTs recorded, newest first: when each went, its document, slot, feed and status."""
    runtime = open_runtime(ctx, partner)
    try:
        with session_scope(runtime.engine) as session:
            query = select(InventoryFeedRecord)
            if partner:
                query = query.where(InventoryFeedRecord.partner == partner)
            rows = session.exec(query.order_by(col(InventoryFeedRecord.id).desc()).limit(limit)).all()
            lines = [
                f"{r.created_at:%Y-%m-%d %H:%M} {document_name(runtime.partners, r.partner)} {r.partner}"
                f" slot {r.slot} feed {r.feed_id} {r.status}"
                + (f" message {r.message_id}" if r.message_id else "")
                for r in rows
            ]
    finally:
        runtime.close()
    for line in lines or ["no inventory feed sent yet"]:
        click.echo(line)
