"""The store stage: the documents by business key, and the acknowledgements applied, in one transaction.

Storing is idempotent (partner + type + business key): a second run after a crash or a replay
replaces what the earlier one produced instead of duplicating it. A 997/CONTRL marks the message
it answers acknowledged or rejected (and, through the service's acknowledgement hook, the
invoice it carried). A message that stored or applied anything is then ``translated``: the
hooks (:mod:`gateway.service.pipeline.after`) are owed until it is ``done``.
"""

from __future__ import annotations

from sqlmodel import Session

from gateway.outbound.acks import apply_acknowledgement
from gateway.service.hooks import on_acknowledged
from gateway.service.pipeline.context import Context, Step
from gateway.store import messages
from gateway.store.documents import save_document
from gateway.store.models import Message, MessageState


def store(session: Session, message: Message, context: Context) -> Step | None:
    """Save the documents, apply the acknowledgements; the message is ``translated``."""
    actor = context.actor
    for doc in context.documents:
        saved = save_document(session, context.partner.name, doc, context.message_id)
        context.stored.append(int(saved.document.id or 0))
        messages.note_event(
            session, message, f"{saved.outcome} {doc.type_key} {saved.document.business_key}", actor=actor
        )
    for result in context.acks:
        target = apply_acknowledgement(session, context.partner.name, result, context.message_id)
        note = (
            f"acknowledges message {target.id}: {result.status}" if target else "acknowledges nothing we sent"
        )
        messages.note_event(session, message, note, actor=actor)
        if target is not None:
            on_acknowledged(session, context.runtime, target, result)
    if context.documents or context.acks:
        messages.move(
            session,
            message,
            MessageState.TRANSLATED,
            f"{len(context.documents)} document(s) stored",
            actor=actor,
        )
    return Step.HOOKS
