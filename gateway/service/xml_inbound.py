"""Canonical XML received from an ERP or a warehouse that does not speak EDI.

Such a file has no envelope to say who sent it, so its partner is the owner of the mailbox it
came through, and that partner's profile must list the document types it may send this way
(``accept_xml: [shipment]``); anything else is refused. The XML is checked against the
canonical XSD and model (:func:`gateway.canonical.xml.from_xml`), which name the line and the
element at fault; the document then belongs to that partner and to this message, whatever the
XML says, and is stored, reconciled and invoiced like a translated one. There is no functional
acknowledgement for XML.
"""

from __future__ import annotations

from typing import Any

from gateway.canonical import CanonicalDocument
from gateway.config import PartnerDirectory, PartnerProfile
from gateway.service.errors import StageCode, StageError


class XmlRefused(StageError):
    """A canonical XML message that cannot be taken: a stage error of the parse stage."""

    def __init__(self, code: StageCode, message: str, position: dict[str, Any] | None = None) -> None:
        super().__init__(code, message, position, stage="parse")


def mailbox_owner(
    partners: PartnerDirectory, partner: str | None, filename: str, kind: str
) -> PartnerProfile:
    """The profile of the partner whose mailbox a file without an envelope (``kind``: canonical
    XML, a CSV) came through; refused with ``UNKNOWN_PARTNER`` when there is none."""
    profile = partners.get(partner) if partner and partner in partners else None
    if profile is None:
        raise XmlRefused(
            StageCode.UNKNOWN_PARTNER,
            f"{filename}: {kind} has no envelope naming its sender, and it did not come "
            "through a partner's mailbox",
        )
    return profile


def read_xml_message(
    partners: PartnerDirectory, partner: str | None, filename: str, data: bytes, message_id: int
) -> tuple[PartnerProfile, CanonicalDocument]:
    """The sending partner and the document of a canonical XML message. Raises :class:`XmlRefused`."""
    from gateway.canonical.xml import CanonicalXmlError, from_xml  # lxml: only for XML messages

    profile = mailbox_owner(partners, partner, filename, "canonical XML")
    if not profile.accept_xml:
        raise XmlRefused(
            StageCode.XML_NOT_ACCEPTED,
            f"{filename}: {profile.name} sends EDI; to take canonical XML from it, list the document "
            "types in its profile (accept_xml: [shipment])",
        )
    try:
        doc = from_xml(data)
    except CanonicalXmlError as exc:
        first = exc.problems[0] if exc.problems else None
        position = {"line": first.line, "element": first.element} if first is not None else None
        raise XmlRefused(StageCode.XML_INVALID, f"{filename}: {exc}", position) from None
    if doc.type_key not in profile.accept_xml:
        raise XmlRefused(
            StageCode.XML_NOT_ACCEPTED,
            f"{filename}: {profile.name} may send {', '.join(profile.accept_xml)} as XML, not {doc.type_key}",
        )
    return profile, doc.model_copy(update={"partner": profile.name, "source_message_id": message_id})
