"""X12 reader: text chunks in, envelope events and issues out, in file order.

The loop is deliberately thin, because it runs once per segment: the
:class:`~gateway.edi.x12.tokenizer.Tokenizer` cuts each chunk into runs of segment
texts; the loop splits each one into its list and appends every segment inside an open
transaction set whose tag is not an envelope tag to the set directly (one frozenset
lookup per segment, the hot path). Transactions are yielded as soon as their SE is
read, so a consumer that drops them keeps only one set's lists alive: CPython's cyclic
garbage collector then hardly ever runs, which matters more to speed than anything
else here (a reader holding a whole chunk of segments ran at half the speed).
Envelope segments, empty segments and segments outside a transaction set go through
the state machine of :mod:`gateway.edi.x12.envelope`. Only the open transaction set's
segments are held, so memory stays flat however large the file.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import replace

from gateway.edi.errors import EdiError, Issue, IssueCode, Severity
from gateway.edi.model import Event
from gateway.edi.x12.envelope import ENVELOPE_TAGS, Envelope
from gateway.edi.x12.tokenizer import Run, Tokenizer

log = logging.getLogger(__name__)


def read_x12(chunks: Iterable[str]) -> Iterator[Event]:
    """Stream the events of X12 text (decoded, BOM and leading whitespace removed).

    Yields :class:`~gateway.edi.model.InterchangeHeader`, ``GroupHeader``,
    ``Transaction``, ``GroupEnd``, ``InterchangeEnd`` and
    :class:`~gateway.edi.errors.Issue` events in file order.

    Raises :class:`~gateway.edi.errors.EdiError` (``X12_ISA_INVALID``,
    ``X12_ISA_TRUNCATED``, ``X12_BAD_DELIMITERS``) when the first ISA cannot be read.
    A broken ISA further on ends the reading cleanly instead: its problem is yielded as
    an issue, the open envelopes are closed, and nothing after it is read.
    """
    tokenizer = Tokenizer()
    envelope = Envelope()
    last: Run | None = None
    try:
        for chunk in chunks:
            for run in tokenizer.feed(chunk):
                last = run
                yield from _route(envelope, run)
        runs = tokenizer.close()
        if tokenizer.truncated is not None:
            open_interchange = envelope.interchanges if envelope.interchange else None
            at = replace(tokenizer.truncated, interchange=open_interchange)
            yield Issue(
                IssueCode.TRUNCATED_INPUT, "the last segment has no segment terminator", at, Severity.WARNING
            )
        for run in runs:
            last = run
            yield from _route(envelope, run)
        tokenizer.raise_failure()
    except EdiError as error:
        if envelope.interchanges == 0:
            raise
        log.warning("X12 reading stopped: %s", error)
        yield error.issue
    yield from envelope.finish(last)


def _route(envelope: Envelope, run: Run) -> Iterator[Event]:
    """The hot loop: body segments straight into the open set, the rest to the state machine."""
    tags = ENVELOPE_TAGS
    element = run.delimiters.element
    body = envelope.body
    for index, piece in enumerate(run.pieces):
        segment = piece.split(element)
        if body is not None and segment[0] not in tags:
            body.append(segment)
            continue
        yield from envelope.step(run, index, segment)
        body = envelope.body
