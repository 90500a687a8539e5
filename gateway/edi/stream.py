"""Stream a file transaction by transaction, with its envelope context, without a tree.

:func:`iter_transactions` is the public streaming API for large files: it yields, in file
order, each complete :class:`~gateway.edi.model.Transaction` (which carries its
``interchange`` and ``group`` headers and its position), each :class:`GroupEnd` and
:class:`InterchangeEnd` as the envelope closes, and every envelope
:class:`~gateway.edi.errors.Issue`. Memory is bounded by the largest transaction: nothing
is folded, a transaction is forgotten as soon as the caller drops it.

:class:`StreamSummary` counts what passes (interchanges, groups, transactions per type,
issues) for ``acorn parse`` and progress reports.

>>> for item in iter_transactions("big.edi"):       # doctest: +SKIP
...     if isinstance(item, Transaction):
...         handle(item.interchange.control_number, item.group.version, item.segments)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from gateway.edi.errors import Issue, Severity
from gateway.edi.model import (
    Event,
    GroupEnd,
    GroupHeader,
    InterchangeEnd,
    InterchangeHeader,
    Standard,
    Transaction,
)
from gateway.edi.reader import CHUNK_SIZE, Source, read_events

StreamItem: TypeAlias = Transaction | GroupEnd | InterchangeEnd | Issue


def iter_transactions(source: Source, chunk_size: int = CHUNK_SIZE) -> Iterator[StreamItem]:
    """Yield transactions, envelope ends and issues of ``source`` in file order.

    Headers are not yielded on their own: every transaction points to its
    ``interchange`` and ``group`` header, and every end event to its ``header``. An
    interchange or group without transactions still shows as its end event.
    Raises :class:`~gateway.edi.errors.EdiError` when the input is not EDI at all.
    """
    for event in read_events(source, chunk_size):
        if not isinstance(event, InterchangeHeader | GroupHeader):
            yield event


@dataclass(slots=True)
class GroupCount:
    """What one group held, counted while streaming."""

    header: GroupHeader
    types: Counter[str] = field(default_factory=Counter)
    segments: int = 0
    # (type, control number, version, segment count): a few bytes per transaction, no segments.
    transactions: list[tuple[str, str, str, int]] = field(default_factory=list)


@dataclass(slots=True)
class InterchangeCount:
    """What one interchange held, counted while streaming (its groups in file order)."""

    header: InterchangeHeader
    groups: list[GroupCount] = field(default_factory=list)
    closed: bool = False


@dataclass(slots=True)
class StreamSummary:
    """Counts of a streamed file: per interchange and group, per transaction type, and issues.

    Holds headers and counters only (never segments), so it stays small for any file
    that is not made of millions of interchanges.
    """

    standard: Standard | None = None
    interchanges: list[InterchangeCount] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    transactions: int = 0
    segments: int = 0

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity is Severity.ERROR]

    def add(self, event: Event) -> None:
        """Count one event of :func:`~gateway.edi.read_events` or :func:`iter_transactions`."""
        if isinstance(event, Transaction):
            group = self._group(event.interchange, event.group)
            count = event.segment_count  # counted, not split (EDIFACT splits on first use)
            group.types[event.type] += 1
            group.segments += count
            group.transactions.append((event.type, event.control_number, event.version, count))
            self.transactions += 1
            self.segments += count
        elif isinstance(event, Issue):
            self.issues.append(event)
        elif isinstance(event, InterchangeHeader):
            self.standard = self.standard or event.standard
            self._interchange(event)
        elif isinstance(event, GroupHeader) and self.interchanges:
            self._group(self.interchanges[-1].header, event)
        elif isinstance(event, InterchangeEnd):
            self._interchange(event.header).closed = True

    def as_dict(self) -> dict[str, Any]:
        """The JSON contract of ``acorn parse --json`` (the same as :meth:`ParsedFile.summary`)."""
        return {
            "standard": self.standard or "x12",
            "interchanges": [_interchange_dict(ic) for ic in self.interchanges],
            "errors": [i.as_dict() for i in self.issues],
        }

    def _interchange(self, header: InterchangeHeader) -> InterchangeCount:
        if not self.interchanges or self.interchanges[-1].header is not header:
            self.interchanges.append(InterchangeCount(header))
        return self.interchanges[-1]

    def _group(self, interchange: InterchangeHeader, header: GroupHeader) -> GroupCount:
        groups = self._interchange(interchange).groups
        if not groups or groups[-1].header is not header:
            groups.append(GroupCount(header))
        return groups[-1]


def _interchange_dict(ic: InterchangeCount) -> dict[str, Any]:
    h = ic.header
    return {
        "sender": h.sender_id,
        "sender_qualifier": h.sender_qualifier,
        "receiver": h.receiver_id,
        "receiver_qualifier": h.receiver_qualifier,
        "control_number": h.control_number,
        "test": h.test,
        "groups": [
            {
                "functional_id": g.header.functional_id,
                "control_number": g.header.control_number,
                "version": g.header.version,
                "implicit": g.header.implicit,
                "transactions": [
                    {"type": t, "control_number": c, "version": v, "segment_count": n}
                    for t, c, v, n in g.transactions
                ],
            }
            for g in ic.groups
        ],
    }


def summarise(source: Source, chunk_size: int = CHUNK_SIZE) -> StreamSummary:
    """Stream ``source`` and return its :class:`StreamSummary` (no tree is built)."""
    summary = StreamSummary()
    for event in read_events(source, chunk_size):
        summary.add(event)
    return summary
