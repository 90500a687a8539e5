"""The acknowledge stage: queue the 997/CONTRL the partner's profile asks for, once per message.

Once also across replays and recoveries: the message remembers its acknowledgement
(``ack_message_id``) and a second run queues none. It answers only what the message processes:
an interchange the dedupe stage skipped as a duplicate was answered when it first came, and is
not answered again (the timeline says which). Canonical XML has no acknowledgement.
The acknowledgement answers through the mailbox the message came from when that is the
partner's, else through the partner's first mailbox.
"""

from __future__ import annotations

from sqlmodel import Session

from gateway.config import PartnerProfile
from gateway.outbound.acks import queue_acknowledgement
from gateway.service.errors import StageCode, StageError
from gateway.service.pipeline.context import Context, Step
from gateway.store import messages
from gateway.store.models import Message


def acknowledge(session: Session, message: Message, context: Context) -> Step | None:
    """Queue the functional acknowledgement (partner policy) unless one was queued before."""
    if context.parsed is None or message.ack_message_id is not None:
        return Step.TRANSLATE
    profile = context.partner
    try:
        ack = queue_acknowledgement(
            session,
            context.runtime.archive,
            profile,
            context.parsed,
            reply_mailbox(profile, message),
            skip=context.skip,
        )
    except ValueError as exc:  # an envelope value the answer must echo cannot be written (a separator)
        raise StageError(
            StageCode.ACK_UNWRITABLE, f"{context.filename}: the acknowledgement cannot be written: {exc}"
        ) from None
    if ack is not None:
        message.ack_message_id = ack.id
        session.add(message)
        note = f"acknowledgement queued (message {ack.id})"
        if context.skip:
            places = [
                str(n)
                for n, ic in enumerate(context.parsed.interchanges, 1)
                if ic.header.index in context.skip
            ]
            note += f"; not answered again: interchange {', '.join(places)} (duplicate)"
        messages.note_event(session, message, note, actor=context.actor)
    return Step.TRANSLATE


def reply_mailbox(profile: PartnerProfile, message: Message) -> str | None:
    """Answer through the mailbox the message came from when it is the partner's, else its first."""
    names = [m.name for m in profile.mailboxes]
    if message.mailbox in names and message.partner == profile.name:
        return message.mailbox
    return names[0] if names else None
