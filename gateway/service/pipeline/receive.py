"""The receive stage: archive the bytes (fsynced) and commit the message row, before anything else.

Only after :func:`receive` returns may the caller let go of the file at the mailbox. A file
fetched again after a crash (same partner, mailbox, name and sha256: the row's ``receipt_key``,
or a transport's own key such as the AS2 Message-ID) is recognised and never ingested twice:
the existing receipt comes back with ``new=False``. A name that is not valid UTF-8 (a byte
``0xFF``) is stored in its escaped, readable form (``\\xff``) with its own bytes kept in
``name_bytes``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict, Unpack

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from gateway.common.text import escape_text, name_bytes
from gateway.service.runtime import Runtime
from gateway.store import messages, session_scope
from gateway.store.archive import ArchivedPayload
from gateway.store.models import Direction, Message, MessageState

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Receipt:
    """A received file: its message id, whether the row is new, its state, and whether it was
    processed now (``False`` for a file received and finished before)."""

    message_id: int
    new: bool
    state: str
    processed: bool = False


class Origin(TypedDict, total=False):
    """Where a file came from: the partner and mailbox, the transport's reference to it, its
    receipt key (default: :func:`receipt_key` when it came through a mailbox) and who took it."""

    partner: str | None
    mailbox: str | None
    remote_ref: str | None
    key: str | None
    actor: str


@dataclass(frozen=True, slots=True)
class Incoming:
    """One file of a batch for :func:`receive_batch`: its bytes or local file, name and origin.

    ``staged``: the file is the caller's scratch download in the archive's staging folder, which
    the archive may take as it is (:meth:`~gateway.store.archive.Archive.store_staged`: no second
    copy); the caller removes it afterwards and never writes it again."""

    source: bytes | Path
    filename: str
    origin: Origin = field(default_factory=lambda: Origin())
    staged: bool = False


def receipt_key(partner: str | None, mailbox: str | None, name: str, sha256: str) -> str:
    """The identity of one file taken from one mailbox (a re-fetch after a crash has the same)."""
    raw = "\0".join((partner or "", mailbox or "", name, sha256))
    return hashlib.sha256(raw.encode("utf-8", "surrogateescape")).hexdigest()


def receive(runtime: Runtime, source: bytes | Path, *, filename: str, **origin: Unpack[Origin]) -> Receipt:
    """Archive ``source`` (bytes, or a local file streamed) and commit its inbound message row.

    ``key`` identifies the receipt (see :func:`receipt_key`); when a row with that key exists,
    nothing new is written and its receipt is returned with ``new=False``.
    """
    partner, mailbox, key = origin.get("partner"), origin.get("mailbox"), origin.get("key")
    stored: ArchivedPayload = (
        runtime.archive.store(source) if isinstance(source, bytes) else runtime.archive.store_file(source)
    )
    if key is None and mailbox is not None:
        key = receipt_key(partner, mailbox, filename, stored.sha256)
    if key is not None and (existing := _by_receipt_key(runtime, key)) is not None:
        return existing
    shown = escape_text(filename)  # a name that is not UTF-8 is stored readable, its bytes kept
    row = Message(
        direction=Direction.IN.value,
        partner=partner,
        mailbox=mailbox,
        filename=shown[:255],
        name_bytes=name_bytes(filename),
        size=stored.size,
        sha256=stored.sha256,
        archive_path=stored.key,
        remote_ref=_escaped(origin.get("remote_ref")),
        receipt_key=key,
    )
    try:
        with session_scope(runtime.engine) as session:
            note = f"received {shown} ({stored.size} bytes)"
            messages.add(session, row, MessageState.RECEIVED, note, actor=origin.get("actor", "gateway"))
            message_id = int(row.id or 0)
    except IntegrityError:  # another worker recorded the same receipt first
        if key is None or (existing := _by_receipt_key(runtime, key)) is None:
            raise
        return existing
    log.info("received %s from %s/%s as message %s", shown, partner or "?", mailbox or "-", message_id)
    return Receipt(message_id, True, MessageState.RECEIVED.value)


def receive_batch(runtime: Runtime, files: Sequence[Incoming]) -> list[Receipt]:
    """Receive several files: each archived (fsynced) in sequence, their folders fsynced once for
    the batch, then all their rows in one commit; the caller may let go of them at the mailbox
    once this returns. One receipt a file, in order; a file already received (its receipt key)
    comes back with ``new=False``. When another worker records one of the same receipts at the
    same moment, the batch is received again file by file (the archive is content-addressed:
    nothing is stored twice)."""
    with runtime.archive.deferred_sync():  # each file fsynced, each folder once, before the commit
        stored = [_store(runtime, f) for f in files]
    keys = [_key(f, s) for f, s in zip(files, stored, strict=True)]
    receipts: list[Receipt] = []
    try:
        with session_scope(runtime.engine) as session:
            wanted = [k for k in keys if k is not None]
            known = {
                row.receipt_key: Receipt(int(row.id or 0), False, row.state)
                for row in (
                    session.exec(select(Message).where(col(Message.receipt_key).in_(wanted))).all()
                    if wanted
                    else []
                )
            }
            fresh: dict[str, Message] = {}  # receipt key -> the row this batch adds for it
            rows: list[Message] = []
            notes: list[tuple[str, str]] = []  # each row's first event: note, actor
            places: list[tuple[Receipt | Message, bool]] = []  # each file: what answers it, and new?
            for incoming, archived, key in zip(files, stored, keys, strict=True):
                if key is not None and key in known:
                    places.append((known[key], False))
                elif key is not None and key in fresh:  # the same file twice in the batch: one row
                    places.append((fresh[key], False))
                else:
                    row = _row(incoming.filename, archived, key, incoming.origin)
                    rows.append(row)
                    notes.append(
                        (
                            f"received {row.filename} ({archived.size} bytes)",
                            incoming.origin.get("actor", "gateway"),
                        )
                    )
                    places.append((row, True))
                    if key is not None:
                        fresh[key] = row
            messages.add_all(session, rows, MessageState.RECEIVED, notes)  # one INSERT for them all
            receipts = [
                answer
                if isinstance(answer, Receipt)
                else Receipt(int(answer.id or 0), new, MessageState.RECEIVED.value)
                for answer, new in places
            ]
    except IntegrityError:  # another worker recorded one of these receipts first
        return [receive(runtime, f.source, filename=f.filename, **f.origin) for f in files]
    for incoming, receipt in zip(files, receipts, strict=True):
        if receipt.new:
            origin = incoming.origin
            log.info(
                "received %s from %s/%s as message %s", escape_text(incoming.filename),
                origin.get("partner") or "?", origin.get("mailbox") or "-", receipt.message_id,
            )  # fmt: skip
    return receipts


def _store(runtime: Runtime, incoming: Incoming) -> ArchivedPayload:
    source = incoming.source
    if isinstance(source, bytes):
        return runtime.archive.store(source)
    return runtime.archive.store_staged(source) if incoming.staged else runtime.archive.store_file(source)


def _key(incoming: Incoming, stored: ArchivedPayload) -> str | None:
    origin = incoming.origin
    key, mailbox = origin.get("key"), origin.get("mailbox")
    if key is None and mailbox is not None:
        key = receipt_key(origin.get("partner"), mailbox, incoming.filename, stored.sha256)
    return key


def _row(filename: str, stored: ArchivedPayload, key: str | None, origin: Origin) -> Message:
    shown = escape_text(filename)  # a name that is not UTF-8 is stored readable, its bytes kept
    return Message(
        direction=Direction.IN.value,
        partner=origin.get("partner"),
        mailbox=origin.get("mailbox"),
        filename=shown[:255],
        name_bytes=name_bytes(filename),
        size=stored.size,
        sha256=stored.sha256,
        archive_path=stored.key,
        remote_ref=_escaped(origin.get("remote_ref")),
        receipt_key=key,
    )


def _escaped(text: str | None) -> str | None:
    return None if text is None else escape_text(text)[:1024]


def _by_receipt_key(runtime: Runtime, key: str) -> Receipt | None:
    with session_scope(runtime.engine) as session:
        row = session.exec(select(Message).where(Message.receipt_key == key)).first()
        return None if row is None else Receipt(int(row.id or 0), False, row.state)


def release_receipt(runtime: Runtime, message_id: int) -> None:
    """Forget the receipt key once the mailbox has let go of the file, so a later identical file
    from the partner is a new message (and is then found to be a duplicate), not a re-fetch."""
    release_receipts(runtime, [message_id])


def release_receipts(runtime: Runtime, message_ids: Sequence[int]) -> None:
    """:func:`release_receipt` for several messages, in one statement and one commit."""
    if not message_ids:
        return
    with session_scope(runtime.engine) as session:
        session.execute(
            update(Message).where(col(Message.id).in_(list(message_ids))).values(receipt_key=None)
        )
