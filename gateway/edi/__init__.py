"""The EDI syntax layer: X12 and EDIFACT readers and writers, envelopes, acknowledgements.

Knows syntax only: no database, no business documents. Public entry points:

- :func:`read_events` streams events of any payload; :func:`parse` folds them into a
  :class:`ParsedFile`.
- :func:`iter_transactions` streams transactions with their envelope context, bounded by
  the largest transaction; :func:`summarise` counts a file from the stream.
- :class:`Issue` / :class:`EdiError` / :class:`Position` describe what is wrong and where.
"""

from gateway.edi.document import ParsedFile, ParsedGroup, ParsedInterchange, collect
from gateway.edi.errors import EdiError, Issue, IssueCode, Position, Severity
from gateway.edi.model import (
    Delimiters,
    GroupEnd,
    GroupHeader,
    InterchangeEnd,
    InterchangeHeader,
    Segment,
    Transaction,
)
from gateway.edi.reader import parse, read_events
from gateway.edi.stream import StreamItem, StreamSummary, iter_transactions, summarise

__all__ = [
    "Delimiters",
    "EdiError",
    "GroupEnd",
    "GroupHeader",
    "InterchangeEnd",
    "InterchangeHeader",
    "Issue",
    "IssueCode",
    "ParsedFile",
    "ParsedGroup",
    "ParsedInterchange",
    "Position",
    "Segment",
    "Severity",
    "StreamItem",
    "StreamSummary",
    "Transaction",
    "collect",
    "iter_transactions",
    "parse",
    "read_events",
    "summarise",
]
