"""The shapes the EDI readers produce and the writers consume.

A *segment* is a plain list, kept cheap because a large file holds millions of them:
``segment[0]`` is the tag and ``segment[1:]`` are its elements. An element is a ``str``
or, where it is a composite written with components, a ``list[str]`` of components.

- The X12 reader leaves every element a ``str`` (X12 has no release character, so a
  component or repetition separator inside an element is always a separator; split it
  with :func:`components` / :func:`repetitions` when you need the parts).
- The EDIFACT reader resolves release characters, so an element holding a component
  separator arrives as ``list[str]``; simple elements are ``str``.
- Writers accept both forms for both standards.

Readers stream *events*: an :class:`InterchangeHeader` when an interchange opens, a
:class:`GroupHeader` when a group opens (EDIFACT messages without UNG get an implicit
one), each complete :class:`Transaction`, :class:`GroupEnd` / :class:`InterchangeEnd`
when those close, and every :class:`~gateway.edi.errors.Issue` found, in file order.
Only one transaction's segments are held at a time, so memory stays flat however
many transactions a file holds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeAlias

from gateway.edi.errors import Issue, Position

Element: TypeAlias = str | list[str]
Segment: TypeAlias = list  # [tag: str, *elements: Element]
Standard: TypeAlias = Literal["x12", "edifact"]


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The separators of one interchange.

    ``repetition`` is ``None`` where the syntax version has none (X12 before 00402,
    EDIFACT syntax 3). ``release`` and ``decimal`` are EDIFACT's; X12 leaves
    ``release`` ``None``. ``suffix`` is what a writer puts after each segment
    terminator (for example ``"\\n"``); readers ignore line breaks after terminators.
    """

    element: str
    component: str
    segment: str
    repetition: str | None = None
    release: str | None = None
    decimal: str = "."
    suffix: str = ""


X12_DEFAULT = Delimiters(element="*", component=">", segment="~", repetition="^")
EDIFACT_DEFAULT = Delimiters(
    element="+", component=":", segment="'", repetition=None, release="?", decimal="."
)


def components(value: Element, delimiters: Delimiters) -> list[str]:
    """The components of an element (a one-item list for a simple element)."""
    if isinstance(value, list):
        return value
    if delimiters.release is None and delimiters.component and delimiters.component in value:
        return value.split(delimiters.component)
    return [value]


def repetitions(value: Element, delimiters: Delimiters) -> list[Element]:
    """The repeats of an X12 element (a one-item list where there is no repetition)."""
    if isinstance(value, str) and delimiters.repetition and delimiters.repetition in value:
        return list(value.split(delimiters.repetition))
    return [value]


def element_text(segment: Segment, index: int) -> str:
    """Element ``index`` (1-based) as text: ``""`` when absent, the first component of a composite."""
    if index >= len(segment):
        return ""
    value = segment[index]
    if isinstance(value, list):
        return value[0] if value else ""
    return value


@dataclass(slots=True)
class InterchangeHeader:
    """An interchange as its header (ISA or UNB) describes it."""

    standard: Standard
    index: int
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    control_number: str
    date: str
    time: str
    version: str  # ISA12 (e.g. "00401") or the UNB syntax identifier (e.g. "UNOA:3")
    test: bool
    delimiters: Delimiters
    segment: Segment
    position: Position


@dataclass(slots=True)
class GroupHeader:
    """A functional group (GS or UNG), or the implicit group of EDIFACT messages without UNG."""

    index: int
    functional_id: str
    sender_id: str
    receiver_id: str
    control_number: str
    version: str  # GS08 (e.g. "004010") or the EDIFACT UNG version (e.g. "D96A")
    date: str
    time: str
    segment: Segment | None
    position: Position
    implicit: bool = False


@dataclass(slots=True)
class Transaction:
    """One transaction set (ST..SE) or message (UNH..UNT) with all its segments.

    ``segments`` holds the header and trailer too. ``version`` is the transaction's
    own version where it states one (ST03, the UNH message identifier such as
    ``D96A``), else its group's. ``first_segment`` is the file ordinal of ST/UNH, so
    ``segments[i]`` is file segment ``first_segment + i``. ``issues`` are the
    problems found in this transaction's envelope.
    """

    type: str
    control_number: str
    version: str
    segments: list[Segment]
    interchange: InterchangeHeader
    group: GroupHeader
    index: int
    first_segment: int
    issues: list[Issue] = field(default_factory=list)

    @property
    def standard(self) -> Standard:
        return self.interchange.standard

    @property
    def delimiters(self) -> Delimiters:
        return self.interchange.delimiters

    @property
    def segment_count(self) -> int:
        """``len(segments)``; a reader's subclass may count without building the segments."""
        return len(self.segments)

    def first_segments(self, count: int = 1) -> list[Segment]:
        """``segments[:count]``; a reader's subclass may give them without building the others."""
        return self.segments[:count]

    def position(self, segment_index: int = 0, element: int | None = None) -> Position:
        """The :class:`Position` of ``segments[segment_index]`` (and an element of it)."""
        seg = self.segments[segment_index] if segment_index < len(self.segments) else None
        return Position(
            interchange=self.interchange.index,
            group=self.group.index,
            transaction=self.index,
            segment=self.first_segment + segment_index,
            tag=seg[0] if seg else None,
            element=element,
        )


@dataclass(slots=True)
class GroupEnd:
    """A group closed: by its trailer (GE/UNE), or implicitly (``trailer`` is ``None``)."""

    header: GroupHeader
    transaction_count: int
    trailer: Segment | None


@dataclass(slots=True)
class InterchangeEnd:
    """An interchange closed: by its trailer (IEA/UNZ), or at end of input (``trailer`` is ``None``)."""

    header: InterchangeHeader
    group_count: int
    transaction_count: int
    trailer: Segment | None


Event: TypeAlias = InterchangeHeader | GroupHeader | Transaction | GroupEnd | InterchangeEnd | Issue


# --- What the writers take ------------------------------------------------------


@dataclass(slots=True)
class OutboundTransaction:
    """A transaction to write: its body only; the writer adds ST/SE or UNH/UNT with counts.

    ``version`` is X12 ST03 (an implementation convention reference, optional) or the
    EDIFACT message identifier after the type, e.g. ``["D", "96A", "UN", "EAN008"]``.
    """

    type: str
    control_number: str
    segments: list[Segment]
    version: str | list[str] | None = None


@dataclass(slots=True)
class OutboundGroup:
    """A functional group to write. EDIFACT groups with ``implicit=True`` get no UNG/UNE."""

    functional_id: str
    sender_id: str
    receiver_id: str
    control_number: str
    version: str
    transactions: list[OutboundTransaction]
    implicit: bool = False


@dataclass(slots=True)
class OutboundInterchange:
    """An interchange to write; control numbers are the caller's (from a per-partner counter).

    ``version`` is ISA12 (e.g. ``"00401"``) or the UNB syntax identifier (``"UNOA:3"``).
    ``timestamp`` is written as the envelope date and time.
    """

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    control_number: str
    timestamp: datetime
    groups: list[OutboundGroup]
    version: str
    delimiters: Delimiters
    test: bool = False
    ack_requested: bool = False


# --- What a received acknowledgement says ----------------------------------------

AckStatus: TypeAlias = Literal["accepted", "accepted_with_errors", "partially_accepted", "rejected"]


@dataclass(slots=True)
class TransactionAck:
    """One transaction's verdict in a 997 (AK2/AK5) or CONTRL (UCM)."""

    type: str
    control_number: str
    status: AckStatus
    codes: list[str] = field(default_factory=list)  # AK5 / UCM error codes, AK3/AK4 detail


@dataclass(slots=True)
class AckResult:
    """What an inbound 997 or CONTRL says about an interchange or group we sent.

    ``interchange_control_number`` is set for CONTRL (UCI refers to our UNB); 997 refers
    to a group (AK1), so it sets ``group_control_number`` and ``functional_id``.
    """

    standard: Standard
    status: AckStatus
    interchange_control_number: str | None = None
    group_control_number: str | None = None
    functional_id: str | None = None
    transactions: list[TransactionAck] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # AK9 / UCI error codes
