"""A parsed file as a tree: interchanges > groups > transactions, plus every issue.

:func:`collect` folds the reader's event stream into a :class:`ParsedFile`. Use it for
messages of ordinary size (the pipeline, the CLI, acknowledgements); stream the events
directly for huge files.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gateway.edi.errors import Issue, Severity
from gateway.edi.model import (
    Event,
    GroupEnd,
    GroupHeader,
    InterchangeEnd,
    InterchangeHeader,
    Segment,
    Standard,
    Transaction,
)


@dataclass(slots=True)
class ParsedGroup:
    header: GroupHeader
    transactions: list[Transaction] = field(default_factory=list)
    trailer: Segment | None = None

    def issues(self, file_issues: Iterable[Issue], interchange: int) -> list[Issue]:
        """The issues of this group's own envelope (not those inside its transactions)."""
        return [
            i
            for i in file_issues
            if i.position.interchange == interchange
            and i.position.group == self.header.index
            and i.position.transaction is None
        ]


@dataclass(slots=True)
class ParsedInterchange:
    header: InterchangeHeader
    groups: list[ParsedGroup] = field(default_factory=list)
    trailer: Segment | None = None

    @property
    def transactions(self) -> list[Transaction]:
        return [t for g in self.groups for t in g.transactions]


@dataclass(slots=True)
class ParsedFile:
    standard: Standard
    interchanges: list[ParsedInterchange] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def transactions(self) -> list[Transaction]:
        return [t for ic in self.interchanges for t in ic.transactions]

    def summary(self) -> dict[str, Any]:
        """The JSON contract of ``acorn parse --json``."""
        return {
            "standard": self.standard,
            "interchanges": [
                {
                    "sender": ic.header.sender_id,
                    "sender_qualifier": ic.header.sender_qualifier,
                    "receiver": ic.header.receiver_id,
                    "receiver_qualifier": ic.header.receiver_qualifier,
                    "control_number": ic.header.control_number,
                    "test": ic.header.test,
                    "groups": [
                        {
                            "functional_id": g.header.functional_id,
                            "control_number": g.header.control_number,
                            "version": g.header.version,
                            "implicit": g.header.implicit,
                            "transactions": [
                                {
                                    "type": t.type,
                                    "control_number": t.control_number,
                                    "version": t.version,
                                    "segment_count": len(t.segments),
                                }
                                for t in g.transactions
                            ],
                        }
                        for g in ic.groups
                    ],
                }
                for ic in self.interchanges
            ],
            "errors": [i.as_dict() for i in self.issues],
        }


def collect(events: Iterable[Event]) -> ParsedFile:
    """Fold a reader's events into a :class:`ParsedFile`."""
    parsed: ParsedFile | None = None
    interchange: ParsedInterchange | None = None
    group: ParsedGroup | None = None
    pending_issues: list[Issue] = []
    for event in events:
        if isinstance(event, Issue):
            if parsed is None:
                pending_issues.append(event)
            else:
                parsed.issues.append(event)
        elif isinstance(event, Transaction):
            if group is not None:
                group.transactions.append(event)
        elif isinstance(event, GroupHeader):
            group = ParsedGroup(event)
            if interchange is not None:
                interchange.groups.append(group)
        elif isinstance(event, InterchangeHeader):
            if parsed is None:
                parsed = ParsedFile(event.standard, issues=pending_issues)
            interchange = ParsedInterchange(event)
            parsed.interchanges.append(interchange)
            group = None
        elif isinstance(event, GroupEnd):
            if group is not None:
                group.trailer = event.trailer
            group = None
        elif isinstance(event, InterchangeEnd):
            if interchange is not None:
                interchange.trailer = event.trailer
            interchange = None
    if parsed is None:
        # Only issues and no interchange: the reader found nothing to open.
        parsed = ParsedFile("x12", issues=pending_issues)
    return parsed
