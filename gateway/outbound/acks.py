"""Functional acknowledgements: the 997/CONTRL we owe for what we receive, and what theirs say.

:func:`queue_acknowledgement` answers an inbound interchange per the partner's ack policy: a
997 per group (X12) or a CONTRL per interchange (EDIFACT), addressed back to the sender with
our own control numbers, queued in the outbox in the caller's transaction. An interchange the
dedupe stage skipped as a duplicate is not answered again (it was when it first came). What they accept
and reject is :mod:`gateway.edi.verdict`'s decision, the same the translate stage stores by.
Acknowledgements themselves are never acknowledged.

:func:`apply_acknowledgement` reads an inbound 997/CONTRL, finds the outbound message it
answers (by group control number for a 997, by interchange control number for a CONTRL) and
marks it ``acknowledged`` or ``rejected`` with the AK/UCM codes (the pipeline then tells
invoicing, so an invoice sent in it becomes ``accepted`` or ``rejected``).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import asdict

from sqlmodel import Session, select

from gateway.config import PartnerProfile
from gateway.edi.document import ParsedFile
from gateway.edi.edifact.contrl import build_contrl, read_contrl
from gateway.edi.model import AckResult, Transaction
from gateway.edi.x12.ack import ack_interchange, build_997, read_997
from gateway.outbound.envelopes import edi_delimiters, outbound_filename, readdress, to_payload
from gateway.outbound.outbox import queue_outbound
from gateway.store import messages
from gateway.store.archive import Archive
from gateway.store.counters import (
    GS_CONTROL,
    ISA_CONTROL,
    ST_CONTROL,
    UNB_CONTROL,
    UNH_REFERENCE,
    next_values,
)
from gateway.store.models import Direction, Message, MessageState, utcnow

log = logging.getLogger(__name__)

ACK_TYPES = frozenset({"997", "999", "CONTRL"})
#: How many recent outbound messages of a partner are searched for the one an ack answers.
ACK_SEARCH_LIMIT = 2000


def is_acknowledgement(tx: Transaction) -> bool:
    return tx.type in ACK_TYPES


def queue_acknowledgement(
    session: Session,
    archive: Archive,
    profile: PartnerProfile,
    parsed: ParsedFile,
    mailbox: str | None,
    skip: Collection[int] = frozenset(),
) -> Message | None:
    """Queue the 997s/CONTRLs answering ``parsed`` (all its interchanges in one file, but those
    whose index is in ``skip``: duplicates, answered when they first came); ``None`` when nothing
    needs an answer. The caller commits."""
    if not profile.acks.send:
        return None
    delimiters = edi_delimiters(profile)
    payloads = []
    for interchange in parsed.interchanges:
        if interchange.header.index in skip:
            continue
        if not interchange.transactions or all(is_acknowledgement(t) for t in interchange.transactions):
            continue
        if parsed.standard == "x12":
            # one statement for the interchange's numbers: an ST a 997 (one a group answered), a GS
            # a version (the 997s of one version share a group) and the ISA, in that order
            reserved = next_values(
                session,
                profile.name,
                {
                    ST_CONTROL: max(1, len(interchange.groups)),
                    GS_CONTROL: max(1, len({g.header.version for g in interchange.groups})),
                    ISA_CONTROL: 1,
                },
            )
            first_control = reserved[ST_CONTROL][0]
            acks = build_997(interchange, parsed.issues, first_control_number=first_control)
            outbound = ack_interchange(
                interchange, acks, control_number="0", first_group_control_number=1,
                timestamp=utcnow(), delimiters=delimiters, test=profile.test_indicator,
            )  # fmt: skip
        else:
            reserved = next_values(session, profile.name, {UNH_REFERENCE: 1, UNB_CONTROL: 1})
            reference = str(reserved[UNH_REFERENCE][0])
            outbound = build_contrl(
                interchange, parsed.issues, control_number="0", timestamp=utcnow(),
                message_reference=reference, delimiters=delimiters,
            )  # fmt: skip
        payloads.append(readdress(outbound, session, profile, reserved))
    if not payloads:
        return None
    kind = "997" if parsed.standard == "x12" else "CONTRL"
    # One file per answered interchange would be as valid; one file keeps the outbox simple.
    first = payloads[0]
    payload = to_payload(first, parsed.standard, outbound_filename(profile, kind, first.control_number))
    for extra in payloads[1:]:
        more = to_payload(extra, parsed.standard, payload.filename)
        payload.data += more.data
        payload.transaction_controls += more.transaction_controls
        payload.group_controls += more.group_controls
    return queue_outbound(session, archive, profile.name, mailbox, payload, note=f"{kind} queued")


def read_acknowledgement(tx: Transaction) -> AckResult:
    """What the 997 or CONTRL ``tx`` says. Raises ``ValueError`` for a malformed one."""
    return read_997(tx) if tx.type in ("997", "999") else read_contrl(tx)


def _answers(message: Message, result: AckResult) -> bool:
    if result.standard == "x12":
        return result.group_control_number in (message.group_controls or [])
    return result.interchange_control_number == message.interchange_control


def apply_acknowledgement(
    session: Session, partner: str, result: AckResult, ack_message_id: int
) -> Message | None:
    """Mark the outbound message ``result`` answers; ``None`` when no sent message matches."""
    candidates = session.exec(
        select(Message)
        .where(Message.direction == Direction.OUT.value, Message.partner == partner)
        .order_by(Message.id.desc())  # type: ignore[union-attr]
        .limit(ACK_SEARCH_LIMIT)
    ).all()
    target = next((m for m in candidates if _answers(m, result) and m.id != ack_message_id), None)
    if target is None:
        log.warning("%s acknowledgement %s answers nothing we sent", partner, asdict(result))
        return None
    accepted = result.status in ("accepted", "accepted_with_errors")
    target.ack_message_id = ack_message_id
    target.ack_detail = asdict(result)
    codes = sorted({c for t in result.transactions for c in t.codes} | set(result.codes))
    note = f"{result.status}" + (f" ({', '.join(codes)})" if codes else "")
    messages.move(
        session,
        target,
        MessageState.ACKNOWLEDGED if accepted else MessageState.REJECTED,
        note,
        actor="partner",
    )
    return target
