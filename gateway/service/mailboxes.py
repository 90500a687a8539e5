"""Driving mailboxes: take what partners left in their inboxes, send what the outbox holds.

:func:`poll_mailbox` runs one mailbox's pickup in the order that never loses a file and never
takes one twice (see :mod:`gateway.transports.base`): fetch to a local temporary file ->
:func:`gateway.service.pipeline.receive` (archived + committed) -> process -> acknowledge at the
mailbox -> forget the receipt key. A bad file fails its own message and the poll goes on; a
file that cannot be taken at all is left in the inbox and logged, the poll takes the next one
and then fails naming it (``last_error``); entries the mailbox will not read (dot-files,
symlinks, folders) are listed in the status's ``unread_entries``. A transport problem listing
the inbox ends this poll with :class:`TransportError` and the scheduler backs off.

:func:`send_due` sends queued outbound messages whose time has come, each under a lease so two
workers never send the same one; a failure is retried with exponential backoff and, after
``MAX_SEND_ATTEMPTS``, marked failed (visible in the console, resendable).

Only one holder (a worker and one thread of it) polls a mailbox at a time: its
:class:`MailboxStatus` row carries a lease (:mod:`gateway.store.leases`), as a message does
while it is processed or sent. Every file taken goes through the one front door,
:func:`gateway.service.pipeline.take`.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

from sqlalchemy import ColumnElement, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from gateway import invoicing
from gateway.common.text import escape_text
from gateway.service import money, pipeline
from gateway.service.errors import StageCode
from gateway.service.runtime import Runtime
from gateway.store import leases, messages, session_scope
from gateway.store.models import Direction, MailboxStatus, Message, MessageState, utcnow
from gateway.transports import Mailbox, RemoteFile, SendReceipt, TransportError, open_mailbox
from gateway.transports.as2_mdn import SentMessage

log = logging.getLogger(__name__)

MAILBOX_LEASE = timedelta(minutes=10)
MAX_SEND_ATTEMPTS = 8
#: files received together: archived and fsynced one by one, then one commit before their deletes
RECEIVE_BATCH = 50
SEND_BACKOFF_SECONDS = 30.0
SEND_BACKOFF_MAX_SECONDS = 3600.0


@dataclass(slots=True)
class PollSummary:
    """What one poll of one mailbox did."""

    partner: str
    mailbox: str
    taken: int = 0
    done: int = 0
    failed: int = 0
    duplicates: int = 0
    #: files that could not be taken this poll (left in the inbox; the poll went on)
    errors: list[str] = field(default_factory=list)
    skipped: bool = False
    message_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class SendSummary:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    blocked: int = 0  # held at send: its invoice would now break a rule (gateway.invoicing.at_send)


def _status_row(session: Session, partner: str, mailbox: str) -> MailboxStatus:
    row = session.get(MailboxStatus, (partner, mailbox))
    if row is None:
        row = MailboxStatus(partner=partner, mailbox=mailbox)
        session.add(row)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
            row = session.get(MailboxStatus, (partner, mailbox))
            assert row is not None
    return row


def _claim_mailbox(runtime: Runtime, partner: str, mailbox: str) -> bool:
    where = [col(MailboxStatus.partner) == partner, col(MailboxStatus.mailbox) == mailbox]
    with session_scope(runtime.engine) as session:
        leases.release_dead(session, [_status_row(session, partner, mailbox)])  # died while polling
    with session_scope(runtime.engine) as session:
        return leases.claim(session, MailboxStatus, where, runtime.lease_holder(), MAILBOX_LEASE)


def _finish_poll(
    runtime: Runtime,
    partner: str,
    mailbox: str,
    started: float,
    error: str | None,
    received: int,
    next_run: datetime | None,
) -> None:
    with session_scope(runtime.engine) as session:
        row = _status_row(session, partner, mailbox)
        now = utcnow()
        if next_run is not None:
            row.next_run_at = next_run
        row.last_poll_at = now
        row.last_duration_ms = int((time.monotonic() - started) * 1000)
        row.polls += 1
        row.received += received
        if error is None:
            row.last_success_at = now
            row.consecutive_failures = 0
        else:
            row.last_error_at = now
            row.last_error = error
            row.errors += 1
            row.consecutive_failures += 1
        leases.release(row)
        row.updated_at = now
        session.add(row)


def record_next_run(runtime: Runtime, partner: str, mailbox: str, when: datetime) -> None:
    """Remember when the scheduler will poll the mailbox next (shown on the dashboard)."""
    with session_scope(runtime.engine) as session:
        row = _status_row(session, partner, mailbox)
        row.next_run_at = when
        session.add(row)


def poll_mailbox(
    runtime: Runtime, partner: str, mailbox_name: str, next_run: datetime | None = None
) -> PollSummary:
    """Take every ready file from one mailbox. Raises :class:`TransportError` when it cannot be read.

    ``next_run`` (when the scheduler will come back) is recorded with the poll's outcome."""
    summary = PollSummary(partner, mailbox_name)
    runtime.refresh()  # partner profiles and mappings read once for this poll
    if not _claim_mailbox(runtime, partner, mailbox_name):
        summary.skipped = True
        return summary
    started = time.monotonic()
    error: str | None = None
    try:
        config = runtime.partners.get(partner).mailbox(mailbox_name)
        with open_mailbox(partner, config) as box:
            ready = list(box.list_ready())
            for start in range(0, len(ready), RECEIVE_BATCH):
                _take_batch(runtime, box, ready[start : start + RECEIVE_BATCH], summary)
            _report_unread(runtime, box)
        if summary.errors:  # every other file was taken; the poll still counts as failed
            raise TransportError(
                f"{len(summary.errors)} file(s) could not be taken: " + "; ".join(summary.errors[:5])
            )
    except TransportError as exc:
        error = str(exc)
        raise
    except Exception as exc:  # the archive unwritable, the database gone: this poll failed, say so
        error = f"{exc.__class__.__name__}: {exc}"
        raise
    finally:
        _finish_poll(runtime, partner, mailbox_name, started, error, summary.taken, next_run)
        if summary.message_ids:
            process_taken(runtime, summary)
            log.info(
                "%s/%s: %d file(s): %d done, %d failed, %d duplicate",
                partner, mailbox_name, summary.taken, summary.done, summary.failed, summary.duplicates,
            )  # fmt: skip
    return summary


def _report_unread(runtime: Runtime, box: Mailbox) -> None:
    """Keep what the inbox holds that ACORN will not read on the mailbox's status; one log line
    when that list changes (not on every poll)."""
    entries = [{"name": escape_text(e.name), "why": e.why} for e in box.unread]
    with session_scope(runtime.engine) as session:
        row = _status_row(session, box.partner, box.name)
        if (row.unread_entries or []) == entries:
            return
        row.unread_entries = entries or None
        session.add(row)
    if entries:
        listed = ", ".join(f"{e['name']} ({e['why']})" for e in entries[:20])
        more = f" and {len(entries) - 20} more" if len(entries) > 20 else ""
        log.warning("%s: %d inbox entr(ies) not read: %s%s", box.label, len(entries), listed, more)


def _take_batch(runtime: Runtime, box: Mailbox, items: list[RemoteFile], summary: PollSummary) -> None:
    """Fetch a batch of files, receive them together (each archived and fsynced, then one commit
    of all their rows), and only then let go of each at the mailbox. A file that cannot be
    fetched or received is named in ``summary.errors`` and stays in the inbox; the rest go on.
    A file the mailbox has on this machine (the local folder) is archived straight from there,
    one copy; the others are downloaded to the archive's staging folder, taken into the archive
    as they are (no second copy), and their scratch names removed after."""
    fetched: list[tuple[RemoteFile, Path]] = []
    staged: list[Path] = []  # scratch copies this batch made (never a mailbox's own file)
    try:
        for item in items:
            if (in_place := box.local_path(item)) is not None:
                fetched.append((item, in_place))
            elif (copy := _fetch(runtime, box, item, summary)) is not None:
                staged.append(copy)
                fetched.append((item, copy))
        if not fetched:
            return
        batch = [_incoming(box, item, path, path in staged) for item, path in fetched]
        try:
            received = list(zip(fetched, pipeline.receive_batch(runtime, batch), strict=True))
        except Exception:  # one file the archive refuses must not stop its neighbours: one by one
            log.warning("%s: a batch could not be received together; receiving it file by file", box.label)
            received = []
            for (item, path), one in zip(fetched, batch, strict=True):
                try:
                    received.append(
                        ((item, path), pipeline.receive(runtime, path, filename=one.filename, **one.origin))
                    )
                except Exception as exc:
                    _could_not_take(box, item, exc, summary)
    finally:
        for path in staged:
            path.unlink(missing_ok=True)
    let_go: list[int] = []
    for (item, _path), receipt in received:
        try:
            _let_go_of(runtime, box, item, receipt)
        except Exception as exc:
            _could_not_take(box, item, exc, summary)
            continue
        let_go.append(receipt.message_id)
        summary.taken += 1
        summary.message_ids.append(receipt.message_id)
        if receipt.state != MessageState.RECEIVED.value:  # fetched again: it was processed before
            _count(summary, receipt.state)
    pipeline.release_receipts(runtime, let_go)


def _fetch(runtime: Runtime, box: Mailbox, item: RemoteFile, summary: PollSummary) -> Path | None:
    """Download ``item`` to a fresh name in the archive's staging folder (same file system; the
    transport makes the file, so it is the only inode made for it); ``None`` (and ``item`` named
    in ``summary.errors``) when it cannot be fetched."""
    temp = runtime.archive.staging_folder() / f".fetch-{uuid.uuid4().hex}"
    try:
        box.fetch(item, temp)
    except Exception as exc:  # one file must never stop the files behind it
        temp.unlink(missing_ok=True)
        _could_not_take(box, item, exc, summary)
        return None
    return temp


def _incoming(box: Mailbox, item: RemoteFile, path: Path, staged: bool) -> pipeline.Incoming:
    return pipeline.Incoming(
        path, item.name, {"partner": box.partner, "mailbox": box.name, "remote_ref": item.ref}, staged
    )


def _let_go_of(runtime: Runtime, box: Mailbox, item: RemoteFile, receipt: pipeline.Receipt) -> None:
    """Remove a received file from the mailbox (its row is committed: the safety rule)."""
    if not receipt.new:
        with session_scope(runtime.engine) as session:
            message = session.get(Message, receipt.message_id)
            if message is not None:
                note = f"{escape_text(item.name)} fetched again (already received): removed from the mailbox"
                messages.note_event(session, message, note)
    box.acknowledge(item)


def _could_not_take(box: Mailbox, item: RemoteFile, exc: Exception, summary: PollSummary) -> None:
    name = escape_text(item.name)
    log.error("%s/%s: %s could not be taken; next file: %s", box.partner, box.name, name, exc, exc_info=exc)
    summary.errors.append(f"{name}: {exc.__class__.__name__}: {escape_text(str(exc))}")


def _count(summary: PollSummary, state: str) -> None:
    if state == MessageState.DONE.value:
        summary.done += 1
    elif state == MessageState.DUPLICATE.value:
        summary.duplicates += 1
    elif state == MessageState.FAILED.value:
        summary.failed += 1


def process_taken(runtime: Runtime, summary: PollSummary) -> None:
    """Process what this poll received and no other worker has claimed meanwhile (the mailbox's
    lease is let go first: processing is a claim of its own, per message). Never raises: what
    is left ``received`` is taken by any worker's process job or by recovery."""
    try:
        for result in pipeline.drain(runtime, among=summary.message_ids):
            _count(summary, result.state)
    except Exception:
        log.exception("%s/%s: processing received files stopped; they wait", summary.partner, summary.mailbox)


# -- sending ---------------------------------------------------------------------------------
#
# Exactly once: before the transport is touched the message moves to ``sending`` with the place
# the mailbox chose for it (``remote_ref``: a path, a remote name, an AS2 Message-ID), committed.
# A crash (or a failed try) leaves it there; the next try first asks the mailbox whether those
# bytes already arrived at that place (``find_delivered``) and only sends again, to the same
# place, when they did not. Outbound messages a dead worker held are taken over at once.

#: outbound states the outbox sends from
SENDABLE = (MessageState.QUEUED.value, MessageState.SENDING.value)
#: a worker of another host whose heartbeat is older than this is dead (it beats every 10 s)
WORKER_STALE = timedelta(seconds=60)


def _due(now: datetime) -> list[ColumnElement[bool]]:
    """Queued (or interrupted) outbound messages whose time has come."""
    return [
        col(Message.direction) == Direction.OUT.value,
        col(Message.state).in_(SENDABLE),
        or_(col(Message.next_attempt_at).is_(None), col(Message.next_attempt_at) <= now),
    ]


def take_over_dead(runtime: Runtime) -> int:
    """Free the leases of outbound messages whose holder is dead: a process of this host that is
    gone, or a worker whose heartbeat stopped. How many were freed."""
    with session_scope(runtime.engine) as session:
        held = session.exec(
            select(Message).where(
                col(Message.direction) == Direction.OUT.value,
                col(Message.state).in_(SENDABLE),
                col(Message.lease_owner).is_not(None),
            )
        ).all()
        freed = leases.release_dead(session, held, leases.stale_workers(session, WORKER_STALE))
    if freed:
        log.info("took over %d outbound message(s) of dead workers", freed)
    return freed


def send_due(runtime: Runtime, partner: str | None = None, limit: int = 500) -> SendSummary:
    """Send queued outbound messages whose ``next_attempt_at`` has come, each under a lease.

    :data:`SEND_GROUP` at a time: one transaction claims them (and re-checks their invoices), and
    those bound for the same mailbox go out together (:func:`_deliver_group`): every one planned,
    one commit of all their ``sending``, each delivered, one commit of all their ``sent``. A
    message an earlier try left ``sending`` goes alone (its mailbox is asked first)."""
    runtime.refresh()
    take_over_dead(runtime)
    summary = SendSummary()
    with session_scope(runtime.engine) as session:
        query = select(Message.id).where(*_due(utcnow()))
        if partner:
            query = query.where(Message.partner == partner)
        ids = [int(i or 0) for i in session.exec(query.order_by(col(Message.id)).limit(limit)).all()]
    for start in range(0, len(ids), SEND_GROUP):
        claimed = _claim_for_send(runtime, ids[start : start + SEND_GROUP])
        held = [o.id for o in claimed if not o.blocked]
        if not held:
            summary.blocked += len(claimed)
            continue
        # the leases live as long as this worker sends them, however slow the partner's side
        mine = [col(Message.id).in_(held)]
        with leases.Heartbeat(runtime.engine, Message, mine, runtime.lease_holder(), pipeline.LEASE):
            _send_claimed(runtime, claimed, summary)
    return summary


def _send_claimed(runtime: Runtime, claimed: list[_Outgoing], summary: SendSummary) -> None:
    groups: dict[tuple[str, str], list[_Outgoing]] = {}
    for outgoing in claimed:
        if outgoing.blocked:
            summary.blocked += 1
        elif outgoing.interrupted or not (where := _mailbox_of(runtime, outgoing)):
            _tally(summary, _deliver(runtime, outgoing))  # asked first, or failed with the reason
        else:
            groups.setdefault(where, []).append(outgoing)
    for (partner_name, mailbox_name), group in groups.items():
        for outcome in _deliver_group(runtime, partner_name, mailbox_name, group):
            _tally(summary, outcome)


#: outbound messages claimed in one transaction and sent through one open mailbox
SEND_GROUP = 25


def _tally(summary: SendSummary, outcome: str) -> None:
    if outcome != TAKEN_OVER:
        setattr(summary, outcome, getattr(summary, outcome) + 1)


#: a message another worker took over before its ``sending`` was committed: not sent here
TAKEN_OVER = "taken over"


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """What sending one outbound message needs, read in the transaction that claimed it."""

    id: int
    partner: str
    mailbox: str | None
    filename: str
    sha256: str
    #: where an earlier, interrupted try sent it (the message was left ``sending``)
    interrupted: str | None
    #: held at send (its invoice would now break a rule): not sent, its lease let go
    blocked: bool = False


def _claim_for_send(runtime: Runtime, ids: Sequence[int]) -> list[_Outgoing]:
    """In one transaction: the lease on each of ``ids`` still due and free (one ``UPDATE``), the
    re-check at send of each, and what sending it needs; the claimed ones, in id order."""
    now = utcnow()
    holder = runtime.lease_holder()
    with session_scope(runtime.engine) as session:
        where = [col(Message.id).in_(list(ids)), *_due(now)]
        free = or_(
            col(Message.lease_until).is_(None),
            col(Message.lease_until) < now,
            col(Message.lease_owner) == holder,
        )
        taken = session.execute(
            update(Message).where(*where, free).values(lease_owner=holder, lease_until=now + pipeline.LEASE)
            .returning(col(Message.id)).execution_options(synchronize_session=False)
        )  # fmt: skip
        claimed = sorted(int(i) for i in taken.scalars().all())
        # loaded once, and held: the session keeps only weak references to clean rows, so a
        # dropped result would be collected and each ``session.get`` below would SELECT again
        loaded = session.exec(select(Message).where(col(Message.id).in_(claimed))).all() if claimed else []
        outgoing = [_outgoing(session, runtime, message_id) for message_id in claimed]
        del loaded
        return outgoing


def _outgoing(session: Session, runtime: Runtime, message_id: int) -> _Outgoing:
    blocked = money.held_at_send(session, runtime, message_id)
    message = session.get(Message, message_id)  # in the session already: no second SELECT
    assert message is not None
    return _Outgoing(
        id=message_id,
        partner=message.partner or "",
        mailbox=message.mailbox,
        filename=message.filename or f"{message_id}",
        sha256=message.sha256,
        interrupted=message.remote_ref if message.state == MessageState.SENDING.value else None,
        blocked=blocked,
    )


def _mailbox_of(runtime: Runtime, outgoing: _Outgoing) -> tuple[str, str] | None:
    """``(partner, mailbox)`` the message goes through; ``None`` when that is not known (the one
    by one path then records why)."""
    try:
        profile = runtime.partners.get(outgoing.partner)
    except KeyError:
        return None
    if outgoing.mailbox is not None:
        return outgoing.partner, outgoing.mailbox
    return (outgoing.partner, profile.mailboxes[0].name) if profile.mailboxes else None


def send_one(runtime: Runtime, message_id: int) -> str:
    """Send one claimed outbound message; returns ``sent``, ``retrying``, ``failed`` or ``blocked``."""
    with session_scope(runtime.engine) as session:
        outgoing = _outgoing(session, runtime, message_id)
    return "blocked" if outgoing.blocked else _deliver(runtime, outgoing)


def _deliver(runtime: Runtime, outgoing: _Outgoing) -> str:
    """One message: ``sending`` committed, the transport, then ``sent`` (or the failure recorded).
    A message left ``sending`` by an earlier try is looked for at its place first."""
    message_id, partner, mailbox_name = outgoing.id, outgoing.partner, outgoing.mailbox
    filename, sha256, interrupted = outgoing.filename, outgoing.sha256, outgoing.interrupted
    try:
        profile = runtime.partners.get(partner)
        if mailbox_name is None:
            if not profile.mailboxes:
                raise TransportError(f"partner {partner} has no mailbox to send through", retryable=False)
            mailbox_name = profile.mailboxes[0].name
        data = runtime.archive.read(sha256)
        with open_mailbox(partner, profile.mailbox(mailbox_name)) as box:
            if hasattr(box, "on_sent"):  # AS2: keep the MIC before the POST (an async MDN may come first)
                box.on_sent = lambda sent: _record_as2_sent(runtime, message_id, sent)
            if interrupted and box.find_delivered(interrupted, len(data), sha256):
                note = f"found at {partner}/{mailbox_name} as {interrupted} after an interrupted try"
                note += ": not sent again"
                _sent(runtime, mailbox_name, [_Delivered(message_id, interrupted, True, note)])
                return "sent"
            ref = interrupted or box.plan(filename, data)
            if not _sending(runtime, mailbox_name, [(message_id, ref)], again=interrupted is not None):
                return TAKEN_OVER
            receipt = box.send(filename, data, ref=ref)
    except (TransportError, KeyError, OSError) as exc:
        retryable = getattr(exc, "retryable", True) and not isinstance(exc, KeyError)
        return _send_failed(runtime, message_id, str(exc), retryable)
    _sent(runtime, mailbox_name, [_delivered(message_id, partner, mailbox_name, filename, receipt)])
    return "sent"


@dataclass(frozen=True, slots=True)
class _Delivered:
    """A message the transport took: where, whether delivery is confirmed, the timeline note."""

    id: int
    ref: str
    delivered: bool
    note: str


def _delivered(
    message_id: int, partner: str, mailbox_name: str, filename: str, receipt: SendReceipt
) -> _Delivered:
    note = f"sent through {partner}/{mailbox_name} as {filename}"
    if not receipt.delivered:
        note += " (delivery confirmation pending)"
    return _Delivered(message_id, receipt.ref, receipt.delivered, note)


def _deliver_group(runtime: Runtime, partner: str, mailbox_name: str, group: list[_Outgoing]) -> list[str]:
    """Messages bound for one mailbox, none sent before: each planned, one commit of every
    ``sending``, each delivered, one commit of every ``sent``. A message that fails (its bytes
    unreadable, the transport refuses it) is recorded alone and its neighbours go on; a crash
    leaves the planned ones ``sending``, for the next try to look for (the exactly-once rule)."""
    outcomes: list[str] = []
    handled: set[int] = set()  # failed or sent: recorded

    def failed(outgoing: _Outgoing, exc: Exception, retryable: bool) -> None:
        handled.add(outgoing.id)
        outcomes.append(_send_failed(runtime, outgoing.id, str(exc), retryable))

    try:
        profile = runtime.partners.get(partner)
        with open_mailbox(partner, profile.mailbox(mailbox_name)) as box, _grouped(box):
            planned: list[tuple[_Outgoing, bytes, str]] = []
            for outgoing in group:
                try:
                    data = runtime.archive.read(outgoing.sha256)
                    planned.append((outgoing, data, box.plan(outgoing.filename, data)))
                except (TransportError, OSError) as exc:
                    failed(outgoing, exc, getattr(exc, "retryable", True))
            if not planned:
                return outcomes
            _sync_pending(box)  # the reservations durable before ``sending`` is committed
            moved = _sending(runtime, mailbox_name, [(o.id, ref) for o, _data, ref in planned], again=False)
            for outgoing, _data, _ref in planned:
                if outgoing.id not in moved:
                    handled.add(outgoing.id)
                    outcomes.append(TAKEN_OVER)
            planned = [item for item in planned if item[0].id in moved]
            done: list[_Delivered] = []
            try:
                for outgoing, data, ref in planned:
                    if hasattr(box, "on_sent"):  # AS2: keep the MIC before the POST
                        box.on_sent = partial(_record_as2_sent, runtime, outgoing.id)
                    try:
                        receipt = box.send(outgoing.filename, data, ref=ref)
                    except (TransportError, OSError) as exc:
                        failed(outgoing, exc, getattr(exc, "retryable", True))
                        continue
                    done.append(_delivered(outgoing.id, partner, mailbox_name, outgoing.filename, receipt))
            finally:  # what the transport took is recorded even when a later send raises
                if done:
                    _sync_pending(box)  # the renames durable before ``sent`` is committed
                    _sent(runtime, mailbox_name, done)
                    handled.update(d.id for d in done)
                    outcomes += ["sent"] * len(done)
    except (TransportError, KeyError, OSError) as exc:  # the mailbox could not be opened
        retryable = getattr(exc, "retryable", True) and not isinstance(exc, KeyError)
        for outgoing in group:
            if outgoing.id not in handled:
                failed(outgoing, exc, retryable)
    return outcomes


def _grouped(box: Mailbox) -> AbstractContextManager[None]:
    """The transport's group of writes (one folder fsync for many files, local), or nothing."""
    deferred = getattr(box, "deferred_sync", None)
    return deferred() if deferred is not None else nullcontext()


def _sync_pending(box: Mailbox) -> None:
    """Make the group's writes so far durable (before a commit that depends on them)."""
    sync = getattr(box, "sync_pending", None)
    if sync is not None:
        sync()


def _sending(
    runtime: Runtime, mailbox_name: str, planned: Sequence[tuple[int, str]], *, again: bool
) -> set[int]:
    """Commit ``sending`` and where to for each ``(message id, place)`` still leased to this holder,
    before the transport is touched; the ids moved (one another worker took over is not sent here)."""
    holder = runtime.lease_holder()
    moved: set[int] = set()
    with session_scope(runtime.engine) as session:
        rows = _load(session, [message_id for message_id, _ref in planned])
        for message_id, ref in planned:
            message = rows[message_id]
            if message.lease_owner != holder:
                log.warning(
                    "message %s: taken over by %s before sending; not sent here",
                    message_id,
                    message.lease_owner,
                )
                continue
            moved.add(message_id)
            message.mailbox = mailbox_name
            message.remote_ref = ref.strip("<>")
            verb = "sending again (not found at the partner)" if again else "sending"
            note = f"{verb} through {message.partner}/{mailbox_name} to {ref}"
            messages.move(session, message, MessageState.SENDING, note)
    return moved


def _sent(runtime: Runtime, mailbox_name: str, done: Sequence[_Delivered]) -> None:
    """Commit ``sent`` for each message the transport took (one transaction for them all)."""
    with session_scope(runtime.engine) as session:
        rows = _load(session, [d.id for d in done])
        for item in done:
            message = rows[item.id]
            message.mailbox = mailbox_name
            message.remote_ref = item.ref.strip("<>")
            message.attempts += 1
            message.next_attempt_at = None
            if item.delivered:  # an async MDN may already have said so
                message.completed_at = utcnow()
            leases.release(message)
            if message.state in SENDABLE:
                messages.move(session, message, MessageState.SENT, item.note)
            else:  # a negative async MDN came back before the POST returned: it stays failed
                messages.note_event(session, message, item.note)
        invoicing.record_invoices_sent(session, {d.id: rows[d.id].document_types for d in done})
        _count_sent(session, rows[done[0].id].partner or "", mailbox_name, len(done))
    for item in done:
        log.info("message %s %s", item.id, item.note)


def _load(session: Session, ids: Sequence[int]) -> dict[int, Message]:
    """The messages ``ids`` in one ``SELECT``."""
    rows = {int(m.id or 0): m for m in session.exec(select(Message).where(col(Message.id).in_(list(ids))))}
    assert set(ids) <= set(rows), f"outbound message(s) missing: {sorted(set(ids) - set(rows))}"
    return rows


def _count_sent(session: Session, partner: str, mailbox_name: str, count: int = 1) -> None:
    """``count`` more files sent through the mailbox: one ``UPDATE`` (the status row made when missing)."""
    where = (col(MailboxStatus.partner) == partner, col(MailboxStatus.mailbox) == mailbox_name)
    bumped = session.execute(
        update(MailboxStatus).where(*where).values(sent=col(MailboxStatus.sent) + count)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    if not getattr(bumped, "rowcount", 0):
        row = _status_row(session, partner, mailbox_name)
        row.sent += count
        session.add(row)


def _record_as2_sent(runtime: Runtime, message_id: int, sent: SentMessage) -> None:
    detail = {
        "as2_message_id": sent.message_id, "mic": sent.mic, "mic_algorithm": sent.mic_algorithm,
        "partner": sent.partner, "mailbox": sent.mailbox,
    }  # fmt: skip
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        if message is not None:
            message.remote_ref = sent.message_id
            session.add(message)
            messages.note_event(session, message, f"AS2 message <{sent.message_id}> posted", detail=detail)


def _send_failed(runtime: Runtime, message_id: int, error: str, retryable: bool) -> str:
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        message.attempts += 1
        leases.release(message)
        if retryable and message.attempts < MAX_SEND_ATTEMPTS:
            delay = min(SEND_BACKOFF_SECONDS * 2 ** (message.attempts - 1), SEND_BACKOFF_MAX_SECONDS)
            message.next_attempt_at = utcnow() + timedelta(seconds=delay)
            messages.record_error(message, "send", StageCode.SEND_FAILED.value, error)
            message.updated_at = utcnow()
            session.add(message)
            outcome, note = (
                "retrying",
                f"send failed (attempt {message.attempts}), retry in {delay:.0f}s: {error}",
            )
            messages.note_event(session, message, note)
        else:
            outcome, note = "failed", f"send failed for good after {message.attempts} attempt(s): {error}"
            messages.fail(session, message, "send", StageCode.SEND_FAILED.value, error, note=note)
    log.warning("message %s: %s", message_id, note)
    return outcome
