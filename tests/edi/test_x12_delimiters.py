"""Reading delimiters from the fixed-width ISA."""

from __future__ import annotations

import pytest

from gateway.edi import EdiError, IssueCode, Position
from gateway.edi.x12.delimiters import ISA_LENGTH, ISA_WIDTHS, has_repetition, read_isa, usable_separator

FIELDS = [
    "00",
    " " * 10,
    "00",
    " " * 10,
    "ZZ",
    "ACMEVENDOR".ljust(15),
    "ZZ",
    "AMAZON".ljust(15),
    "261123",
    "1200",
    "U",
    "00401",
    "000000101",
    "0",
    "P",
    ">",
]


def isa(element: str = "*", terminator: str = "~", **changes: str) -> str:
    """An ISA with ``ISAnn=value`` changes (values must keep their widths for a valid ISA)."""
    fields = list(FIELDS)
    for name, value in changes.items():
        fields[int(name[3:]) - 1] = value
    return "ISA" + element + element.join(fields) + terminator


def test_sample_isa_has_the_fixed_widths() -> None:
    assert [len(f) for f in FIELDS] == list(ISA_WIDTHS)
    assert len(isa()) == ISA_LENGTH


def test_delimiters_are_read_from_their_fixed_places() -> None:
    delimiters, elements = read_isa(isa("|", "\n", ISA16=":") + "GS|PO")
    assert (delimiters.element, delimiters.component, delimiters.segment) == ("|", ":", "\n")
    assert delimiters.repetition is None
    assert elements[0] == "ISA" and len(elements) == 17
    assert elements[6] == "ACMEVENDOR     " and elements[13] == "000000101"


@pytest.mark.parametrize(
    ("version", "isa11", "expected"),
    [
        ("00401", "U", None),
        ("00401", "^", None),
        ("00402", "^", "^"),
        ("00501", "!", "!"),
        ("00501", "U", None),
        ("00601", "\x1e", "\x1e"),
    ],
)
def test_repetition_separator_is_isa11_from_00402(version: str, isa11: str, expected: str | None) -> None:
    delimiters, _ = read_isa(isa(ISA11=isa11, ISA12=version))
    assert delimiters.repetition == expected


@pytest.mark.parametrize("char", ["|", "~", "^", "\\", "\x1d", "\x15", "\x7f", "§", "€", "\u2192"])
def test_any_non_alphanumeric_character_can_be_the_element_separator(char: str) -> None:
    terminator = "'" if char == "~" else "~"
    delimiters, elements = read_isa(isa(char, terminator))
    assert delimiters.element == char and len(elements) == 17


def test_has_repetition_compares_numerically() -> None:
    assert not has_repetition("00401")
    assert has_repetition("00402") and has_repetition(" 00501 ")
    assert not has_repetition("U")


def test_usable_separator() -> None:
    assert usable_separator("\n") and usable_separator("é") and usable_separator("*")
    assert not usable_separator("A") and not usable_separator("7") and not usable_separator(" ")
    assert not usable_separator("**") and not usable_separator("")


@pytest.mark.parametrize(
    ("head", "code", "element"),
    [
        (isa()[:105], IssueCode.X12_ISA_TRUNCATED, 16),
        (isa()[:40], IssueCode.X12_ISA_TRUNCATED, 6),  # ends inside ISA06
        ("ISB" + isa()[3:], IssueCode.X12_ISA_INVALID, None),
        (isa(ISA06="ACME*VENDOR    "), IssueCode.X12_ISA_INVALID, 6),
        (isa(ISA06="ACMEVENDOR") + "GS*PO*A~", IssueCode.X12_ISA_INVALID, 6),  # not padded
        (isa(ISA09="2611230") + "GS*PO*A~", IssueCode.X12_ISA_INVALID, 9),  # too wide
        (isa(ISA13="1") + "GS*PO*A*B*C*D*E~", IssueCode.X12_ISA_INVALID, 13),
        (isa(ISA16="*"), IssueCode.X12_BAD_DELIMITERS, None),
        (isa(terminator=">"), IssueCode.X12_BAD_DELIMITERS, None),
        (isa(terminator="*"), IssueCode.X12_BAD_DELIMITERS, None),
        (isa(ISA16="A"), IssueCode.X12_BAD_DELIMITERS, 16),
        (isa(terminator=" "), IssueCode.X12_BAD_DELIMITERS, None),
        (isa("0"), IssueCode.X12_BAD_DELIMITERS, None),
        (isa(ISA11=">", ISA12="00501"), IssueCode.X12_BAD_DELIMITERS, 11),
        (isa(ISA11="~", ISA12="00501"), IssueCode.X12_BAD_DELIMITERS, 11),
    ],
)
def test_bad_isa_raises_with_code_and_position(head: str, code: IssueCode, element: int | None) -> None:
    at = Position(interchange=3, segment=40, offset=1234)
    with pytest.raises(EdiError) as info:
        read_isa(head, at)
    issue = info.value.issue
    assert issue.code is code
    p = issue.position
    assert (p.interchange, p.segment, p.tag, p.offset, p.element) == (3, 40, "ISA", 1234, element)
    assert issue.message
    if element is not None:
        assert f"ISA{element:02d}" in issue.message
