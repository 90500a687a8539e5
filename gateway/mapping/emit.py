"""Canonical documents -> the bytes of one interchange for a partner (the outbound end).

One call for the pipeline and invoicing::

    data = write_documents(mapping, [invoice], Envelope(sender_id="ACMEVENDOR", receiver_id="AMAZON",
                           interchange_control="000000042", group_control="42",
                           timestamp=now, delimiters=partner_delimiters))

Each document goes through the outbound ``mapping`` (:meth:`Mapping.render`: the body
segments), gets its ST/SE or UNH/UNT with a transaction control number, and all of them go
into one functional group (X12 GS with the functional id of the document type, e.g. ``IN``
for an 810; EDIFACT: no UNG, the messages sit directly in the interchange) inside one
interchange with the partner's identities, separators, syntax version and control numbers.
Segment counts (SE01, UNT01, GE01, UNZ01...) are computed by the writers.

Raises :class:`~gateway.mapping.errors.TranslationError` when a document does not fit the
mapping (a required value missing, a code with no EDI equivalent) and ``ValueError`` when
the writer cannot write the data (a separator inside a value with no release character,
an ISA value wider than its field).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from gateway.edi.model import (
    EDIFACT_DEFAULT,
    X12_DEFAULT,
    Delimiters,
    OutboundGroup,
    OutboundInterchange,
)
from gateway.edi.x12.writer import write_x12
from gateway.mapping.loader import Mapping

#: X12 GS01 functional identifier of each transaction set we write or may write.
FUNCTIONAL_IDS: dict[str, str] = {
    "810": "IN",
    "820": "RA",
    "850": "PO",
    "855": "PR",
    "856": "SH",
    "180": "AN",
    "997": "FA",
}
#: EDIFACT syntax identifier when the envelope names none: level C (Latin-1 letters allowed).
EDIFACT_SYNTAX = "UNOC:3"


@dataclass(frozen=True, slots=True)
class Envelope:
    """Who sends to whom, with which control numbers, separators and syntax version.

    ``interchange_control`` is ISA13 (digits, up to 9) or UNB05; ``group_control`` is GS06
    (X12 only). ``transaction_controls`` name each transaction (ST02 / UNH01); by default
    ``0001``, ``0002``... for X12 and ``1``, ``2``... for EDIFACT. ``syntax`` is ISA12
    (default from the mapping's version: ``00401`` for 004010) or the UNB syntax identifier
    (default ``UNOC:3``). ``delimiters`` default to Amazon's (``~ * > ^``) or EDIFACT's
    (``' + : ?``).
    """

    sender_id: str
    receiver_id: str
    interchange_control: str
    timestamp: datetime
    group_control: str = "1"
    sender_qualifier: str = "ZZ"
    receiver_qualifier: str = "ZZ"
    group_sender_id: str | None = None
    group_receiver_id: str | None = None
    delimiters: Delimiters | None = None
    syntax: str | None = None
    transaction_controls: Sequence[str] | None = None
    test: bool = False
    ack_requested: bool = False


def write_documents(mapping: Mapping, documents: Sequence[BaseModel], envelope: Envelope) -> bytes:
    """The interchange holding ``documents`` rendered through the outbound ``mapping``."""
    if mapping.direction != "outbound":
        raise ValueError(f"{mapping.name} is not an outbound mapping")
    x12 = mapping.standard == "x12"
    controls = list(envelope.transaction_controls or [])
    if len(controls) < len(documents):
        controls += [f"{n:04d}" if x12 else str(n) for n in range(len(controls) + 1, len(documents) + 1)]
    bodies = [mapping.render(doc, control) for doc, control in zip(documents, controls, strict=False)]
    version = mapping.versions[0]
    group = OutboundGroup(
        FUNCTIONAL_IDS.get(mapping.document, mapping.document) if x12 else mapping.document,
        envelope.group_sender_id or envelope.sender_id,
        envelope.group_receiver_id or envelope.receiver_id,
        envelope.group_control,
        version,
        bodies,
        implicit=not x12,
    )
    interchange = OutboundInterchange(
        envelope.sender_qualifier,
        envelope.sender_id,
        envelope.receiver_qualifier,
        envelope.receiver_id,
        envelope.interchange_control,
        envelope.timestamp,
        [group],
        envelope.syntax or (version[:5] if x12 else EDIFACT_SYNTAX),
        envelope.delimiters or (X12_DEFAULT if x12 else EDIFACT_DEFAULT),
        test=envelope.test,
        ack_requested=envelope.ack_requested,
    )
    if x12:
        return write_x12(interchange)
    from gateway.edi.edifact.writer import write_edifact  # pydifact: only to write EDIFACT

    return write_edifact(interchange)
