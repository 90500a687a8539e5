"""EDIFACT service characters: the UNA service string advice, or the defaults.

``UNA`` is followed by exactly six characters, in this order: component data element
separator, data element separator, decimal mark, release character, repetition
separator (reserved, a space, in syntax version 3) and segment terminator. Without a
UNA the defaults ``:+.? '`` apply.

The repetition separator only means something in syntax version 4, which the UNB that
follows states, so :func:`parse_una` keeps it provisionally and
:func:`for_syntax_version` drops it once the UNB is known.
"""

from __future__ import annotations

import dataclasses

from gateway.edi.errors import EdiError, Issue, IssueCode, Position
from gateway.edi.model import EDIFACT_DEFAULT, Delimiters

UNA_LENGTH = 9  # "UNA" + six service characters
DEFAULT = EDIFACT_DEFAULT
_DECIMAL_MARKS = frozenset(".,")


def parse_una(text: str, position: Position | None = None) -> Delimiters:
    """The delimiters a UNA string (``"UNA:+.? '"``, at least nine characters) advises.

    A space as release character means "no release character"; a space as repetition
    separator means none. Raises :class:`EdiError` ``EDIFACT_UNA_INVALID`` (at
    ``position``) when the string is short, a separator is a letter, digit or space, the
    separators are not distinct, or the decimal mark is neither ``.`` nor ``,``.
    """
    where = position or Position(segment=1, tag="UNA")
    if not text.startswith("UNA") or len(text) < UNA_LENGTH:
        _invalid(f"the UNA service string advice needs six characters, found {text[3:]!r}", where)
    component, element, decimal, release, repetition, segment = tuple(text[3:UNA_LENGTH])
    separators = [component, element, segment]
    if release != " ":
        separators.append(release)
    if repetition != " ":
        separators.append(repetition)
    for index, name, char in (
        (1, "component separator", component),
        (2, "element separator", element),
        (6, "segment terminator", segment),
    ):
        if char.isalnum() or char == " ":
            _invalid(f"the {name} {char!r} must not be a letter, digit or space", where, index)
    if len(set(separators)) != len(separators):
        _invalid(f"the UNA separators {text[3:UNA_LENGTH]!r} are not distinct", where)
    if decimal not in _DECIMAL_MARKS:
        _invalid(f"the decimal mark {decimal!r} must be '.' or ','", where, 3)
    return Delimiters(
        element=element,
        component=component,
        segment=segment,
        repetition=None if repetition == " " else repetition,
        release=None if release == " " else release,
        decimal=decimal,
    )


def for_syntax_version(delimiters: Delimiters, syntax_identifier: str) -> Delimiters:
    """Keep the repetition separator only for syntax version 4 (``"UNOC:4"``)."""
    version = syntax_identifier.partition(":")[2][:1]
    if delimiters.repetition is not None and version != "4":
        return dataclasses.replace(delimiters, repetition=None)
    return delimiters


def una_string(delimiters: Delimiters) -> str:
    """The UNA service string advice that states ``delimiters``."""
    return (
        "UNA"
        + delimiters.component
        + delimiters.element
        + delimiters.decimal
        + (delimiters.release or " ")
        + (delimiters.repetition or " ")
        + delimiters.segment
    )


def is_default(delimiters: Delimiters) -> bool:
    """True when ``delimiters`` are the EDIFACT defaults a reader assumes without UNA."""
    return (
        delimiters.element == DEFAULT.element
        and delimiters.component == DEFAULT.component
        and delimiters.segment == DEFAULT.segment
        and delimiters.release == DEFAULT.release
        and delimiters.decimal == DEFAULT.decimal
        and delimiters.repetition is None
    )


def _invalid(message: str, where: Position, index: int | None = None) -> None:
    """Raise ``EDIFACT_UNA_INVALID``; ``index`` (1-6) names the offending service character."""
    if index is not None:
        where = dataclasses.replace(where, element=index)
    raise EdiError(Issue(IssueCode.EDIFACT_UNA_INVALID, message, where))
