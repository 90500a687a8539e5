"""The identify stage: the partner who sent the file, by the sender identity of its interchanges.

Every interchange of a file must come from one partner, and from the partner whose mailbox the
file came through (when it came through one): an Amazon order in the warehouse's mailbox, or a
warehouse ASN appended to an Amazon file, fails rather than being filed under the wrong partner
and acknowledged to the wrong one. Once the partner is known the message is ``parsed``.
"""

from __future__ import annotations

from sqlmodel import Session

from gateway.config import PartnerProfile
from gateway.edi import ParsedFile
from gateway.edi.model import InterchangeHeader
from gateway.service.errors import StageCode, StageError
from gateway.service.pipeline.context import Context, Step, where
from gateway.store import messages
from gateway.store.models import Message, MessageState


def identify(session: Session, message: Message, context: Context) -> Step | None:
    """Name the sending partner. Raises :class:`StageError` (unknown, mixed, wrong mailbox)."""
    parsed = context.parsed
    assert parsed is not None
    context.profile = _sender(context, message, parsed)
    note = f"parsed: {len(parsed.transactions)} transaction(s)"
    parsed_by(session, message, context, note)
    return Step.DEDUPE


def parsed_by(session: Session, message: Message, context: Context, note: str) -> None:
    """The message is parsed and comes from ``context.partner``: its earlier error is forgotten."""
    message.partner = context.partner.name
    messages.clear_error(message)
    messages.move(session, message, MessageState.PARSED, note, actor=context.actor)


def _sender(context: Context, message: Message, parsed: ParsedFile) -> PartnerProfile:
    if not parsed.interchanges or parsed.interchanges[0].header is None:
        raise StageError(StageCode.NO_INTERCHANGE, f"{context.filename}: no interchange found")
    profile: PartnerProfile | None = None
    for interchange in parsed.interchanges:
        if interchange.header is not None:
            profile = _one_sender(context, message, parsed.standard, interchange.header, profile)
    assert profile is not None
    return profile


def _one_sender(
    context: Context, message: Message, standard: str, header: InterchangeHeader, first: PartnerProfile | None
) -> PartnerProfile:
    who = f"{header.sender_qualifier}:{header.sender_id}" if header.sender_qualifier else header.sender_id
    sender = context.runtime.partners.maybe_by_sender(standard, header.sender_qualifier, header.sender_id)
    here = f"{context.filename}: interchange {header.control_number}"
    at = where(header.position)
    if sender is None:
        raise StageError(
            StageCode.UNKNOWN_PARTNER,
            f"{here}: unknown partner: sender {who} is not in any partner profile",
            at,
        )
    if first is not None and sender.name != first.name:
        raise StageError(
            StageCode.MIXED_SENDERS,
            f"{here} is from {sender.name} ({who}), the file's first from {first.name}: "
            "one file holds one partner's interchanges",
            at,
        )
    if message.partner and message.partner != sender.name:
        raise StageError(
            StageCode.WRONG_MAILBOX,
            f"{here} is from {sender.name} ({who}) but came through {message.partner}'s mailbox "
            f"{message.mailbox or ''}".rstrip()
            + f": it belongs in a mailbox of {sender.name}",
            at,
        )
    return sender
