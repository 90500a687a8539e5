"""UNA service string advice: defaults, custom separators, invalid advice."""

from __future__ import annotations

import pytest

from gateway.edi.edifact.delimiters import for_syntax_version, is_default, parse_una, una_string
from gateway.edi.errors import EdiError, IssueCode, Position
from gateway.edi.model import EDIFACT_DEFAULT


def test_default_una_gives_the_default_delimiters() -> None:
    delimiters = parse_una("UNA:+.? '")
    assert delimiters == EDIFACT_DEFAULT
    assert is_default(delimiters)


def test_custom_una_sets_every_service_character() -> None:
    delimiters = parse_una("UNA=*,! ~")
    assert (delimiters.component, delimiters.element, delimiters.segment) == ("=", "*", "~")
    assert delimiters.release == "!"
    assert delimiters.decimal == ","
    assert delimiters.repetition is None
    assert not is_default(delimiters)


def test_space_as_release_character_means_none() -> None:
    assert parse_una("UNA:+.  '").release is None


def test_repetition_separator_kept_only_for_syntax_4() -> None:
    delimiters = parse_una("UNA:+.?*'")
    assert delimiters.repetition == "*"
    assert for_syntax_version(delimiters, "UNOC:4").repetition == "*"
    assert for_syntax_version(delimiters, "UNOC:3").repetition is None


@pytest.mark.parametrize("una", ["UNA:+.? '", "UNA=*.? ~", "UNA\x1f\x1d,?*\x1c"])
def test_una_string_is_the_inverse_of_parse(una: str) -> None:
    assert una_string(parse_una(una)) == una


@pytest.mark.parametrize(
    ("una", "element"),
    [
        ("UNA:+.?", None),  # too short
        ("UNA::.? '", None),  # component == element
        ("UNA:+.?:'", None),  # repetition == component
        ("UNAA+.? '", 1),  # letter as component separator
        ("UNA:+.? 5", 6),  # digit as terminator
        ("UNA: .? '", 2),  # space as element separator
        ("UNA:+;? '", 3),  # decimal mark neither . nor ,
    ],
)
def test_invalid_una_raises_with_position(una: str, element: int | None) -> None:
    where = Position(segment=4, tag="UNA", offset=120)
    with pytest.raises(EdiError) as info:
        parse_una(una, where)
    assert info.value.code is IssueCode.EDIFACT_UNA_INVALID
    assert info.value.position.segment == 4
    assert info.value.position.offset == 120
    assert info.value.position.element == element
