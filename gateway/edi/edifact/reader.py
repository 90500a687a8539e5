"""EDIFACT reader: text chunks in, envelope events and issues out, in file order.

The loop is deliberately thin: the :class:`~gateway.edi.edifact.tokenizer.Tokenizer`
turns chunks into :class:`~gateway.edi.edifact.tokenizer.Run` objects (the fast path's
segments, as text) and single split tokens (UNA, segments with release characters). In a
run, one regular-expression search names the segments that are not plain message content
(:meth:`Run.flagged`: service segments, odd tags); the stretches between them are appended
to the open message as text in one ``extend`` each, and only the flagged segments are split
and go through the envelope state machine of :mod:`gateway.edi.edifact.envelope`, which
opens and closes interchanges, groups and messages and checks their trailers. A message's
content is split into elements and components when it is first read
(:class:`gateway.edi.edifact.lazy.Transaction`), so ``acorn parse``, which only counts
segments, never splits it. Only the open message's segments are held, so memory stays flat
however large the file.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from gateway.edi.edifact.envelope import AT_END, SERVICE_TAGS, TRANSITIONS, Envelope, State
from gateway.edi.edifact.lazy import split_segment, split_segments
from gateway.edi.edifact.tokenizer import Run, Token, Tokenizer
from gateway.edi.errors import Issue, IssueCode, Severity
from gateway.edi.model import Event

PIECE = 1 << 16  # characters handed to the tokenizer at a time


def read_edifact(chunks: Iterable[str], *, runs: bool = True) -> Iterator[Event]:
    """Stream the events of EDIFACT text (decoded, BOM and leading whitespace removed).

    Yields :class:`~gateway.edi.model.InterchangeHeader`, ``GroupHeader``,
    ``Transaction``, ``GroupEnd``, ``InterchangeEnd`` and
    :class:`~gateway.edi.errors.Issue` events in file order. Raises
    :class:`~gateway.edi.errors.EdiError` (``EDIFACT_UNA_INVALID``,
    ``EDIFACT_DANGLING_RELEASE``) when the text cannot be tokenized further; the events
    before that point have been yielded. ``runs=False`` reads every segment as a split
    token, the slow way (the reference the tests hold the fast path to).
    """
    tokenizer = Tokenizer()
    envelope = Envelope()
    plain: set[str] = set()  # tags seen to be plain message content (3 alphanumerics, not service)
    for piece in _pieces(chunks):
        items = tokenizer.feed_runs(piece) if runs else tokenizer.feed(piece)
        for item in items:
            if type(item) is Run:
                yield from _route_run(envelope, item, plain)
            else:
                yield from _route(envelope, item, plain)  # type: ignore[arg-type]
    tokens = tokenizer.close()
    if tokenizer.truncated is not None:
        yield Issue(
            IssueCode.TRUNCATED_INPUT,
            "the last segment has no segment terminator",
            tokenizer.truncated,
            Severity.WARNING,
        )
    for token in tokens:
        yield from _step(envelope, token)
    yield from envelope.run(AT_END, None)


def _route(envelope: Envelope, token: Token, plain: set[str]) -> list[Event]:
    """One split segment: content of the open message is appended, the rest goes to the state machine."""
    body = envelope.body
    if body is not None:
        tag = token[2][0]
        if tag in plain:
            body.append(token[2])
            return []
        if _is_plain(tag):
            plain.add(tag)
            body.append(token[2])
            return []
    return _step(envelope, token)


def _route_run(envelope: Envelope, run: Run, plain: set[str]) -> Iterator[Event]:
    """The hot path: a run's plain segments go to the open message as text, in slices.

    Only the segments :meth:`Run.flagged` names (service segments, odd tags) are split
    and routed one by one; a stretch of plain segments between them is appended to the
    open message's body in one ``extend`` (outside a message each goes to the state
    machine, which reports it).
    """
    raws = run.raws
    d = run.delimiters
    element, component = d.element, d.component
    done = 0
    offsets: list[int] | None = None
    for index, offset in run.flagged():
        if index > done:
            body = envelope.body
            if body is not None:
                body.extend(raws[done:index])
            else:
                offsets = offsets or run.offsets()
                yield from _outside(envelope, run, done, index, offsets, plain)
        segment = split_segment(raws[index], element, component)
        yield from _route(envelope, (run.ordinal + index, offset, segment, d), plain)
        done = index + 1
    if done < len(raws):
        body = envelope.body
        if body is not None:
            body.extend(raws[done:] if done else raws)
        else:
            yield from _outside(envelope, run, done, len(raws), offsets or run.offsets(), plain)


def _outside(
    envelope: Envelope, run: Run, start: int, stop: int, offsets: list[int], plain: set[str]
) -> Iterator[Event]:
    """Plain segments ``start:stop`` of ``run`` read while no message is open."""
    d = run.delimiters
    segments = split_segments(run.raws[start:stop], d.element, d.component)
    for index, segment in enumerate(segments, start):
        yield from _route(envelope, (run.ordinal + index, offsets[index], segment, d), plain)


def _is_plain(tag: str) -> bool:
    """Whether ``tag`` is a valid tag of message content (three alphanumerics, not a service tag)."""
    return tag not in SERVICE_TAGS and len(tag) == 3 and tag.isalnum()


def _pieces(chunks: Iterable[str]) -> Iterator[str]:
    """Chunks cut to at most :data:`PIECE` characters.

    A piece's runs are segment texts (strings, which the garbage collector does not
    track), so a piece can be larger than when every segment was a fresh list
    (4 KiB then; 64 KiB now, measured in docs/performance.md).
    """
    for chunk in chunks:
        if len(chunk) <= PIECE:
            yield chunk
        else:
            for start in range(0, len(chunk), PIECE):
                yield chunk[start : start + PIECE]


def _step(envelope: Envelope, token: Token) -> list[Event]:
    """Run the transition for one segment that is not plain message content."""
    segment = token[2]
    tag = segment[0]
    state = envelope.state
    if len(tag) != 3 or not tag.isalnum():
        envelope.token = token[:3]
        if tag == "" and len(segment) == 1:
            return [
                Issue(
                    IssueCode.EMPTY_SEGMENT,
                    "an empty segment (two terminators in a row)",
                    envelope.where(transaction=True),
                    Severity.WARNING,
                )
            ]
        issue = Issue(
            IssueCode.BAD_SEGMENT_TAG,
            f"the segment tag {tag[:10]!r} is not valid",
            envelope.where(transaction=True),
        )
        if state is State.MESSAGE:
            return [issue, *envelope.run(("append",), token)]
        return [issue]
    row = TRANSITIONS[state]
    steps = row.get(tag)
    return envelope.run(row[""] if steps is None else steps, token, token[3])
