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
from dataclasses import dataclass
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


def _escaped(text: str | None) -> str | None:
    return None if text is None else escape_text(text)[:1024]


def _by_receipt_key(runtime: Runtime, key: str) -> Receipt | None:
    with session_scope(runtime.engine) as session:
        row = session.exec(select(Message).where(Message.receipt_key == key)).first()
        return None if row is None else Receipt(int(row.id or 0), False, row.state)


def release_receipt(runtime: Runtime, message_id: int) -> None:
    """Forget the receipt key once the mailbox has let go of the file, so a later identical file
    from the partner is a new message (and is then found to be a duplicate), not a re-fetch."""
    with session_scope(runtime.engine) as session:
        session.execute(update(Message).where(col(Message.id) == message_id).values(receipt_key=None))
