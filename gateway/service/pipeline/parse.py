"""The parse stage: read the archived bytes as EDI envelopes (or as canonical XML) and validate them.

EDI: the envelopes are parsed and their control numbers and identities recorded on the message
(committed even when the next stage cannot tell who sent it, so the console can show them);
envelope errors that still leave transactions to read are kept for the end, a file that cannot
be read at all fails here. Canonical XML: the mailbox's partner is the sender, the XSD and the
canonical model check it, and the document is the message's one translation (no 997). A ``*.csv``
file is an availability feed, taken the same way (:mod:`gateway.service.csv_inbound`).

The file is read once here as a stream and kept as its outline only: envelopes, issues, and each
transaction with its header segment (what identify, dedupe and the 997/CONTRL need); the
transactions themselves are read again, one at a time, by the translate and store stages. A run
that resumes an unfinished message (``parsed`` or ``translated``) takes up its checkpoint; any
other run (a new message, a replay) starts from the first transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from sqlmodel import Session

from gateway.canonical.sniff import looks_like_xml
from gateway.common.text import escape_text
from gateway.edi import EdiError, ParsedFile, read_events
from gateway.edi.document import collect
from gateway.edi.model import Event, Transaction
from gateway.service.csv_inbound import is_csv_name, read_csv_message
from gateway.service.errors import StageCode, StageError
from gateway.service.pipeline import checkpoint
from gateway.service.pipeline.context import Context, Step, where
from gateway.service.pipeline.identify import parsed_by
from gateway.service.xml_inbound import read_xml_message
from gateway.store.models import Message, MessageState

#: states a crashed run leaves a message in, whose checkpoint a new run takes up
_RESUMABLE = (MessageState.PARSED.value, MessageState.TRANSLATED.value)


def parse_stage(session: Session, message: Message, context: Context) -> Step | None:
    """Parse the message's archived bytes. Raises :class:`StageError` when they cannot be read."""
    context.filename = filename = message.filename or f"message {context.message_id}"
    path = context.runtime.archive.path_for(message.sha256)
    if not path.is_file():
        raise StageError(
            StageCode.ARCHIVE_MISSING, f"{filename}: archived payload {message.sha256} is missing"
        )
    context.path = path
    checkpoint.take_up(message, context, resume=message.state in _RESUMABLE)
    if looks_like_xml(path):
        profile, doc = read_xml_message(
            context.runtime.partners, message.partner, filename, path.read_bytes(), context.message_id
        )
        context.profile = profile
        context.documents.append(doc)
        message.standard, message.document_types = "xml", [doc.type_key]
        parsed_by(session, message, context, f"parsed: canonical XML {doc.type_key}")
        return Step.DEDUPE
    if is_csv_name(message.filename):
        profile, doc = read_csv_message(
            context.runtime.partners,
            message.partner,
            filename,
            path.read_bytes(),
            context.message_id,
            message.created_at,
        )
        context.profile = profile
        context.documents.append(doc)
        message.standard, message.document_types = "csv", [doc.type_key]
        parsed_by(session, message, context, f"parsed: CSV {doc.type_key}")
        return Step.DEDUPE
    try:
        parsed = outline(path)
    except EdiError as exc:
        raise StageError(
            exc.issue.code, f"{filename}: {exc.issue}", where(exc.issue.position), stage="parse"
        ) from None
    context.parsed = parsed
    if parsed.interchanges:
        _record_envelope(message, parsed)
    session.add(message)
    return Step.IDENTIFY


#: characters read at a time (the reader's default is 1 MiB): the segments of one chunk are what
#: reading holds at its peak, some 30,000 strings a MiB, so a smaller chunk lowers an ingest's peak
#: RSS (64 KiB: 11 MiB less while a 10 MB file is read) at the same speed; the translate stage
#: reads with it too
CHUNK = 64 * 1024

#: at most this many distinct header values are shared between a file's transactions (tags, types,
#: versions, message identifiers: a handful; a value unique to each transaction is not shared)
SHARED_VALUES = 256


def outline(path: Path) -> ParsedFile:
    """The file as a tree of envelopes whose transactions keep their header segment only."""
    return collect(_headers_only(read_events(path, CHUNK)))


def _headers_only(events: Iterable[Event]) -> Iterator[Event]:
    shared: dict[Any, Any] = {}
    for event in events:
        yield _compact(event, shared) if isinstance(event, Transaction) else event


def _compact(transaction: Transaction, shared: dict[Any, Any]) -> Transaction:
    """``transaction`` with its header segment only, as small as it can be kept: a plain
    :class:`Transaction` (not a reader's lazy one, with the text it would split), whose header
    shares its tag, type, version and message identifier with the other transactions' and its
    control number with ``control_number`` (about 360 bytes a transaction, not 600: the outline of
    a 100 MB file holds some 60,000)."""
    control = transaction.control_number
    header = [
        control if value == control else _shared(shared, value)
        for value in (transaction.first_segments(1) or [[]])[0]
    ]
    return Transaction(
        _shared(shared, transaction.type),
        control,
        _shared(shared, transaction.version),
        [header] if header else [],
        transaction.interchange,
        transaction.group,
        transaction.index,
        transaction.first_segment,
        transaction.issues,
    )


def _shared(shared: dict[Any, Any], value: Any) -> Any:
    """One object for equal header values (a composite, a list, is shared as one list)."""
    key = tuple(value) if isinstance(value, list) else value
    found = shared.get(key)
    if found is None and len(shared) < SHARED_VALUES:
        found = shared[key] = value
    return value if found is None else found


def _record_envelope(message: Message, parsed: ParsedFile) -> None:
    """The first interchange's identity on the message, escaped and cut to the columns' sizes (a
    partner's byte that is not UTF-8 is stored as ``\\xff``, never left to fail the row)."""
    header = parsed.interchanges[0].header
    if header is None:
        return
    message.standard = parsed.standard
    message.interchange_control = _fit(header.control_number, 35)
    message.group_controls = [
        _fit(g.header.control_number, 35)
        for i in parsed.interchanges
        for g in i.groups
        if g.header.control_number
    ]
    message.transaction_controls = [_fit(t.control_number, 35) for t in parsed.transactions]
    message.sender_qualifier = _fit(header.sender_qualifier, 4) or None
    message.sender_id = _fit(header.sender_id, 35)
    message.receiver_qualifier = _fit(header.receiver_qualifier, 4) or None
    message.receiver_id = _fit(header.receiver_id, 35)
    message.document_types = sorted({_fit(t.type, 64) for t in parsed.transactions})


def _fit(value: str | None, size: int) -> str:
    return escape_text(value or "")[:size]
