"""What the X12 and EDIFACT envelopes share: the open levels, the trailer checks, the endings.

Both standards nest the same three levels (interchange, group, transaction set or message)
and close each with a trailer whose element 1 counts what the level holds and element 2
repeats the header's control number. :class:`EnvelopeBase` keeps the open levels and does
what is the same in both: handing over a finished transaction (:meth:`emit_body`),
checking a trailer's count and control number (:meth:`count_issue`,
:meth:`control_issue`), ending a group or an interchange with or without its trailer
(:meth:`end_group`, :meth:`end_interchange`, :meth:`missing_body`). Each standard's
``Envelope`` (``x12/envelope.py``, ``edifact/envelope.py``) keeps its own transition table,
its own header reading and its own positions (:meth:`where`).

Counts and control numbers compare as numbers when both are digits, so leading zeros are
harmless (:func:`count_of`, :func:`same_control`).
"""

from __future__ import annotations

import enum
from typing import Any

from gateway.edi import model
from gateway.edi.errors import Issue, IssueCode, Position
from gateway.edi.model import Event, GroupEnd, GroupHeader, InterchangeEnd, InterchangeHeader, Segment


def count_of(text: str) -> int | None:
    """A count element as a number, ``None`` when it is not one."""
    text = text.strip()
    return int(text) if (text.isascii() and text.isdigit()) else None


def same_control(header: str, trailer: str) -> bool:
    """Control numbers agree: equal text, or equal numbers (leading zeros are harmless)."""
    header, trailer = header.strip(), trailer.strip()
    if header == trailer:
        return True
    numeric = header.isascii() and header.isdigit() and trailer.isascii() and trailer.isdigit()
    return numeric and int(header) == int(trailer)


class EnvelopeBase:
    """The open interchange, group and transaction of either standard.

    Subclasses set :attr:`OUTSIDE`, :attr:`IN_INTERCHANGE` and :attr:`IN_GROUP` to their own
    states and define :meth:`where`. :attr:`open` describes the open transaction: ``type``,
    ``control``, ``version``, ``first`` (its header's ordinal), ``index`` and ``issues``.
    """

    OUTSIDE: enum.Enum
    IN_INTERCHANGE: enum.Enum
    IN_GROUP: enum.Enum
    BODY = "transaction set"  # what the innermost level is called in messages

    def __init__(self) -> None:
        self.state: enum.Enum = self.OUTSIDE
        self.body: list[Segment] | None = None  # the open transaction's segments
        self.interchange: InterchangeHeader | None = None
        self.group: GroupHeader | None = None
        self.interchanges = 0
        self.groups = 0  # groups in the open interchange
        self.open: dict[str, Any] = {}
        self.reported_outside = False

    def where(self, element: int | None = None, *, transaction: bool = False, group: bool = True) -> Position:
        """The position of the current segment within the open envelopes."""
        raise NotImplementedError

    def emit_body(self, out: list[Event]) -> None:
        """Hand over the open transaction, with the segments read so far."""
        assert self.body is not None and self.interchange is not None and self.group is not None
        t = self.open
        out.append(
            model.Transaction(
                type=t["type"],
                control_number=t["control"],
                version=t["version"],
                segments=self.body,
                interchange=self.interchange,
                group=self.group,
                index=t["index"],
                first_segment=t["first"],
                issues=t["issues"],
            )
        )
        self.body = None
        self.open = {}
        self.state = self.IN_GROUP

    def missing_body(self, out: list[Event], code: IssueCode, trailer: str) -> None:
        """The open transaction ends without its ``trailer`` (SE, UNT): report it, hand it over."""
        if self.body is None:
            return
        text = f"{self.BODY} {self.open['control']!r} ends without its {trailer}"
        issue = Issue(code, text, self.where(transaction=True))
        self.open["issues"].append(issue)
        out.append(issue)
        self.emit_body(out)

    def count_issue(
        self, code: IssueCode, tag: str, stated: str, actual: int, what: str, **where: bool
    ) -> list[Issue]:
        """``[issue]`` when the trailer's element 1 (``stated``) is not ``actual``, else ``[]``."""
        if count_of(stated) == actual:
            return []
        return [Issue(code, f"{tag}01 says {stated!r} but there are {actual} {what}", self.where(1, **where))]

    def control_issue(
        self, code: IssueCode, tag: str, stated: str, expected: str, header: str, **where: bool
    ) -> list[Issue]:
        """``[issue]`` when the trailer's element 2 (``stated``) differs from ``expected``, else ``[]``."""
        if same_control(expected, stated):
            return []
        return [Issue(code, f"{tag}02 {stated!r} differs from {header} {expected!r}", self.where(2, **where))]

    def end_group(self, out: list[Event], transactions: int, trailer: Segment | None) -> None:
        """Close the open group (``trailer``: its GE/UNE, ``None`` when missing)."""
        assert self.group is not None
        out.append(GroupEnd(self.group, transactions, trailer))
        self.group = None
        self.state = self.IN_INTERCHANGE

    def end_interchange(self, out: list[Event], transactions: int, trailer: Segment | None) -> None:
        """Close the open interchange (``trailer``: its IEA/UNZ, ``None`` when missing)."""
        assert self.interchange is not None
        out.append(InterchangeEnd(self.interchange, self.groups, transactions, trailer))
        self.interchange = None
        self.state = self.OUTSIDE

    def missing_trailer(self, out: list[Event], code: IssueCode, text: str, *, group: bool = True) -> None:
        """Report a group or interchange trailer that never came."""
        out.append(Issue(code, text, self.where(group=group)))
