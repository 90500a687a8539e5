"""EDIFACT writer: an :class:`OutboundInterchange` to bytes, built and serialized with pydifact.

Envelope: ``UNA`` (always written, so the partner never has to guess), ``UNB`` (syntax
identifier from ``version``, e.g. ``UNOA:3``; sender and recipient with their
qualifiers; date and time from ``timestamp``; the caller's control reference; UNB09 =
1 when an acknowledgement is requested; UNB11 = 1 for a test interchange), then per
group an optional ``UNG``/``UNE`` (none for ``implicit`` groups), per message
``UNH``/``UNT`` around the body, and ``UNZ``. UNT01, UNE01 and UNZ01 are computed:
UNZ01 counts groups when UNG is used, messages otherwise.

pydifact 0.2.3's serializer escapes the component and element separators, the release
character and the segment terminator with the release character, also for custom
separators, but not the syntax 4 repetition separator; it defaults to a decimal comma
and warns on a segment without elements. This module therefore gives it explicit
:class:`~pydifact.control.Characters`, adds the repetition separator to its escape
table, silences its warnings, and writes ``delimiters.suffix`` (a line break, say)
after each terminator itself. Trailing empty components are dropped, as the EDIFACT
truncation rule asks (``a:b:`` is written ``a:b``).

Raises ``ValueError`` when data cannot be written: a separator in the data with no
release character to escape it, or a line break in the data (readers drop those).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

from pydifact.control.characters import Characters
from pydifact.segments import Segment as PydifactSegment
from pydifact.serializer import Serializer

from gateway.edi.edifact.delimiters import una_string
from gateway.edi.model import Delimiters, OutboundInterchange, OutboundTransaction, Segment

ENCODING = "utf-8"


def write_edifact(interchange: OutboundInterchange) -> bytes:
    """The interchange as EDIFACT bytes (UTF-8; undecodable surrogates written back as bytes)."""
    delimiters = interchange.delimiters
    serializer = _serializer(delimiters)
    parts = [una_string(delimiters) + delimiters.suffix]
    for segment in envelope_segments(interchange):
        _check(segment, delimiters)
        parts.append(_serialize(serializer, segment) + delimiters.suffix)
    return "".join(parts).encode(ENCODING, "surrogateescape")


def envelope_segments(interchange: OutboundInterchange) -> Iterator[Segment]:
    """Every segment of the interchange, UNB to UNZ, with computed counts."""
    stamp = interchange.timestamp
    date, time = f"{stamp:%y%m%d}", f"{stamp:%H%M}"
    unb: Segment = [
        "UNB",
        interchange.version.split(":"),
        _party(interchange.sender_id, interchange.sender_qualifier),
        _party(interchange.receiver_id, interchange.receiver_qualifier),
        [date, time],
        interchange.control_number,
    ]
    if interchange.ack_requested or interchange.test:
        unb += ["", "", "", "1" if interchange.ack_requested else ""]
        if interchange.test:
            unb += ["", "1"]
    yield unb
    explicit = 0
    messages = 0
    for group in interchange.groups:
        if not group.implicit:
            explicit += 1
            version = _identifier(group.version)
            yield [
                "UNG",
                group.functional_id,
                group.sender_id,
                group.receiver_id,
                [date, time],
                group.control_number,
                "UN",
                version[:2],
            ]
        for transaction in group.transactions:
            messages += 1
            yield from message_segments(transaction, group.version)
        if not group.implicit:
            yield ["UNE", str(len(group.transactions)), group.control_number]
    yield ["UNZ", str(explicit or messages), interchange.control_number]


def message_segments(transaction: OutboundTransaction, group_version: str = "") -> Iterator[Segment]:
    """UNH, the body and UNT (with the segment count) of one message."""
    identifier = _identifier(transaction.version or group_version)
    yield ["UNH", transaction.control_number, [transaction.type, *identifier]]
    yield from transaction.segments
    yield ["UNT", str(len(transaction.segments) + 2), transaction.control_number]


def _identifier(version: str | list[str] | None) -> list[str]:
    """A message version as UNH02 components after the type: ``"D96A"`` -> ``["D", "96A", "UN"]``."""
    if not version:
        return []
    if isinstance(version, list):
        return list(version)
    if ":" in version:
        return version.split(":")
    return [version[0], version[1:], "UN"]


def _party(identifier: str, qualifier: str) -> str | list[str]:
    return [identifier, qualifier] if qualifier else identifier


def _serializer(delimiters: Delimiters) -> Serializer:
    characters = Characters(
        component_separator=delimiters.component,
        data_separator=delimiters.element,
        decimal_point=delimiters.decimal,
        escape_character=delimiters.release or "?",
        reserved=delimiters.repetition or " ",
        segment_terminator=delimiters.segment,
    )
    serializer = Serializer(characters)
    if delimiters.release is None:
        # No release character: nothing can be escaped (_check refuses separators in data).
        serializer.replace_map = {}
        serializer.regexp = re.compile(r"(?!)")
    elif delimiters.repetition:
        # pydifact does not escape the repetition separator: add it to its table.
        serializer.replace_map[delimiters.repetition] = delimiters.release + delimiters.repetition
        serializer.regexp = re.compile("|".join(map(re.escape, serializer.replace_map)))
    return serializer


def _serialize(serializer: Serializer, segment: Segment) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        built = PydifactSegment(segment[0], *segment[1:])
        return serializer.serialize([built], with_una_header=False)


def _check(segment: Segment, delimiters: Delimiters) -> None:
    """Refuse data a reader could not get back."""
    specials = [delimiters.element, delimiters.component, delimiters.segment]
    if delimiters.repetition:
        specials.append(delimiters.repetition)
    for value in segment[1:]:
        for text in value if isinstance(value, list) else [value]:
            if not isinstance(text, str):
                raise ValueError(f"{segment[0]}: element {text!r} is not text")
            if ("\n" in text and "\n" not in specials) or ("\r" in text and "\r" not in specials):
                raise ValueError(f"{segment[0]}: a line break in {text!r} cannot be written in EDIFACT")
            if delimiters.release is None and any(ch in text for ch in specials):
                raise ValueError(
                    f"{segment[0]}: {text!r} holds a separator and the delimiters have no release character"
                )
