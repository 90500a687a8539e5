"""Rendering an invoice for its partner: X12 810 or EDIFACT INVOIC through the outbound mapping, or XML.

The format is the profile's ``invoice.format``, else the partner's standard. EDI output is
wrapped in an interchange from our identity to the partner's, with ST02/UNH1, GS06 and
ISA13/UNB5 taken from the partner's counters in the caller's transaction
(:func:`gateway.outbound.render.render_edi`, the steps every outbound document shares).
"""

from __future__ import annotations

from sqlmodel import Session

from gateway.canonical import Invoice
from gateway.config import PartnerDirectory
from gateway.invoicing.parts import InvoicingError, invoice_settings
from gateway.mapping.registry import MappingRegistry
from gateway.outbound.outbox import OutboundPayload
from gateway.outbound.render import RenderError, render_edi
from gateway.store.models import Document, utcnow


def render_payload(
    session: Session, partners: PartnerDirectory, mappings: MappingRegistry, row: Document, doc: Invoice
) -> OutboundPayload:
    """The bytes of invoice ``doc`` for its partner, with control numbers taken from the counters."""
    profile, settings = invoice_settings(partners, row.partner)
    fmt = settings.format or profile.standard
    if fmt == "xml":
        from gateway.canonical.xml import CanonicalXmlError, to_xml  # lxml: only for XML invoices

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
    try:
        return render_edi(session, mappings, profile, doc, "invoice")
    except RenderError as exc:
        raise InvoicingError(f"invoice {doc.invoice_number} {exc}") from None
