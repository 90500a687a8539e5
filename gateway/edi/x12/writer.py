"""X12 writer: segments to text, and whole interchanges with their envelopes to bytes.

:func:`serialize_segments` joins segments with given delimiters. :func:`write_x12`
builds an interchange around the caller's transaction bodies: the ISA padded to its
fixed widths, GS, ST (with ST03 when the transaction names a version), the body, then
SE/GE/IEA with the counts computed here. Control numbers are the caller's (from a
per-partner counter); ISA13 and IEA02 are zero-padded to nine digits.

An element is a ``str`` or a ``list[str]`` of components. A ``str`` may hold the
component or repetition separator (that is how the reader hands composites and
repeats back, so read -> write -> read gives the same segments), but never the element
separator or the segment terminator; a component may hold none of the three. Such
data, unusable delimiters and ISA values that do not fit their widths raise
``ValueError``: X12 has no release character, so the only safe answer is to refuse.
"""

from __future__ import annotations

from collections.abc import Iterable

from gateway.edi.model import Delimiters, OutboundInterchange, Segment
from gateway.edi.x12.delimiters import ISA_WIDTHS, has_repetition, usable_separator
from gateway.edi.x12.envelope import ENVELOPE_TAGS

ENCODING = "utf-8"
ENCODING_ERRORS = "surrogateescape"  # bytes the reader kept as surrogates go back unchanged


def check_delimiters(delimiters: Delimiters, repetition: bool = True) -> None:
    """Raise ``ValueError`` unless the delimiters can be written in an ISA."""
    chosen = {"element": delimiters.element, "component": delimiters.component, "segment": delimiters.segment}
    if repetition:
        if delimiters.repetition is None:
            raise ValueError("ISA12 00402 and later need a repetition separator (Delimiters.repetition)")
        chosen["repetition"] = delimiters.repetition
    for name, char in chosen.items():
        if not usable_separator(char):
            raise ValueError(
                f"the {name} separator {char!r} must be one character, "
                "not an ASCII letter or digit nor a space"
            )
    if len(set(chosen.values())) != len(chosen):
        raise ValueError(f"the separators must be distinct: {chosen}")
    if any(ch not in "\r\n" for ch in delimiters.suffix) or set(delimiters.suffix) & set(chosen.values()):
        raise ValueError(
            f"the suffix {delimiters.suffix!r} may hold only line breaks that are not separators"
        )


def _text(value: str, delimiters: Delimiters, where: str, component: bool) -> str:
    forbidden = (delimiters.element, delimiters.segment) + ((delimiters.component,) if component else ())
    for char in forbidden:
        if char in value:
            raise ValueError(f"{where} {value!r} holds the separator {char!r}, which X12 cannot escape")
    return value


def serialize_segments(segments: Iterable[Segment], delimiters: Delimiters) -> str:
    """The text of ``segments``, each followed by the terminator and ``delimiters.suffix``.

    Raises ``ValueError`` when an element or component holds a separator it may not.
    """
    element, terminator = delimiters.element, delimiters.segment
    end = terminator + delimiters.suffix
    out: list[str] = []
    for segment in segments:
        if not segment or not isinstance(segment[0], str) or not segment[0].isalnum():
            raise ValueError(f"a segment needs a tag of letters and digits, got {segment[:1]!r}")
        # The common case first: every element a str, no separator in any (one search of the joined
        # text); anything else (a composite, a non-str value, a separator) takes the checked path.
        try:
            text = element.join(segment)  # a TypeError for a composite (a list) or a number
        except TypeError:
            text = None
        if text is not None and text.count(element) == len(segment) - 1 and terminator not in text:
            out.append(text + end)
            continue
        out.append(_segment_text(segment, delimiters) + end)
    return "".join(out)


def _segment_text(segment: Segment, delimiters: Delimiters) -> str:
    """One segment's text, each element checked (the error names the first element at fault)."""
    element, component = delimiters.element, delimiters.component
    parts = [segment[0]]
    for i, value in enumerate(segment[1:], 1):
        where = f"{segment[0]}{i:02d}"
        if isinstance(value, list):
            parts.append(component.join(_text(str(c), delimiters, where, True) for c in value))
        else:
            parts.append(_text(str(value), delimiters, where, False))
    return element.join(parts)


def _pad(value: str, index: int) -> str:
    width = ISA_WIDTHS[index - 1]
    if len(value) > width:
        raise ValueError(f"ISA{index:02d} {value!r} is longer than its {width} characters")
    return value.ljust(width)


def isa_segment(interchange: OutboundInterchange) -> Segment:
    """The ISA of ``interchange``, every element padded to its fixed width."""
    ic = interchange
    d = ic.delimiters
    repetition = has_repetition(ic.version)
    check_delimiters(d, repetition)
    control = ic.control_number.strip()
    if not (control.isascii() and control.isdigit()) or len(control) > 9:
        raise ValueError(f"the interchange control number {control!r} must be up to 9 digits")
    values = [
        "00",
        "",
        "00",
        "",
        ic.sender_qualifier,
        ic.sender_id,
        ic.receiver_qualifier,
        ic.receiver_id,
        ic.timestamp.strftime("%y%m%d"),
        ic.timestamp.strftime("%H%M"),
        d.repetition if repetition and d.repetition else "U",
        ic.version,
        control.zfill(9),
        "1" if ic.ack_requested else "0",
        "T" if ic.test else "P",
        d.component,
    ]
    return ["ISA", *(_pad(v, i) for i, v in enumerate(values, 1))]


def envelope_segments(interchange: OutboundInterchange) -> list[Segment]:
    """Every segment of ``interchange``: ISA, GS, ST, body, SE, GE, IEA, with counts computed."""
    ic = interchange
    out: list[Segment] = [isa_segment(ic)]
    stamp_date, stamp_time = ic.timestamp.strftime("%Y%m%d"), ic.timestamp.strftime("%H%M")
    for group in ic.groups:
        out.append(
            [
                "GS",
                group.functional_id,
                group.sender_id,
                group.receiver_id,
                stamp_date,
                stamp_time,
                group.control_number,
                "X",
                group.version,
            ]
        )
        for transaction in group.transactions:
            for segment in transaction.segments:
                if segment and segment[0] in ENVELOPE_TAGS:
                    raise ValueError(
                        f"transaction {transaction.control_number!r} holds an envelope "
                        f"segment {segment[0]!r}: the writer adds those"
                    )
            st = ["ST", transaction.type, transaction.control_number]
            if transaction.version:
                version = transaction.version
                st.append(version if isinstance(version, str) else "".join(version))
            out.append(st)
            out.extend(transaction.segments)
            out.append(["SE", str(len(transaction.segments) + 2), transaction.control_number])
        out.append(["GE", str(len(group.transactions)), group.control_number])
    out.append(["IEA", str(len(ic.groups)), ic.control_number.strip().zfill(9)])
    return out


def write_x12(interchange: OutboundInterchange) -> bytes:
    """The interchange as bytes (UTF-8; surrogate-escaped bytes written back as they were read).

    Raises ``ValueError`` for unusable delimiters, data holding a separator, ISA values
    wider than their fields, or a body holding envelope segments.
    """
    text = serialize_segments(envelope_segments(interchange), interchange.delimiters)
    return text.encode(ENCODING, ENCODING_ERRORS)
