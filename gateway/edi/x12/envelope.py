"""The X12 envelope as a state machine: states, the transition table, the steps.

:data:`TRANSITIONS` maps each state (outside any interchange, in an interchange, in a
group, in a transaction set) and each envelope tag to the steps to run, in order; the
``""`` entry is for any other tag. A step opens an envelope (``open_*``), closes it with
the trailer just read and checks its count and control number (``close_*``), closes it
*without* a trailer and reports the missing one (``drop_*``, a no-op when nothing of
that level is open), or reports a segment where it cannot be. Read row by row, the
table is the whole envelope grammar:

- ISA opens an interchange; an ISA while one is open means its IEA is missing.
- GS opens a group inside an interchange (else ``X12_GS_OUTSIDE_INTERCHANGE``).
- ST opens a transaction set inside a group (else ``X12_ST_OUTSIDE_GROUP``).
- SE closes the set: SE01 = segments ST..SE, SE02 = ST02.
- GE closes the group: GE01 = transaction sets in it, GE02 = GS06.
- IEA closes the interchange: IEA01 = groups in it, IEA02 = ISA13.
- A trailer with nothing of its level open is unexpected; any other segment outside a
  transaction set is reported once per stretch (``SEGMENT_OUTSIDE_ENVELOPE``).

Counts and control numbers compare as numbers when both are digits, so leading zeros
are harmless; what both standards do alike lives in :mod:`gateway.edi.envelope`.
:class:`Envelope` holds only the open transaction's segments; the reader
appends plain segments to :attr:`Envelope.body` itself (the hot path) and calls
:meth:`Envelope.step` for the rest.
"""

from __future__ import annotations

import enum
from dataclasses import replace

from gateway.edi.envelope import EnvelopeBase
from gateway.edi.errors import Issue, IssueCode, Position, Severity
from gateway.edi.model import Event, GroupHeader, InterchangeHeader, Segment
from gateway.edi.x12.tokenizer import Run


class State(enum.Enum):
    OUTSIDE = "outside"
    INTERCHANGE = "interchange"
    GROUP = "group"
    TRANSACTION = "transaction"


_S = State
_CLOSE_ALL = ("drop_transaction", "drop_group", "drop_interchange")

TRANSITIONS: dict[State, dict[str, tuple[str, ...]]] = {
    _S.OUTSIDE: {
        "ISA": ("open_interchange",),
        "GS": ("gs_outside",),
        "ST": ("st_outside",),
        "SE": ("unexpected",),
        "GE": ("unexpected",),
        "IEA": ("unexpected",),
        "": ("outside",),
    },
    _S.INTERCHANGE: {
        "ISA": ("drop_interchange", "open_interchange"),
        "GS": ("open_group",),
        "ST": ("st_outside",),
        "SE": ("unexpected",),
        "GE": ("unexpected",),
        "IEA": ("close_interchange",),
        "": ("outside",),
    },
    _S.GROUP: {
        "ISA": ("drop_group", "drop_interchange", "open_interchange"),
        "GS": ("drop_group", "open_group"),
        "ST": ("open_transaction",),
        "SE": ("unexpected",),
        "GE": ("close_group",),
        "IEA": ("drop_group", "close_interchange"),
        "": ("outside",),
    },
    _S.TRANSACTION: {
        "ISA": (*_CLOSE_ALL, "open_interchange"),
        "GS": ("drop_transaction", "drop_group", "open_group"),
        "ST": ("drop_transaction", "open_transaction"),
        "SE": ("close_transaction",),
        "GE": ("drop_transaction", "close_group"),
        "IEA": ("drop_transaction", "drop_group", "close_interchange"),
        "": ("append",),
    },
}
AT_END = _CLOSE_ALL
# Tags the reader must hand to the state machine; "" is an empty segment.
ENVELOPE_TAGS = frozenset([*(tag for tag in TRANSITIONS[_S.OUTSIDE] if tag), ""])

_UNEXPECTED = {
    "SE": (IssueCode.X12_UNEXPECTED_SE, "ST"),
    "GE": (IssueCode.X12_UNEXPECTED_GE, "GS"),
    "IEA": (IssueCode.X12_UNEXPECTED_IEA, "ISA"),
}


def element(segment: Segment, index: int) -> str:
    """Element ``index`` (1-based) as stripped text, ``""`` when absent."""
    return segment[index].strip() if index < len(segment) else ""


class Envelope(EnvelopeBase):
    """The open interchange, group and transaction set, and the steps that change them."""

    OUTSIDE, IN_INTERCHANGE, IN_GROUP = State.OUTSIDE, State.INTERCHANGE, State.GROUP
    state: State

    def __init__(self) -> None:
        super().__init__()
        self.transactions = 0  # transaction sets in the open group
        self.interchange_transactions = 0
        self.run: Run | None = None
        self.index = 0
        self.segment: Segment = []

    # --- the driver ----------------------------------------------------------

    def step(self, run: Run, index: int, segment: Segment) -> list[Event]:
        """Handle ``segment`` (segment ``index`` of ``run``): one the open body cannot take."""
        self.run, self.index, self.segment = run, index, segment
        tag = segment[0]
        if tag == "" and len(segment) == 1:
            return [
                Issue(
                    IssueCode.EMPTY_SEGMENT,
                    "an empty segment (two terminators in a row)",
                    self.where(transaction=True),
                    Severity.WARNING,
                )
            ]
        row = TRANSITIONS[self.state]
        steps = row.get(tag)
        if steps is None:
            steps = row[""]
        else:
            self.reported_outside = False
        out: list[Event] = []
        for name in steps:
            getattr(self, name)(out)
        return out

    def finish(self, run: Run | None) -> list[Event]:
        """End of input: close whatever is open, reporting the missing trailers.

        ``run`` is the last run read: the missing trailers are reported at its last segment.
        """
        if run is not None:
            index = len(run.pieces) - 1
            self.run, self.index, self.segment = run, index, run.pieces[index].split(run.delimiters.element)
        out: list[Event] = []
        for name in AT_END:
            getattr(self, name)(out)
        return out

    def where(self, element: int | None = None, *, transaction: bool = False, group: bool = True) -> Position:
        """The position of the current segment within the open envelopes."""
        run = self.run
        if run is None:
            ordinal = offset = tag = None
        else:
            ordinal = run.first + self.index
            offset = run.offset(self.index)
            tag = self.segment[0]
        return Position(
            interchange=self.interchanges if self.interchange else None,
            group=self.groups if group and self.group else None,
            transaction=self.transactions if transaction and self.body is not None else None,
            segment=ordinal,
            tag=tag,
            element=element,
            offset=offset,
        )

    # --- opening -------------------------------------------------------------

    def open_interchange(self, out: list[Event]) -> None:
        assert self.run is not None
        isa = self.segment
        self.interchanges += 1
        self.groups = self.interchange_transactions = 0
        self.interchange = InterchangeHeader(
            standard="x12",
            index=self.interchanges,
            sender_qualifier=isa[5].strip(),
            sender_id=isa[6].strip(),
            receiver_qualifier=isa[7].strip(),
            receiver_id=isa[8].strip(),
            control_number=isa[13].strip(),
            date=isa[9].strip(),
            time=isa[10].strip(),
            version=isa[12].strip(),
            test=isa[15].strip().upper() == "T",
            delimiters=self.run.delimiters,
            segment=isa,
            position=self.where(),
        )
        out.append(self.interchange)
        self.state = State.INTERCHANGE

    def open_group(self, out: list[Event]) -> None:
        assert self.run is not None
        gs = self.segment
        self.groups += 1
        self.transactions = 0
        at = replace(self.where(), group=self.groups)
        self.group = GroupHeader(
            index=self.groups,
            functional_id=element(gs, 1),
            sender_id=element(gs, 2),
            receiver_id=element(gs, 3),
            control_number=element(gs, 6),
            version=element(gs, 8),
            date=element(gs, 4),
            time=element(gs, 5),
            segment=gs,
            position=at,
        )
        out.append(self.group)
        if len(gs) < 9 or not element(gs, 1) or not element(gs, 6):
            out.append(
                Issue(
                    IssueCode.X12_GS_INVALID,
                    f"GS needs 8 elements with GS01 and GS06 present, found {len(gs) - 1}",
                    at,
                )
            )
        self.state = State.GROUP

    def open_transaction(self, out: list[Event]) -> None:
        assert self.run is not None and self.group is not None
        st = self.segment
        self.transactions += 1
        self.interchange_transactions += 1
        self.body = [st]
        issues: list[Issue] = []
        if not element(st, 1) or not element(st, 2):
            issues.append(
                Issue(
                    IssueCode.X12_ST_INVALID,
                    "ST needs ST01 (transaction set identifier) and ST02 (control number)",
                    self.where(1 if not element(st, 1) else 2, transaction=True),
                )
            )
        out.extend(issues)
        self.open = {
            "type": element(st, 1),
            "control": element(st, 2),
            "version": element(st, 3) or self.group.version,
            "first": self.run.first + self.index,
            "index": self.transactions,
            "issues": issues,
        }
        self.state = State.TRANSACTION

    # --- closing with a trailer ----------------------------------------------

    def append(self, out: list[Event]) -> None:
        assert self.run is not None and self.body is not None
        self.body.append(self.segment)

    def close_transaction(self, out: list[Event]) -> None:
        assert self.run is not None and self.body is not None
        se = self.segment
        self.body.append(se)
        actual = len(self.body)
        found = self.count_issue(
            IssueCode.X12_SE_COUNT_MISMATCH, "SE", element(se, 1), actual, "segments ST..SE", transaction=True
        )
        found += self.control_issue(
            IssueCode.X12_SE_CONTROL_MISMATCH,
            "SE",
            element(se, 2),
            self.open["control"],
            "ST02",
            transaction=True,
        )
        self.open["issues"].extend(found)
        out.extend(found)
        self.emit_body(out)

    def close_group(self, out: list[Event]) -> None:
        assert self.run is not None and self.group is not None
        ge = self.segment
        what = "transaction sets in the group"
        out += self.count_issue(
            IssueCode.X12_GE_COUNT_MISMATCH, "GE", element(ge, 1), self.transactions, what
        )
        out += self.control_issue(
            IssueCode.X12_GE_CONTROL_MISMATCH, "GE", element(ge, 2), self.group.control_number, "GS06"
        )
        self.end_group(out, self.transactions, ge)

    def close_interchange(self, out: list[Event]) -> None:
        assert self.run is not None and self.interchange is not None
        iea = self.segment
        what = "groups in the interchange"
        out += self.count_issue(
            IssueCode.X12_IEA_COUNT_MISMATCH, "IEA", element(iea, 1), self.groups, what, group=False
        )
        out += self.control_issue(
            IssueCode.X12_IEA_CONTROL_MISMATCH,
            "IEA",
            element(iea, 2),
            self.interchange.control_number,
            "ISA13",
            group=False,
        )
        self.end_interchange(out, self.interchange_transactions, iea)

    # --- closing without a trailer -------------------------------------------

    def drop_transaction(self, out: list[Event]) -> None:
        self.missing_body(out, IssueCode.X12_SE_MISSING, "SE")

    def drop_group(self, out: list[Event]) -> None:
        if self.group is None:
            return
        text = f"group {self.group.control_number!r} ends without its GE"
        self.missing_trailer(out, IssueCode.X12_GE_MISSING, text)
        self.end_group(out, self.transactions, None)

    def drop_interchange(self, out: list[Event]) -> None:
        if self.interchange is None:
            return
        text = f"interchange {self.interchange.control_number!r} ends without its IEA"
        self.missing_trailer(out, IssueCode.X12_IEA_MISSING, text, group=False)
        self.end_interchange(out, self.interchange_transactions, None)

    # --- misplaced segments --------------------------------------------------

    def outside(self, out: list[Event]) -> None:
        if self.reported_outside:
            return
        self.reported_outside = True
        where = "after its interchange" if self.interchange is None else "outside any transaction set"
        out.append(Issue(IssueCode.SEGMENT_OUTSIDE_ENVELOPE, f"a data segment {where}", self.where()))

    def gs_outside(self, out: list[Event]) -> None:
        out.append(
            Issue(
                IssueCode.X12_GS_OUTSIDE_INTERCHANGE, "GS outside any interchange (no open ISA)", self.where()
            )
        )

    def st_outside(self, out: list[Event]) -> None:
        out.append(
            Issue(
                IssueCode.X12_ST_OUTSIDE_GROUP, "ST outside any functional group (no open GS)", self.where()
            )
        )

    def unexpected(self, out: list[Event]) -> None:
        assert self.run is not None
        tag = self.segment[0]
        code, header = _UNEXPECTED[tag]
        out.append(Issue(code, f"{tag} without an open {header}", self.where()))
