"""EDIFACT segments kept as text until they are used: the split, and the message that defers it.

The reader's fast path hands a message's content segments over as their text (terminator,
leading whitespace and line breaks already removed, no release character in them). Splitting
them into elements and components is most of the work of reading EDIFACT, and ``acorn parse``
(which counts segments) never needs it. So a message is a :class:`Transaction` of this module:
a :class:`gateway.edi.model.Transaction` whose ``segments`` are split the first time they are
read, all at once, by :func:`split_segments`; :attr:`Transaction.segment_count` counts them
without splitting. Once split, the lists are kept: every later read gets the same objects, as
with a plain :class:`Transaction`.

:func:`split_segments` gives exactly what the tokenizer gives for the same text: elements on
the element separator, an element holding the component separator as a ``list[str]``, a
component separator inside the tag left as tag text.
"""

from __future__ import annotations

from typing import Any

from gateway.edi import model
from gateway.edi.errors import Issue
from gateway.edi.model import Segment

_SEGMENTS = model.Transaction.__dict__["segments"]  # the slot that holds the split segments


def split_segments(items: list[Any], element: str, component: str) -> list[Segment]:
    """Segments of ``items``: each a segment's text (no release character), or a segment already split."""
    out: list[Segment] = []
    append = out.append
    for item in items:
        if item.__class__ is not str:
            append(item)
            continue
        parts: list[Any] = item.split(element)
        if component in item:
            for i, part in enumerate(parts):
                if component in part:
                    parts[i] = part.split(component)
            if parts[0].__class__ is list:  # a component separator in the tag is tag text
                parts[0] = component.join(parts[0])
        append(parts)
    return out


def split_segment(text: str, element: str, component: str) -> Segment:
    """One segment's text (no release character) split as :func:`split_segments` splits it."""
    parts: list[Any] = text.split(element)
    if component in text:
        parts = [part.split(component) if component in part else part for part in parts]
        if parts[0].__class__ is list:
            parts[0] = component.join(parts[0])
    return parts


class Transaction(model.Transaction):
    """A :class:`gateway.edi.model.Transaction` whose segments are split on first use.

    It keeps the name so that ``repr`` and type names read as before; test it with
    ``isinstance(event, model.Transaction)``. Build one with :meth:`deferred`; everything
    else (``==``, ``repr``, ``dataclasses.replace``, pickling) goes through :attr:`segments`
    and so sees the split segments.
    """

    __slots__ = ("_pending",)
    _pending: tuple[list[Any], str, str] | None  # (items, element, component) until split

    @classmethod
    def deferred(
        cls,
        items: list[Any],
        element: str,
        component: str,
        kind: str,
        control_number: str,
        version: str,
        interchange: model.InterchangeHeader,
        group: model.GroupHeader,
        index: int,
        first_segment: int,
        issues: list[Issue],
    ) -> Transaction:
        """A message of ``items`` (segment texts or split segments), split with these separators.

        The other arguments are the :class:`~gateway.edi.model.Transaction` fields after
        ``segments``, in order (``kind`` is ``type``); positional, for this runs once a message.
        """
        message = cls(kind, control_number, version, [], interchange, group, index, first_segment, issues)
        message._pending = (items, element, component)
        return message

    @property  # type: ignore[override]
    def segments(self) -> list[Segment]:
        """The message's segments, split now if they were not yet."""
        pending = self._pending
        if pending is not None:
            _SEGMENTS.__set__(self, split_segments(*pending))
            self._pending = None
        segments: list[Segment] = _SEGMENTS.__get__(self)
        return segments

    @segments.setter
    def segments(self, value: list[Segment]) -> None:
        _SEGMENTS.__set__(self, value)
        self._pending = None

    @property
    def segment_count(self) -> int:
        """How many segments the message holds, without splitting them."""
        pending = self._pending
        return len(pending[0]) if pending is not None else len(_SEGMENTS.__get__(self))

    def first_segments(self, count: int = 1) -> list[Segment]:
        """The first ``count`` segments, split without splitting the others."""
        pending = self._pending
        if pending is None:
            return _SEGMENTS.__get__(self)[:count]
        items, element, component = pending
        return split_segments(items[:count], element, component)
