"""Running the gateway: ``acorn run``, ``ingest``, ``messages``, ``show``, ``replay``, ``send``, ``demo``.

``acorn messages`` lists messages; its subcommands (:data:`MESSAGES_COMMANDS`, loaded lazily)
act on one, e.g. ``acorn messages suspect ID`` (:mod:`gateway.cli.suspect_cmd`).

Each command opens the runtime from ``--config`` (upgrading the database), so a bad
configuration stops it with ``FILE:LINE: key: problem`` lines and status 2.
"""

from __future__ import annotations

import getpass
import json
import logging
import sys
import threading
from contextlib import nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from sqlmodel import select

from gateway.cli.admin_cmds import settings_from
from gateway.cli.group import AcornGroup
from gateway.config import ConfigError
from gateway.service import pipeline
from gateway.service.logsetup import configure_logging
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, DocumentMessage, Message, MessageEvent, MessageState, utcnow

log = logging.getLogger(__name__)


def open_runtime(ctx: click.Context, partner: str | None = None) -> Runtime:
    """The runtime for this command line, or exit 2 with the configuration problems.

    ``partner`` (a command's ``--partner``) must name a profile: an unknown one exits 2 with
    the known ones, rather than quietly matching nothing."""
    settings = settings_from(ctx)
    configure_logging(settings.logging.level, settings.logging.format)
    try:
        runtime = Runtime.open(settings=settings)
    except ConfigError as exc:
        for problem in exc.problems:
            click.echo(str(problem), err=True)
        sys.exit(2)
    if partner is not None and partner not in runtime.partners:
        runtime.close()
        known = ", ".join(runtime.partners.names()) or "none"
        click.echo(f"acorn: unknown partner {partner!r} (known: {known})", err=True)
        sys.exit(2)
    return runtime


@click.command("run")
@click.option("--once", is_flag=True, help="Poll every mailbox once, send what is due, and exit.")
@click.option("--console/--no-console", default=True, show_default=True,
              help="Also serve the console (and the AS2 endpoint) on console.host:console.port.")  # fmt: skip
@click.pass_context
def run_command(ctx: click.Context, once: bool, console: bool) -> None:
    """Start the gateway: poll mailboxes, process messages, send the outbox (until SIGTERM).

    Refused (status 2) while another long-running ``acorn run`` of the same config file runs;
    ``--once`` runs (cron, several workers sharing a PostgreSQL database) take no lock."""
    from gateway.cli.runlock import AlreadyRunning, run_lock  # the long-running commands' own imports

    runtime = open_runtime(ctx)
    config = Path(ctx.find_root().obj.get("config_path") or "config.yaml")
    try:
        with run_lock(runtime.settings.archive_dir, config) if not once else nullcontext():
            _run(runtime, once, console)
    except AlreadyRunning as exc:
        click.echo(f"acorn: {exc}", err=True)
        sys.exit(2)
    finally:
        runtime.close()


def _run(runtime: Runtime, once: bool, console: bool) -> None:
    from gateway.service.scheduler import Gateway, run_once  # apscheduler: only for `acorn run`

    server = None
    try:
        if once:
            totals = run_once(runtime)
            click.echo(" ".join(f"{k}={v}" for k, v in totals.items()))
            return
        mailboxes = sum(len(p.mailboxes) for p in runtime.partners)
        click.echo(
            f"acorn: {len(runtime.partners)} partner(s), {mailboxes} mailbox(es); "
            f"database {runtime.engine.url.render_as_string(hide_password=True)}; Ctrl-C to stop",
            err=True,
        )
        if console:
            server = _start_console(runtime)
        Gateway(runtime).run_forever()
    finally:
        if server is not None:
            server.close()


def _start_console(runtime: Runtime):  # type: ignore[no-untyped-def]
    """The console in a background thread (waitress); ``None`` when its address is taken."""
    from waitress.server import create_server  # the web parts only for the commands that serve

    from gateway.console import create_app

    host, port = runtime.settings.console.host, runtime.settings.console.port
    try:
        server = create_server(create_app(runtime), host=host, port=port, threads=8, ident="acorn")
    except OSError as exc:
        log.warning("console not started: %s:%d: %s", host, port, exc.strerror)
        return None
    threading.Thread(target=server.run, name="console", daemon=True).start()
    click.echo(
        f"acorn: console on http://{host}:{port}/ (create a login with `acorn users add NAME --role admin`)",
        err=True,
    )
    return server


@click.command("ingest")
@click.argument(
    "files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
@click.option("--partner", help="Record the files as received from this partner (default: by envelope).")
@click.option("--mailbox", default="cli", show_default=True, help="Mailbox name to record.")
@click.pass_context
def ingest_command(ctx: click.Context, files: tuple[Path, ...], partner: str | None, mailbox: str) -> None:
    """Receive and process FILES as if they came from a mailbox. Exit 2 when any fails."""
    runtime = open_runtime(ctx, partner)
    failed = 0
    try:
        for path in files:
            receipt = pipeline.ingest(runtime, path, path.name, partner=partner, mailbox=None, actor="cli")
            failed += receipt.state == "failed"
            detail = ""
            if receipt.state == "failed":
                with session_scope(runtime.engine) as session:
                    message = session.get(Message, receipt.message_id)
                    detail = f": {message.error_message}" if message else ""
            click.echo(f"{path}: message {receipt.message_id}: {receipt.state}{detail}")
    finally:
        runtime.close()
    click.echo(f"{len(files)} file(s), {failed} failed", err=True)
    if failed:
        sys.exit(2)


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD or ISO date-time)") from None


#: the subcommands of ``acorn messages`` (imported when they run, as the top-level ones)
MESSAGES_COMMANDS: dict[str, tuple[str, str]] = {
    "suspect": (
        "gateway.cli.suspect_cmd:suspect_command",
        "Decide a message held as a suspect duplicate: a duplicate, or new.",
    ),
}


@click.group("messages", cls=AcornGroup, lazy=MESSAGES_COMMANDS, invoke_without_command=True)
@click.option(
    "--state", type=click.Choice([s.value for s in MessageState]), help="Only messages in this state."
)
@click.option("--partner")
@click.option("--direction", type=click.Choice(["in", "out"]))
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="A JSON list of message objects.")
@click.pass_context
def messages_command(
    ctx: click.Context,
    state: str | None,
    partner: str | None,
    direction: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List the newest messages (or run a subcommand: ``acorn messages suspect ID ...``)."""
    if ctx.invoked_subcommand is not None:
        return
    runtime = open_runtime(ctx, partner)
    with session_scope(runtime.engine) as session:
        query = select(Message)
        if state:
            query = query.where(Message.state == state)
        if partner:
            query = query.where(Message.partner == partner)
        if direction:
            query = query.where(Message.direction == direction)
        rows = session.exec(query.order_by(Message.id.desc()).limit(limit)).all()  # type: ignore[union-attr]
        if as_json:
            click.echo(json.dumps([_message_json(m) for m in rows], default=str, indent=2))
        for m in [] if as_json else rows:
            types = ",".join(m.document_types or []) or "-"
            error = f"  {m.error_code}" if m.error_code else ""
            click.echo(
                f"{m.id:>7} {m.direction:<3} {m.state:<12} {m.partner or '?':<12} {types:<10} "
                f"{m.filename or ''}{error}"
            )
    runtime.close()


def _message_json(m: Message) -> dict[str, Any]:
    data = m.model_dump(exclude={"receipt_key", "lease_owner", "lease_until"})
    error = {"stage": m.error_stage, "code": m.error_code, "message": m.error_message}
    data["error"] = {**error, "position": m.error_position} if m.error_code else None
    return data


SHOWN_FIELDS = (
    "id", "direction", "partner", "mailbox", "filename", "state", "standard", "document_types",
    "interchange_control", "sender_id", "receiver_id", "size", "sha256", "attempts",
    "created_at", "completed_at",
)  # fmt: skip


@click.command("show")
@click.argument("message_id", type=int)
@click.pass_context
def show_command(ctx: click.Context, message_id: int) -> None:
    """Show one message: metadata, error with its position, documents and timeline."""
    runtime = open_runtime(ctx)
    with session_scope(runtime.engine) as session:
        m = session.get(Message, message_id)
        if m is None:
            click.echo(f"no message {message_id}", err=True)
            sys.exit(2)
        data = _message_json(m)
        for key in SHOWN_FIELDS:
            click.echo(f"{key:>20}: {data.get(key)}")
        if m.error_message:
            click.echo(f"{'error':>20}: [{m.error_stage}/{m.error_code}] {m.error_message}")
        links = session.exec(
            select(DocumentMessage, Document)
            .join(Document, Document.id == DocumentMessage.document_id)  # type: ignore[arg-type]
            .where(DocumentMessage.message_id == message_id)
        ).all()
        click.echo("documents:" if links else "documents: none")
        for link, doc in links:
            click.echo(f"  {doc.type} {doc.business_key} (revision {doc.revision}, {link.role}) id {doc.id}")
        events = session.exec(
            select(MessageEvent).where(MessageEvent.message_id == message_id).order_by(MessageEvent.id)  # type: ignore[arg-type]
        ).all()
        click.echo("timeline:")
        for event in events:
            click.echo(
                f"  {event.at:%Y-%m-%d %H:%M:%S} {event.state:<12} {event.actor or '':<10} {event.note or ''}"
            )
    runtime.close()


@click.command("replay")
@click.argument("message_ids", nargs=-1, type=int)
@click.option("--failed", "all_failed", is_flag=True, help="Replay every failed message (with the filters).")
@click.option("--partner", help="Only this partner's messages (with --failed).")
@click.option("--since", help="Only messages received since this date (with --failed).")
@click.option("--reason", required=True, help="Why: written to the audit log.")
@click.option("--actor", default=None, help="Who (default: the current user).")
@click.pass_context
def replay_command(
    ctx: click.Context,
    message_ids: tuple[int, ...],
    all_failed: bool,
    partner: str | None,
    since: str | None,
    reason: str,
    actor: str | None,
) -> None:
    """Re-run messages from their archived bytes with today's mappings (outbound ones are resent)."""
    if not message_ids and not all_failed:
        raise click.UsageError("give message ids or --failed")
    runtime = open_runtime(ctx, partner)
    who = actor or getpass.getuser()
    counts: dict[str, int] = {}
    try:
        ids = list(message_ids)
        if all_failed:
            with session_scope(runtime.engine) as session:
                ids += pipeline.failed_message_ids(session, partner, _since(since))
        if not ids:
            click.echo("nothing to replay", err=True)
            return
        for n, outcome in enumerate(pipeline.replay(runtime, ids, actor=who, reason=reason), start=1):
            counts[outcome.state] = counts.get(outcome.state, 0) + 1
            error = f": {outcome.error.splitlines()[0]}" if outcome.error else ""
            click.echo(f"[{n}/{len(ids)}] message {outcome.message_id}: {outcome.state}{error}")
        click.echo(", ".join(f"{v} {k}" for k, v in sorted(counts.items())), err=True)
    finally:
        runtime.close()
    if counts.get(MessageState.FAILED.value) or counts.get("missing"):
        sys.exit(2)  # a replay that still fails, or of a message that is not there, is not a success


@click.command("send")
@click.pass_context
def send_command(ctx: click.Context) -> None:
    """Send every queued outbound message that is due, now."""
    from gateway.service.mailboxes import send_due  # the transports (AS2, SFTP): only to send

    runtime = open_runtime(ctx)
    summary = send_due(runtime)
    runtime.close()
    click.echo(f"sent={summary.sent} retrying={summary.retrying} failed={summary.failed}")


DEMO_FILES = {
    "amazon-us": [
        "x12_4010_850_new_po.edi",
        "x12_4010_850_case_pack.edi",
        "x12_4010_180_return_authorization.edi",
        "bad_x12_850_se_count.edi",  # fails with a clear reason, as a newcomer should see once
    ],
    "warehouse": ["x12_4010_856_partial_shipment.edi", "availability_feed.csv"],  # the 846's input
    "amazon-eu": ["edifact_d96a_orders_po.edi", "edifact_d96a_retann_returns.edi"],
    "warehouse-eu": ["x12_4010_856_eu_shipment.edi", "availability_feed_eu.csv"],  # the INVRPT's input
}
#: taken at once by ``acorn demo`` (this morning's stock), so the POs' acknowledgements decide from them
DEMO_FIRST = ("availability_feed.csv", "availability_feed_eu.csv")


@click.command("demo")
@click.option("--samples", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder of sample messages (default: the shipped demo set).")  # fmt: skip
@click.pass_context
def demo_command(ctx: click.Context, samples: Path | None) -> None:
    """Drop demo messages into the demo partners' local inboxes (plus one bad file), dated today.

    The availability feeds are taken at once instead (this morning's stock): the PO acknowledgements
    of the next run decide from them, whichever mailbox is polled first."""
    from gateway.service.demo import redate

    folder = samples or Path(__file__).resolve().parents[2] / "tests" / "data" / "messages"
    runtime = open_runtime(ctx)
    placed = 0
    stamp = datetime.now().strftime("%Y%m%d%H%M%S")
    today = utcnow().date()
    try:
        for partner, names in DEMO_FILES.items():
            if partner not in runtime.partners:
                continue
            boxes = [b for b in runtime.partners.get(partner).mailboxes if b.type == "local"]
            if not boxes:
                continue
            inbox = Path(boxes[0].inbox)  # type: ignore[union-attr]
            inbox.mkdir(parents=True, exist_ok=True)
            for name in names:
                source = folder / name
                if not source.is_file():
                    continue
                # dated today, so the console shows no months-old findings (service/demo.py)
                data = redate(source.read_bytes(), today)
                if name in DEMO_FIRST:
                    pipeline.ingest(runtime, data, f"{stamp}_{name}", partner=partner, mailbox=boxes[0].name)
                else:
                    (inbox / f"{stamp}_{name}").write_bytes(data)
                placed += 1
    finally:
        runtime.close()
    click.echo(f"placed {placed} demo message(s) in the partners' local inboxes")


@click.command("prune")
@click.option("--days", type=int, default=None, help="Age in days (default: archive_retention_days).")
@click.pass_context
def prune_command(ctx: click.Context, days: int | None) -> None:
    """Remove archived payloads older than the retention, except those still needed."""
    from gateway.service.retention import prune_archive

    runtime = open_runtime(ctx)
    try:
        report = prune_archive(runtime, days)
    finally:
        runtime.close()
    if report is None:
        click.echo("retention is off (archive_retention_days is empty): nothing removed")
        return
    click.echo(f"removed {report.removed} payload(s) ({report.removed_bytes} bytes), kept {report.kept}")


@click.command("as2-server")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8081, show_default=True, type=int)
@click.pass_context
def as2_server_command(ctx: click.Context, host: str, port: int) -> None:
    """Serve the inbound AS2 endpoint (POST /as2) on its own port."""
    from werkzeug.serving import run_simple

    from gateway.service.as2_inbound import make_app

    runtime = open_runtime(ctx)
    click.echo(f"AS2 endpoint on http://{host}:{port}/as2", err=True)
    try:
        run_simple(host, port, make_app(runtime), threaded=True)
    finally:
        runtime.close()
