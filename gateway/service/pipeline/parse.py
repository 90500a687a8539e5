"""The parse stage: read the archived bytes as EDI envelopes (or as canonical XML) and validate them.

EDI: the envelopes are parsed and their control numbers and identities recorded on the message
(committed even when the next stage cannot tell who sent it, so the console can show them);
envelope errors that still leave transactions to read are kept for the end, a file that cannot
be read at all fails here. Canonical XML: the mailbox's partner is the sender, the XSD and the
canonical model check it, and the document is the message's one translation (no 997).
"""

from __future__ import annotations

from sqlmodel import Session

from gateway.edi import EdiError, ParsedFile, parse
from gateway.service.errors import StageCode, StageError
from gateway.service.pipeline.context import Context, Step, where
from gateway.service.pipeline.identify import parsed_by
from gateway.service.xml_inbound import looks_like_xml, read_xml_message
from gateway.store.models import Message


def parse_stage(session: Session, message: Message, context: Context) -> Step | None:
    """Parse the message's archived bytes. Raises :class:`StageError` when they cannot be read."""
    context.filename = filename = message.filename or f"message {context.message_id}"
    path = context.runtime.archive.path_for(message.sha256)
    if not path.is_file():
        raise StageError(
            StageCode.ARCHIVE_MISSING, f"{filename}: archived payload {message.sha256} is missing"
        )
    context.path = path
    if looks_like_xml(path):
        profile, doc = read_xml_message(
            context.runtime.partners, message.partner, filename, path.read_bytes(), context.message_id
        )
        context.profile = profile
        context.documents.append(doc)
        message.standard, message.document_types = "xml", [doc.type_key]
        parsed_by(session, message, context, f"parsed: canonical XML {doc.type_key}")
        return Step.DEDUPE
    try:
        parsed = parse(path)
    except EdiError as exc:
        raise StageError(
            exc.issue.code, f"{filename}: {exc.issue}", where(exc.issue.position), stage="parse"
        ) from None
    context.parsed = parsed
    if parsed.interchanges:
        _record_envelope(message, parsed)
    session.add(message)
    return Step.IDENTIFY


def _record_envelope(message: Message, parsed: ParsedFile) -> None:
    header = parsed.interchanges[0].header
    if header is None:
        return
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
