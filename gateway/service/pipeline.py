"""The inbound message pipeline: receive, archive, parse, deduplicate, acknowledge, translate, store.

The flow (DESIGN.md) for every file, whatever mailbox it came from::

    receive -> archive + message row -> parse and validate -> duplicate check
            -> 997/CONTRL queued (partner policy) -> translate each transaction
            -> store documents by business key -> reconciliation hook -> done

Rules that keep messages safe:

- :func:`receive` archives the bytes (fsynced) and commits a message row *before* the caller
  may delete the file at the mailbox. A file fetched again after a crash (same partner,
  mailbox, name and sha256: the row's ``receipt_key``) is recognised, never ingested twice.
- :func:`process` claims the message with a lease (an atomic conditional update), so two
  workers never process the same message; each stage commits and a failure records the stage,
  a stable code, a readable message naming the file, segment and element, and the position.
  The archive is never touched by processing.
- Storing documents is idempotent (partner + type + business key), so re-processing after a
  crash or a replay replaces what the earlier attempt produced instead of duplicating it.
- :func:`replay` re-runs messages from their archived bytes with today's mappings and partner
  profiles, and writes who and why to the audit log.

Canonical XML (from an ERP or warehouse that does not speak EDI, :mod:`gateway.service.xml_inbound`)
takes the same path without the EDI steps: the mailbox's partner is its sender, the XSD and
the canonical model check it in place of parsing and translating, and no 997 is queued.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from gateway.canonical import CanonicalDocument
from gateway.config import PartnerProfile
from gateway.edi import EdiError, ParsedFile, Position, parse
from gateway.mapping.errors import MappingError, TranslationError
from gateway.outbound.acks import (
    apply_acknowledgement,
    is_acknowledgement,
    queue_acknowledgement,
    read_acknowledgement,
)
from gateway.service.runtime import Runtime
from gateway.service.xml_inbound import XmlRefused, looks_like_xml, read_xml_message
from gateway.store import session_scope
from gateway.store.archive import ArchivedPayload
from gateway.store.documents import save_document
from gateway.store.models import AuditEntry, Direction, Document, Message, MessageEvent, MessageState, utcnow

log = logging.getLogger(__name__)

#: How long a worker may hold a message before another may take it over.
LEASE = timedelta(minutes=5)
#: States of an inbound message that is not finished (a crash may leave one there).
UNFINISHED = (MessageState.RECEIVED.value, MessageState.PARSED.value, MessageState.TRANSLATED.value)


class StageError(Exception):
    """A processing stage failed: ``stage``, a stable ``code``, a readable message and a position."""

    def __init__(self, stage: str, code: str, message: str, position: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.stage = stage
        self.code = code
        self.message = message
        self.position = position


@dataclass(frozen=True, slots=True)
class Receipt:
    """A received file: its message id, whether the row is new, and its state."""

    message_id: int
    new: bool
    state: str


@dataclass(slots=True)
class ReplayOutcome:
    """What a replay or resend did to one message."""

    message_id: int
    state: str
    error: str | None = None


@dataclass(slots=True)
class ProcessSummary:
    """What processing one message produced (for logs, the CLI and tests)."""

    message_id: int
    state: str
    documents: list[int] = field(default_factory=list)
    error: str | None = None


def receipt_key(partner: str | None, mailbox: str | None, name: str, sha256: str) -> str:
    """The identity of one file taken from one mailbox (a re-fetch after a crash has the same)."""
    raw = "\0".join((partner or "", mailbox or "", name, sha256))
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def _event(session: Session, message: Message, note: str, actor: str = "gateway", **detail: Any) -> None:
    session.add(
        MessageEvent(
            message_id=message.id, state=message.state, actor=actor, note=note, detail=detail or None
        )  # type: ignore[arg-type]
    )


# -- receive ---------------------------------------------------------------------------------


def receive(
    runtime: Runtime,
    source: bytes | Path,
    *,
    filename: str,
    partner: str | None = None,
    mailbox: str | None = None,
    remote_ref: str | None = None,
    key: str | None = None,
    actor: str = "gateway",
) -> Receipt:
    """Archive ``source`` (bytes, or a local file streamed) and commit its inbound message row.

    ``key`` identifies the receipt (see :func:`receipt_key`); when a row with that key exists,
    nothing new is written and its receipt is returned with ``new=False``.
    """
    stored: ArchivedPayload = (
        runtime.archive.store(source) if isinstance(source, bytes) else runtime.archive.store_file(source)
    )
    if key is None and mailbox is not None:
        key = receipt_key(partner, mailbox, filename, stored.sha256)
    if key is not None:
        existing = _by_receipt_key(runtime, key)
        if existing is not None:
            return existing
    try:
        with session_scope(runtime.engine) as session:
            message = Message(
                direction=Direction.IN.value,
                partner=partner,
                mailbox=mailbox,
                filename=filename,
                size=stored.size,
                sha256=stored.sha256,
                archive_path=stored.key,
                remote_ref=remote_ref,
                receipt_key=key,
            )
            session.add(message)
            session.flush()
            _event(session, message, f"received {filename} ({stored.size} bytes)", actor)
            message_id = int(message.id)  # type: ignore[arg-type]
    except IntegrityError:  # another worker recorded the same receipt first
        existing = _by_receipt_key(runtime, key or "")
        if existing is None:
            raise
        return existing
    log.info("received %s from %s/%s as message %s", filename, partner or "?", mailbox or "-", message_id)
    return Receipt(message_id, True, MessageState.RECEIVED.value)


def _by_receipt_key(runtime: Runtime, key: str) -> Receipt | None:
    with session_scope(runtime.engine) as session:
        row = session.exec(select(Message).where(Message.receipt_key == key)).first()
        return None if row is None else Receipt(int(row.id), False, row.state)  # type: ignore[arg-type]


def release_receipt(runtime: Runtime, message_id: int) -> None:
    """Forget the receipt key once the mailbox has let go of the file, so a later identical file
    from the partner is a new message (and is then found to be a duplicate), not a re-fetch."""
    with session_scope(runtime.engine) as session:
        session.execute(update(Message).where(Message.id == message_id).values(receipt_key=None))


def ingest(
    runtime: Runtime,
    source: bytes | Path,
    filename: str,
    *,
    partner: str | None = None,
    mailbox: str | None = None,
    remote_ref: str | None = None,
    key: str | None = None,
    actor: str = "gateway",
) -> Receipt:
    """Receive and process one file; the receipt's state is where processing left the message."""
    receipt = receive(
        runtime, source, filename=filename, partner=partner, mailbox=mailbox, remote_ref=remote_ref, key=key,
        actor=actor,
    )  # fmt: skip
    if receipt.new or receipt.state in UNFINISHED:
        summary = process(runtime, receipt.message_id, actor=actor)
        return Receipt(receipt.message_id, receipt.new, summary.state)
    return receipt


# -- leases ----------------------------------------------------------------------------------


def claim(runtime: Runtime, message_id: int, states: Sequence[str] = UNFINISHED) -> bool:
    """Take the lease on a message in one of ``states``; ``False`` when another worker holds it."""
    now = utcnow()
    with session_scope(runtime.engine) as session:
        result = session.execute(
            update(Message)
            .where(
                Message.id == message_id,
                Message.state.in_(list(states)),  # type: ignore[attr-defined]
                or_(
                    Message.lease_until.is_(None),
                    Message.lease_until < now,
                    Message.lease_owner == runtime.worker_id,
                ),  # type: ignore[union-attr,operator]
            )
            .values(lease_owner=runtime.worker_id, lease_until=now + LEASE)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _release(session: Session, message: Message) -> None:
    message.lease_owner = None
    message.lease_until = None


def recover(runtime: Runtime, settled: timedelta | None = None) -> list[int]:
    """Process every unfinished inbound message whose lease is free or expired (after a crash).

    Leases of dead processes on this host are released first, so a restarted gateway resumes
    at once instead of waiting for the lease to expire. With ``settled`` (the scheduler's
    periodic retry, beside running polls of this same worker), only messages nobody holds and
    received at least that long ago are taken: never one a poll has just received.
    """
    host = socket.gethostname()
    with session_scope(runtime.engine) as session:
        held = session.exec(
            select(Message).where(
                Message.direction == Direction.IN.value,
                Message.state.in_(UNFINISHED),  # type: ignore[attr-defined]
                Message.lease_owner.is_not(None),  # type: ignore[union-attr]
            )
        ).all()
        for message in held:
            if owner_is_dead(message.lease_owner, host):
                _release(session, message)
                session.add(message)
        query = select(Message.id).where(
            Message.direction == Direction.IN.value,
            Message.state.in_(UNFINISHED),  # type: ignore[attr-defined]
        )
        if settled is not None:
            query = query.where(
                Message.lease_owner.is_(None),  # type: ignore[union-attr]
                Message.created_at < utcnow() - settled,  # type: ignore[operator]
            )
        ids = session.exec(query.order_by(Message.id)).all()  # type: ignore[arg-type]
    done = []
    for message_id in ids:
        if process(runtime, int(message_id)).state != "busy":  # type: ignore[arg-type]
            done.append(int(message_id))  # type: ignore[arg-type]
    if done:
        log.info("recovered %d unfinished message(s): %s", len(done), done)
    return done


def owner_is_dead(owner: str | None, host: str | None = None) -> bool:
    """True when a lease ``owner`` (``host:pid``) is a process of this host that no longer runs."""
    owner_host, _, pid = (owner or "").rpartition(":")
    numeric = pid.isascii() and pid.isdigit()
    return owner_host == (host or socket.gethostname()) and numeric and not _alive(int(pid))


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- process ---------------------------------------------------------------------------------


def process(runtime: Runtime, message_id: int, *, actor: str = "gateway") -> ProcessSummary:
    """Run an inbound message through the pipeline. Never raises for bad input: a failure is
    recorded on the message. Returns state ``busy`` when another worker holds it."""
    if not claim(runtime, message_id):
        with session_scope(runtime.engine) as session:
            message = session.get(Message, message_id)
            state = "missing" if message is None else message.state
        return ProcessSummary(message_id, state if state not in UNFINISHED else "busy")
    try:
        return _process(runtime, message_id, actor)
    except StageError as exc:
        _fail(runtime, message_id, exc, actor)
        return ProcessSummary(message_id, MessageState.FAILED.value, error=exc.message)
    except OperationalError as exc:
        # The database is locked or unreachable: nothing is wrong with the message. It stays
        # unfinished (every stage so far is committed) and recover() takes it up again.
        log.warning("message %s: database unavailable, left to be retried: %s", message_id, exc.orig)
        _let_go(runtime, message_id)
        return ProcessSummary(message_id, "busy", error=str(exc.orig))
    except Exception as exc:  # a bug must fail the message, not stop the gateway
        log.exception("message %s: unexpected error", message_id)
        _fail(
            runtime,
            message_id,
            StageError("internal", "INTERNAL_ERROR", f"{type(exc).__name__}: {exc}"),
            actor,
        )
        return ProcessSummary(message_id, MessageState.FAILED.value, error=str(exc))


def _let_go(runtime: Runtime, message_id: int) -> None:
    """Release our lease on ``message_id`` if the database lets us (else it expires)."""
    try:
        with session_scope(runtime.engine) as session:
            message = session.get(Message, message_id)
            if message is not None and message.lease_owner == runtime.worker_id:
                _release(session, message)
                session.add(message)
    except OperationalError:
        log.debug("message %s: lease left to expire", message_id)


def _fail(runtime: Runtime, message_id: int, exc: StageError, actor: str) -> None:
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        if message is None:
            return
        message.state = MessageState.FAILED.value
        message.error_stage = exc.stage
        message.error_code = exc.code
        message.error_message = exc.message
        message.error_position = exc.position
        message.updated_at = utcnow()
        _release(session, message)
        session.add(message)
        _event(session, message, f"{exc.stage} failed: {exc.message}", actor, code=exc.code)
    log.warning("message %s failed at %s: %s", message_id, exc.stage, exc.message)


def _set_state(session: Session, message: Message, state: MessageState, note: str, actor: str) -> None:
    message.state = state.value
    message.updated_at = utcnow()
    session.add(message)
    _event(session, message, note, actor)


def _position(position: Position | None) -> dict[str, Any] | None:
    return position.as_dict() if position is not None else None


def _process(runtime: Runtime, message_id: int, actor: str) -> ProcessSummary:
    # 1. parse and validate the envelopes (or read canonical XML)
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        filename = message.filename or f"message {message_id}"
        path = runtime.archive.path_for(message.sha256)
        if not path.is_file():
            raise StageError(
                "archive", "ARCHIVE_MISSING", f"{filename}: archived payload {message.sha256} is missing"
            )
        parsed: ParsedFile | None = None
        documents: list[CanonicalDocument] = []  # canonical XML gives its document here
        unknown: StageError | None = None
        if looks_like_xml(path):
            try:
                profile, doc = read_xml_message(
                    runtime.partners, message.partner, filename, path.read_bytes(), message_id
                )
            except XmlRefused as exc:
                raise StageError("parse", exc.code, exc.message, exc.position) from None
            documents.append(doc)
            message.standard, message.document_types = "xml", [doc.type_key]
            note = f"parsed: canonical XML {doc.type_key}"
        else:
            try:
                parsed = parse(path)
            except EdiError as exc:
                raise StageError(
                    "parse", exc.issue.code.value, f"{filename}: {exc.issue}", _position(exc.issue.position)
                ) from None
            if parsed.interchanges:
                _record_envelope(message, parsed)
            try:
                profile = _identify(runtime, message, parsed)
            except StageError as exc:
                unknown = exc  # raised once the envelope ids are committed
            note = f"parsed: {len(parsed.transactions)} transaction(s)"
        if unknown is None:
            message.partner = profile.name
            message.error_stage = message.error_code = message.error_message = None
            message.error_position = None
            _set_state(session, message, MessageState.PARSED, note, actor)
        session.add(message)
    if unknown is not None:
        raise unknown

    # 2. duplicates
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        original = _earlier_duplicate(session, message)
        if original is not None:
            message.duplicate_of_id = original.id
            message.completed_at = utcnow()
            _release(session, message)
            _set_state(session, message, MessageState.DUPLICATE, f"duplicate of message {original.id}", actor)
            return ProcessSummary(message_id, MessageState.DUPLICATE.value)

    # 3. functional acknowledgement (once per message, also across replays)
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        if parsed is not None and message.ack_message_id is None:  # XML has no acknowledgement
            ack = queue_acknowledgement(
                session, runtime.archive, profile, parsed, _reply_mailbox(profile, message)
            )
            if ack is not None:
                message.ack_message_id = ack.id
                _event(session, message, f"acknowledgement queued (message {ack.id})", actor)
                session.add(message)

    # 4. translate every transaction (acks are applied, not translated)
    problems: list[StageError] = []
    acks = []
    registry = runtime.mappings  # today's mappings, looked up once per message
    for tx in parsed.transactions if parsed is not None else []:
        if any(issue.severity.value == "error" for issue in tx.issues):
            continue  # rejected in the 997/CONTRL; reported below with the envelope errors
        if is_acknowledgement(tx):
            try:
                acks.append(read_acknowledgement(tx))
            except ValueError as exc:
                problems.append(
                    StageError(
                        "translate",
                        "BAD_ACKNOWLEDGEMENT",
                        f"{filename}: {tx.position(0).describe()}: {exc}",
                        _position(tx.position(0)),
                    )
                )
            continue
        try:
            mapping = registry.select(tx.standard, tx.version, tx.type, "inbound", profile.mappings)
        except MappingError as exc:
            problems.append(
                StageError(
                    "translate",
                    "NO_MAPPING",
                    f"{filename}: {tx.position(0).describe()}: {tx.type} {tx.version}: {exc}",
                    _position(tx.position(0)),
                )
            )
            continue
        try:
            doc = mapping.translate(tx, {"partner": profile.name, "source_message_id": message_id})
        except TranslationError as exc:
            name = Path(exc.mapping or mapping.file).name
            problems.append(
                StageError(
                    "translate",
                    "MAPPING_MISFIT",
                    f"{filename}: {exc.describe()} [{name}]",
                    _position(exc.position),
                )
            )
            continue
        except MappingError as exc:
            problems.append(
                StageError("translate", "MAPPING_BROKEN", f"{filename}: {exc}", _position(tx.position(0)))
            )
            continue
        documents.append(doc)  # type: ignore[arg-type]

    # 5. store documents and apply acknowledgements, in one transaction
    stored: list[int] = []
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        rows: list[Document] = []
        for doc in documents:
            saved = save_document(session, profile.name, doc, message_id)
            rows.append(saved.document)
            stored.append(int(saved.document.id))  # type: ignore[arg-type]
            _event(session, message, f"{saved.outcome} {doc.type_key} {saved.document.business_key}", actor)
        for result in acks:
            target = apply_acknowledgement(session, profile.name, result, message_id)
            note = (
                f"acknowledges message {target.id}: {result.status}"
                if target
                else "acknowledges nothing we sent"
            )
            _event(session, message, note, actor)
            if target is not None:
                _invoice_ack(session, runtime, target, result)
        if documents or acks:
            _set_state(
                session, message, MessageState.TRANSLATED, f"{len(documents)} document(s) stored", actor
            )
        _reconcile(session, runtime, rows, message)
        _invoice(session, runtime, rows, message)

    # 6. done, or failed with every problem listed
    envelope = [
        StageError("envelope", issue.code.value, f"{filename}: {issue}", _position(issue.position))
        for issue in (parsed.errors if parsed is not None else [])
    ]
    failures = envelope + problems
    if failures:
        first = failures[0]
        text = first.message if len(failures) == 1 else "\n".join(f.message for f in failures)
        raise StageError(first.stage, first.code, text, first.position)
    with session_scope(runtime.engine) as session:
        message = session.get(Message, message_id)
        assert message is not None
        message.completed_at = utcnow()
        _release(session, message)
        _set_state(session, message, MessageState.DONE, "done", actor)
    return ProcessSummary(message_id, MessageState.DONE.value, stored)


def _identify(runtime: Runtime, message: Message, parsed: ParsedFile) -> PartnerProfile:
    """The partner who sent ``parsed``, by the sender identity of its interchanges.

    Every interchange of a file must come from one partner, and from the partner whose mailbox
    the file came through (when it came through one): an Amazon order in the warehouse's
    mailbox, or a warehouse ASN appended to an Amazon file, fails rather than being filed under
    the wrong partner and acknowledged to the wrong one.
    """
    if not parsed.interchanges or parsed.interchanges[0].header is None:
        raise StageError("parse", "NO_INTERCHANGE", f"{message.filename}: no interchange found")
    partners = runtime.partners
    profile: PartnerProfile | None = None
    for interchange in parsed.interchanges:
        header = interchange.header
        if header is None:
            continue
        who = f"{header.sender_qualifier}:{header.sender_id}" if header.sender_qualifier else header.sender_id
        sender = partners.maybe_by_sender(parsed.standard, header.sender_qualifier, header.sender_id)
        where = f"{message.filename}: interchange {header.control_number}"
        if sender is None:
            raise StageError(
                "partner", "UNKNOWN_PARTNER",
                f"{where}: unknown partner: sender {who} is not in any partner profile",
                _position(header.position),
            )  # fmt: skip
        if profile is not None and sender.name != profile.name:
            raise StageError(
                "partner", "MIXED_SENDERS",
                f"{where} is from {sender.name} ({who}), the file's first from {profile.name}: "
                "one file holds one partner's interchanges",
                _position(header.position),
            )  # fmt: skip
        if message.partner and message.partner != sender.name:
            raise StageError(
                "partner", "WRONG_MAILBOX",
                f"{where} is from {sender.name} ({who}) but came through {message.partner}'s mailbox "
                f"{message.mailbox or ''}".rstrip() + f": it belongs in a mailbox of {sender.name}",
                _position(header.position),
            )  # fmt: skip
        profile = sender
    assert profile is not None
    return profile


def _record_envelope(message: Message, parsed: ParsedFile) -> None:
    header = parsed.interchanges[0].header
    message.standard = parsed.standard
    message.interchange_control = header.control_number
    message.group_controls = [
        g.header.control_number for i in parsed.interchanges for g in i.groups if g.header.control_number
    ]
    message.transaction_controls = [t.control_number for t in parsed.transactions]
    message.sender_qualifier = header.sender_qualifier or None
    message.sender_id = header.sender_id
    message.receiver_qualifier = header.receiver_qualifier or None
    message.receiver_id = header.receiver_id
    message.document_types = sorted({t.type for t in parsed.transactions})


def _earlier_duplicate(session: Session, message: Message) -> Message | None:
    """An earlier inbound message, not failed, with the same interchange identity or the same bytes.

    A message without an interchange (canonical XML) is a duplicate by its bytes alone."""
    same = Message.sha256 == message.sha256
    if message.interchange_control is not None:
        same = or_(
            same,
            (Message.sender_id == message.sender_id)
            & (Message.receiver_id == message.receiver_id)
            & (Message.interchange_control == message.interchange_control),
        )
    return session.exec(
        select(Message)
        .where(
            Message.direction == Direction.IN.value,
            Message.id < message.id,  # type: ignore[operator]
            Message.state != MessageState.FAILED.value,
            same,
        )
        .order_by(Message.id)  # type: ignore[arg-type]
    ).first()


def _reply_mailbox(profile: PartnerProfile, message: Message) -> str | None:
    """Answer through the mailbox the message came from when it is the partner's, else its first."""
    names = [m.name for m in profile.mailboxes]
    if message.mailbox in names and message.partner == profile.name:
        return message.mailbox
    return names[0] if names else None


def _reconcile(session: Session, runtime: Runtime, rows: list[Document], message: Message) -> None:
    """The reconciliation hook; its failure is logged on the message, never fails it."""
    if not rows:
        return
    from gateway import reconcile

    try:
        with session.begin_nested():
            reconcile.reconcile_documents(session, runtime.partners, rows)
    except Exception as exc:  # reported; the documents stay stored
        log.exception("reconciliation after message %s failed", message.id)
        _event(session, message, f"reconciliation failed: {type(exc).__name__}: {exc}")


def _invoice(session: Session, runtime: Runtime, rows: list[Document], message: Message) -> None:
    """Invoices and credit notes the new documents call for (queued in automatic mode)."""
    if not rows:
        return
    from gateway import invoicing

    try:
        with session.begin_nested():
            built = invoicing.on_documents_stored(
                session, runtime.partners, runtime.mappings, runtime.archive, rows
            )
    except Exception as exc:  # reported; the documents stay stored and `acorn invoices build` can retry
        log.exception("invoicing after message %s failed", message.id)
        _event(session, message, f"invoicing failed: {type(exc).__name__}: {exc}")
        return
    for document in built:
        _event(session, message, f"{document.status} invoice {document.business_key} built")


def _invoice_ack(session: Session, runtime: Runtime, target: Message, result: Any) -> None:
    from gateway import invoicing

    accepted = result.status in ("accepted", "accepted_with_errors")
    codes = sorted({c for t in result.transactions for c in t.codes} | set(result.codes))
    invoicing.record_invoice_ack(session, int(target.id), accepted, codes, partners=runtime.partners)  # type: ignore[arg-type]


# -- replay ----------------------------------------------------------------------------------


def failed_message_ids(
    session: Session, partner: str | None = None, since: datetime | None = None, direction: str | None = None
) -> list[int]:
    """The ids of failed messages, oldest first, optionally of one partner and since a time."""
    query = select(Message.id).where(Message.state == MessageState.FAILED.value)
    if partner:
        query = query.where(Message.partner == partner)
    if since is not None:
        query = query.where(Message.created_at >= since)
    if direction:
        query = query.where(Message.direction == direction)
    return [int(i) for i in session.exec(query.order_by(Message.id)).all()]  # type: ignore[arg-type]


def replay(runtime: Runtime, message_ids: Sequence[int], *, actor: str, reason: str) -> list[ReplayOutcome]:
    """Re-run inbound messages from their archived bytes (outbound ones are resent), each audited."""
    outcomes = []
    for message_id in message_ids:
        with session_scope(runtime.engine) as session:
            message = session.get(Message, message_id)
            if message is None:
                outcomes.append(ReplayOutcome(message_id, "missing", f"no message {message_id}"))
                continue
            direction = message.direction
        if direction == Direction.OUT.value:
            outcomes.extend(resend(runtime, [message_id], actor=actor, reason=reason))
            continue
        with session_scope(runtime.engine) as session:
            message = session.get(Message, message_id)
            assert message is not None
            before = message.state
            if (
                message.lease_owner
                and message.lease_until
                and _aware(message.lease_until) > utcnow()
                and message.lease_owner != runtime.worker_id
            ):
                outcomes.append(ReplayOutcome(message_id, message.state, "being processed by another worker"))
                continue
            message.state = MessageState.RECEIVED.value
            message.attempts += 1
            message.duplicate_of_id = None
            message.completed_at = None
            message.updated_at = utcnow()
            session.add(message)
            session.add(
                AuditEntry(
                    actor=actor,
                    action="replay",
                    target_type="message",
                    target_id=str(message_id),
                    reason=reason,
                    detail={"previous_state": before, "error": message.error_message},
                )
            )
            _event(session, message, f"replay requested: {reason}", actor)
        summary = process(runtime, message_id, actor=actor)
        outcomes.append(ReplayOutcome(message_id, summary.state, summary.error))
        log.info("replayed message %s by %s: %s", message_id, actor, summary.state)
    return outcomes


def resend(runtime: Runtime, message_ids: Sequence[int], *, actor: str, reason: str) -> list[ReplayOutcome]:
    """Queue outbound messages again (same bytes, same control numbers); the sender sends them."""
    outcomes = []
    for message_id in message_ids:
        with session_scope(runtime.engine) as session:
            message = session.get(Message, message_id)
            if message is None or message.direction != Direction.OUT.value:
                outcomes.append(ReplayOutcome(message_id, "missing", f"no outbound message {message_id}"))
                continue
            before = message.state
            message.state = MessageState.QUEUED.value
            message.next_attempt_at = utcnow()
            message.error_stage = message.error_code = message.error_message = None
            message.updated_at = utcnow()
            session.add(message)
            session.add(
                AuditEntry(actor=actor, action="resend", target_type="message", target_id=str(message_id),
                           reason=reason, detail={"previous_state": before})
            )  # fmt: skip
            _event(session, message, f"resend requested: {reason}", actor)
            outcomes.append(ReplayOutcome(message_id, message.state))
    return outcomes


def _aware(value: datetime) -> datetime:
    """SQLite hands timestamps back naive (they are UTC)."""
    from datetime import UTC

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
