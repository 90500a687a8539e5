"""The EDIFACT envelope as a state machine: states, the transition table, the steps.

:data:`TRANSITIONS` maps each state (outside any interchange, in an interchange, in a
group, in a message) and each service segment tag to the steps to run, in order; the
``""`` entry is for any other tag. A step opens an envelope (``open_*``), closes it with
the trailer just read, checking its count and reference (``close_*``), closes it
*without* a trailer and reports the missing one (``drop_*``, a no-op when nothing of
that level is open), or reports a segment where it cannot be (``outside``,
``unexpected``). Reading the table row by row gives the whole envelope grammar:

- UNB opens an interchange; a UNA or UNB while one is open means its UNZ is missing.
- UNG opens an explicit group; UNH opens a message, in an implicit group when no UNG
  is open (sender and recipient from the UNB, the message's version).
- UNT closes a message: UNT01 = segments UNH..UNT, UNT02 = UNH01.
- UNE closes an explicit group: UNE01 = messages in the group, UNE02 = UNG05.
- UNZ closes the interchange: UNZ01 = messages (groups when UNG is used), UNZ02 = UNB05.

What both standards do alike lives in :mod:`gateway.edi.envelope`. :class:`Envelope`
holds only the open message's segments. Each step appends the events
it produces to a list, which the reader yields in order.
"""

from __future__ import annotations

import enum
from typing import Any

from gateway.edi.edifact import lazy
from gateway.edi.edifact.delimiters import for_syntax_version
from gateway.edi.edifact.headers import part, read_unb, read_ung, read_unh
from gateway.edi.envelope import EnvelopeBase
from gateway.edi.errors import Issue, IssueCode, Position
from gateway.edi.model import Delimiters, Event, GroupHeader, InterchangeHeader, Segment


class State(enum.Enum):
    OUTSIDE = "outside"
    INTERCHANGE = "interchange"
    GROUP = "group"
    MESSAGE = "message"


_S = State
_CLOSE_ALL = ("drop_message", "drop_group", "drop_interchange")

TRANSITIONS: dict[State, dict[str, tuple[str, ...]]] = {
    _S.OUTSIDE: {
        "UNA": (),
        "UNB": ("open_interchange",),
        "UNG": ("outside",),
        "UNH": ("outside",),
        "UNT": ("outside",),
        "UNE": ("outside",),
        "UNZ": ("unexpected",),
        "": ("outside",),
    },
    _S.INTERCHANGE: {
        "UNA": ("drop_interchange",),
        "UNB": ("drop_interchange", "open_interchange"),
        "UNG": ("open_group",),
        "UNH": ("open_message",),
        "UNT": ("unexpected",),
        "UNE": ("unexpected",),
        "UNZ": ("close_interchange",),
        "": ("outside",),
    },
    _S.GROUP: {
        "UNA": ("drop_group", "drop_interchange"),
        "UNB": ("drop_group", "drop_interchange", "open_interchange"),
        "UNG": ("drop_group", "open_group"),
        "UNH": ("open_message",),
        "UNT": ("unexpected",),
        "UNE": ("close_group",),
        "UNZ": ("drop_group", "close_interchange"),
        "": ("outside",),
    },
    _S.MESSAGE: {
        "UNA": _CLOSE_ALL,
        "UNB": (*_CLOSE_ALL, "open_interchange"),
        "UNG": ("drop_message", "drop_group", "open_group"),
        "UNH": ("drop_message", "open_message"),
        "UNT": ("close_message",),
        "UNE": ("drop_message", "close_group"),
        "UNZ": ("drop_message", "drop_group", "close_interchange"),
        "": ("append",),
    },
}
SERVICE_TAGS = frozenset(tag for tag in TRANSITIONS[_S.OUTSIDE] if tag)
AT_END = _CLOSE_ALL

_TRAILER_OF = {"UNT": "UNH", "UNE": "UNG", "UNZ": "UNB"}
_UNEXPECTED = {
    "UNT": IssueCode.EDIFACT_UNEXPECTED_UNT,
    "UNE": IssueCode.EDIFACT_UNEXPECTED_UNE,
    "UNZ": IssueCode.EDIFACT_UNEXPECTED_UNZ,
}


class Envelope(EnvelopeBase):
    """The open interchange, group and message, and the steps that change them.

    :attr:`groups` counts implicit groups (messages without UNG) too.
    """

    OUTSIDE, IN_INTERCHANGE, IN_GROUP = State.OUTSIDE, State.INTERCHANGE, State.GROUP
    state: State
    body: list[Any] | None  # the open message: its segments, content read by the fast path as text
    BODY = "message"

    def __init__(self) -> None:
        super().__init__()
        self.explicit_groups = 0
        self.messages = 0  # messages in the open interchange
        self.group_messages = 0
        self.token: tuple[int, int, Segment] | None = None
        self.separators = ("+", ":")  # element and component separator of the open message

    # --- the driver ----------------------------------------------------------

    def run(
        self, steps: tuple[str, ...], token: tuple | None, delimiters: Delimiters | None = None
    ) -> list[Event]:
        """Run ``steps`` for ``token`` (``None`` at end of input); return the events."""
        self.token = token[:3] if token is not None else None
        out: list[Event] = []
        for step in steps:
            getattr(self, step)(out, delimiters)
        return out

    def where(self, element: int | None = None, *, transaction: bool = False, group: bool = True) -> Position:
        """The position of the current segment within the open envelopes."""
        ordinal, offset, tag = (
            (self.token[0], self.token[1], self.token[2][0]) if self.token else (None, None, None)
        )
        return Position(
            interchange=self.interchanges if self.interchange else None,
            group=self.groups if group and self.group else None,
            transaction=self.group_messages if transaction and self.body is not None else None,
            segment=ordinal,
            tag=tag,
            element=element,
            offset=offset,
        )

    # --- opening -------------------------------------------------------------

    def open_interchange(self, out: list[Event], delimiters: Delimiters | None) -> None:
        assert self.token is not None and delimiters is not None
        ordinal, offset, segment = self.token
        self.interchanges += 1
        self.groups = self.explicit_groups = self.messages = 0
        self.reported_outside = False
        at = Position(interchange=self.interchanges, segment=ordinal, tag="UNB", offset=offset)
        fields, issues = read_unb(segment, at)
        self.interchange = InterchangeHeader(
            standard="edifact",
            index=self.interchanges,
            sender_qualifier=fields.sender_qualifier,
            sender_id=fields.sender_id,
            receiver_qualifier=fields.receiver_qualifier,
            receiver_id=fields.receiver_id,
            control_number=fields.control_number,
            date=fields.date,
            time=fields.time,
            version=fields.syntax,
            test=fields.test,
            delimiters=for_syntax_version(delimiters, fields.syntax),
            segment=segment,
            position=at,
        )
        out.append(self.interchange)
        out.extend(issues)
        self.state = State.INTERCHANGE

    def open_group(self, out: list[Event], delimiters: Delimiters | None) -> None:
        assert self.token is not None
        segment = self.token[2]
        self.groups += 1
        self.explicit_groups += 1
        self.group_messages = 0
        at = Position(
            interchange=self.interchanges,
            group=self.groups,
            segment=self.token[0],
            tag="UNG",
            offset=self.token[1],
        )
        fields, issues = read_ung(segment, at)
        self.group = GroupHeader(
            index=self.groups,
            functional_id=fields.functional_id,
            sender_id=fields.sender_id,
            receiver_id=fields.receiver_id,
            control_number=fields.control_number,
            version=fields.version,
            date=fields.date,
            time=fields.time,
            segment=segment,
            position=at,
        )
        out.append(self.group)
        out.extend(issues)
        self.state = State.GROUP

    def open_message(self, out: list[Event], delimiters: Delimiters | None) -> None:
        assert self.token is not None and self.interchange is not None
        ordinal, segment = self.token[0], self.token[2]
        if self.group is None:
            self.groups += 1
            self.group_messages = 0
            ic = self.interchange
            self.group = GroupHeader(
                index=self.groups,
                functional_id="",
                sender_id=ic.sender_id,
                receiver_id=ic.receiver_id,
                control_number="",
                version=part(segment, 2, 2) + part(segment, 2, 3),
                date=ic.date,
                time=ic.time,
                segment=None,
                position=self.where(),
                implicit=True,
            )
            out.append(self.group)
        self.group_messages += 1
        self.messages += 1
        self.body = [segment]
        assert delimiters is not None
        self.separators = (delimiters.element, delimiters.component)
        message_type, version, reference, issues = read_unh(segment, self.where(transaction=True))
        self.open = {
            "type": message_type,
            "version": version or self.group.version,
            "control": reference,
            "first": ordinal,
            "index": self.group_messages,
            "issues": issues,
        }
        out.extend(issues)
        self.state = State.MESSAGE

    def emit_body(self, out: list[Event]) -> None:
        """Hand over the open message as a :class:`gateway.edi.edifact.lazy.Transaction`.

        Its body holds the fast path's segments as text; they are split when first read.
        """
        assert self.body is not None and self.interchange is not None and self.group is not None
        t = self.open
        element, component = self.separators
        out.append(
            lazy.Transaction.deferred(
                self.body,
                element,
                component,
                t["type"],
                t["control"],
                t["version"],
                self.interchange,
                self.group,
                t["index"],
                t["first"],
                t["issues"],
            )
        )
        self.body = None
        self.open = {}
        self.state = self.IN_GROUP

    # --- closing with a trailer ----------------------------------------------

    def append(self, out: list[Event], delimiters: Delimiters | None) -> None:
        assert self.token is not None and self.body is not None
        self.body.append(self.token[2])

    def close_message(self, out: list[Event], delimiters: Delimiters | None) -> None:
        assert self.token is not None and self.body is not None
        segment = self.token[2]
        self.body.append(segment)
        found = self.count_issue(
            IssueCode.EDIFACT_UNT_COUNT_MISMATCH,
            "UNT",
            part(segment, 1),
            len(self.body),
            "segments UNH..UNT",
            transaction=True,
        )
        found += self._reference_issue(
            IssueCode.EDIFACT_UNT_CONTROL_MISMATCH, segment, self.open["control"], transaction=True
        )
        self.open["issues"].extend(found)
        out.extend(found)
        self.emit_body(out)

    def close_group(self, out: list[Event], delimiters: Delimiters | None) -> None:
        assert self.token is not None
        segment = self.token[2]
        if self.group is None or self.group.implicit:
            self.unexpected(out, delimiters)
            return
        what = "messages in the group"
        code = IssueCode.EDIFACT_UNE_COUNT_MISMATCH
        out += self.count_issue(code, "UNE", part(segment, 1), self.group_messages, what)
        out += self._reference_issue(
            IssueCode.EDIFACT_UNE_CONTROL_MISMATCH, segment, self.group.control_number
        )
        self.end_group(out, self.group_messages, segment)

    def close_interchange(self, out: list[Event], delimiters: Delimiters | None) -> None:
        assert self.token is not None and self.interchange is not None
        segment = self.token[2]
        if self.explicit_groups:
            expected, what = self.explicit_groups, "groups (UNG) in the interchange"
        else:
            expected, what = self.messages, "messages in the interchange"
        code = IssueCode.EDIFACT_UNZ_COUNT_MISMATCH
        out += self.count_issue(code, "UNZ", part(segment, 1), expected, what, group=False)
        out += self._reference_issue(
            IssueCode.EDIFACT_UNZ_CONTROL_MISMATCH, segment, self.interchange.control_number, group=False
        )
        self.end_interchange(out, self.messages, segment)

    # --- closing without a trailer -------------------------------------------

    def drop_message(self, out: list[Event], delimiters: Delimiters | None) -> None:
        self.missing_body(out, IssueCode.EDIFACT_UNT_MISSING, "UNT")

    def drop_group(self, out: list[Event], delimiters: Delimiters | None) -> None:
        if self.group is None:
            return
        if not self.group.implicit:
            text = f"group {self.group.control_number!r} ends without its UNE"
            self.missing_trailer(out, IssueCode.EDIFACT_UNE_MISSING, text)
        self.end_group(out, self.group_messages, None)

    def drop_interchange(self, out: list[Event], delimiters: Delimiters | None) -> None:
        if self.interchange is None:
            return
        text = f"interchange {self.interchange.control_number!r} ends without its UNZ"
        self.missing_trailer(out, IssueCode.EDIFACT_UNZ_MISSING, text, group=False)
        self.end_interchange(out, self.messages, None)

    # --- misplaced segments --------------------------------------------------

    def outside(self, out: list[Event], delimiters: Delimiters | None) -> None:
        if self.reported_outside:
            return
        self.reported_outside = True
        if self.interchanges == 0:
            code, text = IssueCode.EDIFACT_UNB_MISSING, "segments before any UNB interchange header"
        else:
            code, text = IssueCode.SEGMENT_OUTSIDE_ENVELOPE, "segment outside any message"
        out.append(Issue(code, text, self.where()))

    def unexpected(self, out: list[Event], delimiters: Delimiters | None) -> None:
        assert self.token is not None
        tag = self.token[2][0]
        out.append(Issue(_UNEXPECTED[tag], f"{tag} without an open {_TRAILER_OF[tag]}", self.where()))

    # --- helpers -------------------------------------------------------------

    def _reference_issue(
        self, code: IssueCode, segment: Segment, expected: str, **where: bool
    ) -> list[Issue]:
        tag = segment[0]
        header = f"{_TRAILER_OF[tag]} reference"
        return self.control_issue(code, tag, part(segment, 2), expected, header, **where)
