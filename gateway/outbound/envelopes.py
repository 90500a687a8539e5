"""Outbound envelopes for a partner: its identities, separators and versions, our control numbers.

Everything we send (acknowledgements, invoices, credit notes) is a list of transaction bodies
wrapped here in an interchange addressed from ``our_identity`` to the partner's identity, with
ISA13/GS06/ST02 (X12) or UNB5/UNH1 (EDIFACT) taken from the partner's counters in the caller's
transaction, so a number is never used twice, even across restarts and concurrent workers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from sqlmodel import Session

from gateway.config import PartnerProfile
from gateway.edi.model import Delimiters, OutboundGroup, OutboundInterchange, OutboundTransaction
from gateway.edi.x12.writer import write_x12
from gateway.outbound.outbox import OutboundPayload
from gateway.store.counters import (
    GS_CONTROL,
    ISA_CONTROL,
    ST_CONTROL,
    UNB_CONTROL,
    UNH_REFERENCE,
    next_value,
    next_values,
)
from gateway.store.models import utcnow

EDIFACT_SYNTAX = "UNOA:3"


def edi_delimiters(profile: PartnerProfile) -> Delimiters:
    """The partner's outbound separators as the syntax layer's :class:`Delimiters`."""
    d = profile.outbound_delimiters
    x12 = profile.standard == "x12"
    repetition = d.repetition if (not x12 or isa_version(profile.version) >= "00402") else None
    return Delimiters(
        element=d.element,
        component=d.component,
        segment=d.segment,
        repetition=repetition,
        release=None if x12 else (d.release or "?"),
        decimal=d.decimal,
        suffix=d.segment_suffix,
    )


def isa_version(version: str) -> str:
    """ISA12 for a GS08 version: ``004010`` -> ``00401``."""
    return version[:5]


def next_transaction_control(session: Session, profile: PartnerProfile) -> str:
    """The next ST02 / UNH1 for ``profile`` (four digits at least for X12)."""
    return transaction_controls(session, profile, 1)[0]


def _control_text(profile: PartnerProfile, number: int) -> str:
    """An ST02 (four digits at least) or UNH1 as written."""
    return f"{number:04d}" if profile.standard == "x12" else str(number)


#: the counters of one outbound X12 interchange of one transaction, in the order they are taken
X12_COUNTERS = (ST_CONTROL, GS_CONTROL, ISA_CONTROL)
#: the same for EDIFACT (UNH reference, UNB control)
EDIFACT_COUNTERS = (UNH_REFERENCE, UNB_CONTROL)


def reserve_envelope(session: Session, profile: PartnerProfile) -> dict[str, list[int]]:
    """The ST, GS and ISA (EDIFACT: UNH and UNB) numbers of one interchange of one transaction for
    ``profile``, reserved in one statement (:func:`gateway.store.counters.next_values`); pass them
    to :func:`build_interchange` as ``reserved``."""
    names = X12_COUNTERS if profile.standard == "x12" else EDIFACT_COUNTERS
    return next_values(session, profile.name, dict.fromkeys(names, 1))


def transaction_control(profile: PartnerProfile, reserved: Mapping[str, list[int]]) -> str:
    """The ST02 / UNH1 of :func:`reserve_envelope`'s numbers (four digits at least for X12)."""
    return _control_text(profile, reserved[ST_CONTROL if profile.standard == "x12" else UNH_REFERENCE][0])


def transaction_controls(session: Session, profile: PartnerProfile, count: int) -> list[str]:
    """``count`` ST02s / UNH1s for ``profile``, reserved in one statement (X12: four digits at least)."""
    if count < 1:
        return []
    name = ST_CONTROL if profile.standard == "x12" else UNH_REFERENCE
    numbers = next_values(session, profile.name, {name: count})[name]
    return [_control_text(profile, n) for n in numbers]


def _take(
    session: Session, profile: PartnerProfile, name: str, reserved: Mapping[str, list[int]] | None
) -> int:
    """The reserved number of counter ``name``, or the next one now when none was reserved."""
    if reserved and reserved.get(name):
        return reserved[name][0]
    return next_value(session, profile.name, name)


def build_interchange(
    session: Session,
    profile: PartnerProfile,
    functional_id: str,
    transactions: Sequence[OutboundTransaction],
    *,
    timestamp: datetime | None = None,
    reserved: Mapping[str, list[int]] | None = None,
) -> OutboundInterchange:
    """One interchange from us to ``profile`` holding ``transactions`` in one group; its GS and
    ISA (UNB) numbers from ``reserved`` (:func:`reserve_envelope`) or, without, taken now."""
    stamp = timestamp or utcnow()
    delimiters = edi_delimiters(profile)
    ours, theirs = profile.our_identity, profile.identities
    if profile.standard == "x12":
        assert ours.x12 is not None and theirs.x12 is not None  # the profile validator guarantees it
        group = OutboundGroup(
            functional_id=functional_id,
            sender_id=ours.x12.application_id,
            receiver_id=theirs.x12.application_id,
            control_number=str(_take(session, profile, GS_CONTROL, reserved)),
            version=profile.version,
            transactions=list(transactions),
        )
        return OutboundInterchange(
            sender_qualifier=ours.x12.isa_qualifier,
            sender_id=ours.x12.isa_id,
            receiver_qualifier=theirs.x12.isa_qualifier,
            receiver_id=theirs.x12.isa_id,
            control_number=f"{_take(session, profile, ISA_CONTROL, reserved):09d}",
            timestamp=stamp,
            groups=[group],
            version=isa_version(profile.version),
            delimiters=delimiters,
            test=profile.test_indicator,
            ack_requested=profile.acks.request,
        )
    assert ours.edifact is not None and theirs.edifact is not None
    group = OutboundGroup(
        functional_id=functional_id,
        sender_id=ours.edifact.id,
        receiver_id=theirs.edifact.id,
        control_number="",
        version=profile.version,
        transactions=list(transactions),
        implicit=True,
    )
    return OutboundInterchange(
        sender_qualifier=ours.edifact.qualifier or "",
        sender_id=ours.edifact.id,
        receiver_qualifier=theirs.edifact.qualifier or "",
        receiver_id=theirs.edifact.id,
        control_number=str(_take(session, profile, UNB_CONTROL, reserved)),
        timestamp=stamp,
        groups=[group],
        version=EDIFACT_SYNTAX,
        delimiters=delimiters,
        test=profile.test_indicator,
        ack_requested=profile.acks.request,
    )


def readdress(
    interchange: OutboundInterchange,
    session: Session,
    profile: PartnerProfile,
    reserved: Mapping[str, list[int]] | None = None,
) -> OutboundInterchange:
    """``interchange`` (e.g. an ack built from the inbound envelope) with our control numbers for it:
    from ``reserved`` (one GS number a group, one ISA/UNB) when it holds them, else taken now (a
    reservation that does not fit is left unused: a gap, never a reuse)."""
    reserved = reserved or {}
    if profile.standard == "x12":
        gs = list(reserved.get(GS_CONTROL, []))
        if len(gs) != len(interchange.groups):
            gs = [next_value(session, profile.name, GS_CONTROL) for _ in interchange.groups]
        groups = [replace(g, control_number=str(n)) for g, n in zip(interchange.groups, gs, strict=True)]
        number = f"{_take(session, profile, ISA_CONTROL, reserved):09d}"
    else:
        groups = list(interchange.groups)
        number = str(_take(session, profile, UNB_CONTROL, reserved))
    return replace(interchange, control_number=number, groups=groups)


def to_payload(interchange: OutboundInterchange, standard: str, filename: str) -> OutboundPayload:
    """The bytes of ``interchange`` and what its message row should record."""
    if standard == "x12":
        data = write_x12(interchange)
    else:
        from gateway.edi.edifact.writer import write_edifact  # pydifact: only to write EDIFACT

        data = write_edifact(interchange)
    return OutboundPayload(
        data=data,
        filename=filename,
        standard=standard,
        document_types=sorted({t.type for g in interchange.groups for t in g.transactions}),
        interchange_control=interchange.control_number,
        group_controls=[g.control_number for g in interchange.groups if g.control_number],
        transaction_controls=[t.control_number for g in interchange.groups for t in g.transactions],
        sender_qualifier=interchange.sender_qualifier or None,
        sender_id=interchange.sender_id,
        receiver_qualifier=interchange.receiver_qualifier or None,
        receiver_id=interchange.receiver_id,
    )


def outbound_filename(
    profile: PartnerProfile, kind: str, control_number: str, stamp: datetime | None = None
) -> str:
    """A unique, sortable file name: ``<partner>_<kind>_<yyyymmddHHMMSS>_<control>.<ext>``."""
    when = (stamp or utcnow()).strftime("%Y%m%d%H%M%S")
    ext = "x12" if profile.standard == "x12" else "edi"
    return f"{profile.name}_{kind}_{when}_{control_number}.{ext}"
