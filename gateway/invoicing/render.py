"""Rendering an invoice for its partner: X12 810 or EDIFACT INVOIC through the outbound mapping, or XML.

The format is the profile's ``invoice.format``, else the partner's standard. EDI output is
wrapped in an interchange from our identity to the partner's, with ST02/UNH1, GS06 and
ISA13/UNB5 taken from the partner's counters in the caller's transaction.
"""

from __future__ import annotations

from sqlmodel import Session

from gateway.canonical import Invoice
from gateway.canonical.xml import CanonicalXmlError, to_xml
from gateway.config import PartnerDirectory
from gateway.invoicing.parts import InvoicingError, invoice_settings
from gateway.mapping.errors import TranslationError
from gateway.mapping.registry import MappingRegistry
from gateway.outbound.envelopes import (
    build_interchange,
    next_transaction_control,
    outbound_filename,
    to_payload,
)
from gateway.outbound.outbox import OutboundPayload
from gateway.store.models import Document, utcnow


def mailbox_for(partners: PartnerDirectory, partner: str) -> str | None:
    """The partner's first enabled mailbox (``None`` when it has none)."""
    profile = partners.get(partner)
    boxes = [m.name for m in profile.mailboxes if m.enabled]
    return boxes[0] if boxes else None


def render_payload(
    session: Session, partners: PartnerDirectory, mappings: MappingRegistry, row: Document, doc: Invoice
) -> OutboundPayload:
    """The bytes of invoice ``doc`` for its partner, with control numbers taken from the counters."""
    profile, settings = invoice_settings(partners, row.partner)
    fmt = settings.format or profile.standard
    if fmt == "xml":
        try:
            data = to_xml(doc)
        except CanonicalXmlError as exc:
            raise InvoicingError(f"invoice {doc.invoice_number} cannot be written as XML: {exc}") from None
        stamp = utcnow().strftime("%Y%m%d%H%M%S")
        name = f"{profile.name}_{doc.kind}_{stamp}_{doc.invoice_number}.xml"
        return OutboundPayload(data=data, filename=name, standard="xml", document_types=["invoice"])
    if fmt != profile.standard:
        raise InvoicingError(
            f"partner {profile.name} trades {profile.standard}: invoice format {fmt} cannot be sent"
        )
    document, functional = ("810", "IN") if fmt == "x12" else ("INVOIC", "INVOIC")
    control = next_transaction_control(session, profile)
    try:
        body = mappings.render(doc, fmt, profile.version, document, control, profile.mappings)
    except TranslationError as exc:
        raise InvoicingError(
            f"invoice {doc.invoice_number} cannot be rendered as {document}: {exc}"
        ) from None
    interchange = build_interchange(session, profile, functional, [body])
    kind = "810" if fmt == "x12" else "invoic"
    return to_payload(interchange, fmt, outbound_filename(profile, kind, interchange.control_number))
