"""Read the EDIFACT envelope headers (UNB, UNG, UNH).

Each ``read_*`` function takes a segment as the tokenizer returns it and gives back the
fields the model needs plus the issues of a malformed header (a missing mandatory
element). Composites are read leniently: a simple element where a composite is
expected is taken as its first component.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.edi.errors import Issue, IssueCode, Position
from gateway.edi.model import Segment


def part(segment: Segment, element: int, component: int = 1) -> str:
    """Component ``component`` of element ``element`` (both 1-based) as text, ``""`` when absent."""
    if element >= len(segment):
        return ""
    value = segment[element]
    if isinstance(value, list):
        return value[component - 1] if component <= len(value) else ""
    return value if component == 1 else ""


def joined(segment: Segment, element: int) -> str:
    """A composite written back with ``:`` (``"UNOA:3"``), whatever separator it was read with."""
    if element >= len(segment):
        return ""
    value = segment[element]
    return ":".join(value) if isinstance(value, list) else value


@dataclass(slots=True)
class UnbFields:
    syntax: str
    sender_id: str
    sender_qualifier: str
    receiver_id: str
    receiver_qualifier: str
    date: str
    time: str
    control_number: str
    test: bool


def read_unb(segment: Segment, at: Position) -> tuple[UnbFields, list[Issue]]:
    """The fields of a UNB and the issues of its missing mandatory elements."""
    fields = UnbFields(
        syntax=joined(segment, 1),
        sender_id=part(segment, 2),
        sender_qualifier=part(segment, 2, 2),
        receiver_id=part(segment, 3),
        receiver_qualifier=part(segment, 3, 2),
        date=part(segment, 4),
        time=part(segment, 4, 2),
        control_number=part(segment, 5),
        test=part(segment, 11) == "1",
    )
    required = (
        (1, "syntax identifier", fields.syntax),
        (2, "interchange sender", fields.sender_id),
        (3, "interchange recipient", fields.receiver_id),
        (5, "interchange control reference", fields.control_number),
    )
    return fields, _missing(IssueCode.EDIFACT_UNB_INVALID, "UNB", required, at)


@dataclass(slots=True)
class UngFields:
    functional_id: str
    sender_id: str
    receiver_id: str
    date: str
    time: str
    control_number: str
    version: str


def read_ung(segment: Segment, at: Position) -> tuple[UngFields, list[Issue]]:
    """The fields of a UNG (version ``"D96A"`` from UNG07) and its issues."""
    fields = UngFields(
        functional_id=part(segment, 1),
        sender_id=part(segment, 2),
        receiver_id=part(segment, 3),
        date=part(segment, 4),
        time=part(segment, 4, 2),
        control_number=part(segment, 5),
        version=part(segment, 7) + part(segment, 7, 2),
    )
    required = (
        (1, "message group identification", fields.functional_id),
        (5, "group reference number", fields.control_number),
    )
    return fields, _missing(IssueCode.EDIFACT_UNG_INVALID, "UNG", required, at)


def read_unh(segment: Segment, at: Position) -> tuple[str, str, str, list[Issue]]:
    """``(type, version, reference)`` of a UNH (``"ORDERS"``, ``"D96A"``, UNH01) and its issues."""
    reference = part(segment, 1)
    message_type = part(segment, 2)
    version = part(segment, 2, 2) + part(segment, 2, 3)
    required = (
        (1, "message reference number", reference),
        (2, "message type", message_type),
    )
    issues = _missing(IssueCode.EDIFACT_UNH_INVALID, "UNH", required, at)
    if message_type and not version:
        issues.append(
            Issue(
                IssueCode.EDIFACT_UNH_INVALID,
                "UNH02 states no message version and release (e.g. ORDERS:D:96A:UN)",
                _element(at, 2),
            )
        )
    return message_type, version, reference, issues


def _missing(
    code: IssueCode, tag: str, required: tuple[tuple[int, str, str], ...], at: Position
) -> list[Issue]:
    return [
        Issue(code, f"{tag}{index:02d} ({name}) is missing", _element(at, index))
        for index, name, value in required
        if not value
    ]


def _element(at: Position, element: int) -> Position:
    return Position(
        interchange=at.interchange,
        group=at.group,
        transaction=at.transaction,
        segment=at.segment,
        tag=at.tag,
        element=element,
        offset=at.offset,
    )
