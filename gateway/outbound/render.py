"""Rendering an outbound document for a partner and queueing it: the steps every sender shares.

Every EDI document we send (invoice and credit note, PO acknowledgement, ship notice, inventory
feed) leaves the same way: the next ST02 / UNH1 from the partner's counters, the canonical
document rendered through the partner's outbound mapping (:meth:`MappingRegistry.render`), one
interchange from us to the partner in the document's version and functional group
(:func:`gateway.outbound.envelopes.build_interchange`), the payload with its file name, and the
outbox (:func:`gateway.outbound.outbox.queue_outbound`) through the partner's first enabled
mailbox. :data:`DOCUMENTS` names, per kind and standard, the transaction set or message, its
functional group and the kind its file name carries. All in the caller's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import BaseModel
from sqlmodel import Session

from gateway.config import PartnerDirectory, PartnerProfile
from gateway.edi.model import OutboundTransaction
from gateway.mapping.errors import TranslationError
from gateway.mapping.registry import MappingRegistry
from gateway.outbound.envelopes import (
    build_interchange,
    outbound_filename,
    reserve_envelope,
    to_payload,
    transaction_control,
    transaction_controls,
)
from gateway.outbound.outbox import OutboundPayload, queue_outbound
from gateway.store.archive import Archive
from gateway.store.models import Message


class RenderError(Exception):
    """A document the partner's outbound mapping cannot render: the message names the document."""


@dataclass(frozen=True, slots=True)
class OutboundDocument:
    """What a kind of document is in one standard: its transaction set, group and file-name kind."""

    document: str  # 810 / INVOIC, the mapping's document
    functional: str  # GS01 (X12); the message type again for EDIFACT
    kind: str  # in the file name: amazon-us_856_...


#: per kind of document we send, per standard
DOCUMENTS: dict[str, dict[str, OutboundDocument]] = {
    "invoice": {
        "x12": OutboundDocument("810", "IN", "810"),
        "edifact": OutboundDocument("INVOIC", "INVOIC", "invoic"),
    },
    "po_acknowledgement": {
        "x12": OutboundDocument("855", "PR", "855"),
        "edifact": OutboundDocument("ORDRSP", "ORDRSP", "ordrsp"),
    },
    "ship_notice": {
        "x12": OutboundDocument("856", "SH", "856"),
        "edifact": OutboundDocument("DESADV", "DESADV", "desadv"),
    },
    "inventory_feed": {
        "x12": OutboundDocument("846", "IB", "846"),
        "edifact": OutboundDocument("INVRPT", "INVRPT", "invrpt"),
    },
}


def mailbox_for(partners: PartnerDirectory, partner: str) -> str | None:
    """The partner's first enabled mailbox (``None`` when it has none)."""
    profile = partners.get(partner)
    boxes = [m.name for m in profile.mailboxes if m.enabled]
    return boxes[0] if boxes else None


def render_edi(
    session: Session,
    mappings: MappingRegistry,
    profile: PartnerProfile,
    doc: BaseModel,
    kind: str,
    version: str | None = None,
) -> OutboundPayload:
    """The bytes of ``doc`` (a document of ``kind``, a key of :data:`DOCUMENTS`) for ``profile``,
    in ``version`` (default the profile's), with control numbers taken from its counters.

    Raises :class:`RenderError` when the mapping cannot render it.
    """
    spec = DOCUMENTS[kind][profile.standard]
    version = version or profile.version
    reserved = reserve_envelope(session, profile)  # ST, GS and ISA in one statement
    control = transaction_control(profile, reserved)
    body = _render_body(mappings, profile, doc, spec.document, version, control)
    interchange = build_interchange(
        session, _enveloped(profile, version), spec.functional, [body], reserved=reserved
    )
    filename = outbound_filename(profile, spec.kind, interchange.control_number)
    return to_payload(interchange, profile.standard, filename)


def render_and_queue(
    session: Session,
    partners: PartnerDirectory,
    mappings: MappingRegistry,
    archive: Archive,
    partner: str,
    doc: BaseModel,
    kind: str,
    *,
    version: str | None = None,
    document_types: Sequence[str],
    document_ids: Sequence[int] = (),
    actor: str = "gateway",
    note: str,
) -> Message:
    """Render ``doc`` for ``partner`` (:func:`render_edi`) and queue it through its mailbox;
    ``document_types`` is what the message row says it carries. Raises :class:`RenderError`."""
    payload = render_edi(session, mappings, partners.get(partner), doc, kind, version)
    payload.document_types = list(document_types)
    return queue_outbound(
        session,
        archive,
        partner,
        mailbox_for(partners, partner),
        payload,
        document_ids=document_ids,
        actor=actor,
        note=note,
    )


@dataclass
class Rendered:
    """What :func:`render_transactions` made of each document: its transaction, or why not."""

    transactions: list[OutboundTransaction]
    #: index in the input -> the transaction rendered for it
    ok: dict[int, OutboundTransaction]
    #: index in the input -> why it cannot be rendered
    failed: dict[int, RenderError]


def render_transactions(
    session: Session,
    mappings: MappingRegistry,
    profile: PartnerProfile,
    docs: Sequence[BaseModel],
    kind: str,
    version: str | None = None,
) -> Rendered:
    """Each of ``docs`` rendered as one transaction (its own ST02 / UNH1) for ``profile``, for
    :func:`queue_transactions` to send them in one interchange, as vendors send a day's
    acknowledgements; a document the mapping cannot render is in ``failed``, the others go on."""
    spec = DOCUMENTS[kind][profile.standard]
    version = version or profile.version
    out = Rendered([], {}, {})
    controls = transaction_controls(session, profile, len(docs))  # one statement for the batch
    for index, (doc, control) in enumerate(zip(docs, controls, strict=True)):
        try:
            body = _render_body(mappings, profile, doc, spec.document, version, control)
        except RenderError as exc:
            out.failed[index] = exc
            continue
        out.ok[index] = body
        out.transactions.append(body)
    return out


def queue_transactions(
    session: Session,
    partners: PartnerDirectory,
    archive: Archive,
    partner: str,
    transactions: Sequence[OutboundTransaction],
    kind: str,
    *,
    version: str | None = None,
    document_types: Sequence[str],
    document_ids: Sequence[int] = (),
    actor: str = "gateway",
    note: str,
) -> Message:
    """One interchange (one group) of ``transactions`` (from :func:`render_transactions`) queued
    for ``partner`` through its mailbox: one archive write and one message row for all of them."""
    profile = partners.get(partner)
    spec = DOCUMENTS[kind][profile.standard]
    version = version or profile.version
    interchange = build_interchange(
        session, _enveloped(profile, version), spec.functional, list(transactions)
    )
    payload = to_payload(
        interchange, profile.standard, outbound_filename(profile, spec.kind, interchange.control_number)
    )
    payload.document_types = list(document_types)
    return queue_outbound(
        session, archive, partner, mailbox_for(partners, partner), payload,
        document_ids=document_ids, actor=actor, note=note,
    )  # fmt: skip


def _render_body(
    mappings: MappingRegistry,
    profile: PartnerProfile,
    doc: BaseModel,
    document: str,
    version: str,
    control: str,
) -> OutboundTransaction:
    """``doc`` through the partner's outbound mapping as one transaction numbered ``control``."""
    try:
        return mappings.render(doc, profile.standard, version, document, control, profile.mappings)
    except TranslationError as exc:
        raise RenderError(f"cannot be rendered as {document}: {exc}") from None


def _enveloped(profile: PartnerProfile, version: str) -> PartnerProfile:
    """``profile`` with the envelope version ``version`` (the profile itself when it is its own)."""
    return profile if version == profile.version else profile.model_copy(update={"version": version})
