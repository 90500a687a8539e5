"""Read an interchange's delimiters from its ISA segment.

The ISA is the one fixed-width segment of X12: 106 *characters* from ``I`` to the
segment terminator, every element padded to its width. So the delimiters sit at fixed
places and can be read before anything is split:

- the element separator is the 4th character (``ISA*``);
- the component separator is ISA16, the 105th character;
- the segment terminator is the character right after ISA16 (the 106th);
- the repetition separator is ISA11 when ISA12 says version 00402 or later; before
  that ISA11 is the standards identifier (``U``) and there is no repetition separator
  (nor is there when a later ISA11 still holds a letter).

Any character may be a separator (``|``, ``~``, ``^``, ``\\``, control characters,
multi-byte characters, a newline as terminator), except ASCII letters and digits and
the space, which are the data the ISA's padded fields are made of. The separators must differ
from one another and the ISA, split on its element separator, must hold exactly 16
elements. Anything else raises :class:`~gateway.edi.errors.EdiError`
(``X12_ISA_INVALID`` or ``X12_BAD_DELIMITERS``): nothing after a broken ISA can be read.
"""

from __future__ import annotations

from gateway.edi.errors import EdiError, Issue, IssueCode, Position
from gateway.edi.model import Delimiters

ISA_LENGTH = 106  # "ISA" up to and including the segment terminator
ISA_ELEMENTS = 16
COMPONENT_INDEX = 104
TERMINATOR_INDEX = 105
REPETITION_SINCE = 402  # ISA12 00402 introduced ISA11 as the repetition separator
# Element widths ISA01..ISA16, as the writer pads them.
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)


def usable_separator(char: str) -> bool:
    """A single character that is not an ASCII letter or digit, nor a space."""
    return len(char) == 1 and not (char.isascii() and char.isalnum()) and char != " "


def has_repetition(version: str) -> bool:
    """True when ISA12 ``version`` (e.g. ``"00501"``) carries a repetition separator in ISA11."""
    version = version.strip()
    return (version.isascii() and version.isdigit()) and int(version) >= REPETITION_SINCE


def maybe_width_fault(head: str, element: str) -> tuple[int, int] | None:
    """The first ISA element (1..16) whose width is wrong in ``head``, and the width found.

    ``head`` is an ISA whose fixed-width reading failed. The elements are cut on the
    separator from the text itself (not at fixed places); ISA16 is the one character
    after the 15th separator. A missing element is reported with width 0; ``None`` when
    ISA01..ISA15 have their widths (then a separator is at fault, not a width).
    """
    parts = head.split(element, ISA_ELEMENTS)[1:]
    for index, (part, width) in enumerate(zip(parts, ISA_WIDTHS[:-1], strict=False), start=1):
        if len(part) != width:
            return index, len(part)
    if len(parts) < ISA_ELEMENTS:
        return len(parts) + 1, 0  # too few separators: the next element is missing
    return None


def read_isa(head: str, at: Position | None = None) -> tuple[Delimiters, list[str]]:
    """The delimiters and the elements (``["ISA", ISA01, ..., ISA16]``) of an ISA.

    ``head`` is the text from ``ISA`` on, at least :data:`ISA_LENGTH` characters (more is
    ignored). ``at`` is where the ISA sits, for the error. Raises
    :class:`~gateway.edi.errors.EdiError`: ``X12_ISA_TRUNCATED`` when ``head`` is too
    short, ``X12_ISA_INVALID`` when it is not a 16-element ISA, ``X12_BAD_DELIMITERS``
    when the separators are unusable or not distinct.
    """
    at = at or Position(tag="ISA")

    def fail(code: IssueCode, message: str, element: int | None = None) -> EdiError:
        where = Position(at.interchange, None, None, at.segment, "ISA", element, None, at.offset)
        return EdiError(Issue(code, message, where))

    if not head.startswith("ISA"):
        raise fail(IssueCode.X12_ISA_INVALID, f"expected an ISA segment, found {head[:10]!r}")
    if len(head) < ISA_LENGTH:
        reached = min(ISA_ELEMENTS, head.count(head[3])) if len(head) > 3 else None
        raise fail(
            IssueCode.X12_ISA_TRUNCATED,
            f"the ISA segment is truncated: {len(head)} characters where {ISA_LENGTH} are needed"
            + (f" (the input ends in ISA{reached:02d})" if reached else ""),
            reached or None,
        )
    element = head[3]
    component = head[COMPONENT_INDEX]
    terminator = head[TERMINATOR_INDEX]
    if not usable_separator(element):
        raise fail(IssueCode.X12_BAD_DELIMITERS, f"the element separator {element!r} is not usable")
    elements = head[:TERMINATOR_INDEX].split(element)
    fault = None
    if len(elements) != ISA_ELEMENTS + 1 or elements[16] != component:
        fault = maybe_width_fault(head, element)
    if fault is None and element in (component, terminator):
        raise fail(
            IssueCode.X12_BAD_DELIMITERS,
            f"the element separator {element!r} is also the component separator or terminator",
        )
    if fault is not None:
        index, found = fault
        raise fail(
            IssueCode.X12_ISA_INVALID,
            f"ISA{index:02d} is {found} characters long where {ISA_WIDTHS[index - 1]} are needed "
            f"(the ISA's fields are padded to fixed widths, 106 characters in all)",
            index,
        )
    checks: tuple[tuple[str, str, int | None], ...] = (
        ("component separator (ISA16)", component, 16),
        ("segment terminator", terminator, None),
    )
    for name, char, at_element in checks:
        if not usable_separator(char):
            raise fail(IssueCode.X12_BAD_DELIMITERS, f"the {name} {char!r} is not usable", at_element)
    if component == terminator:
        raise fail(
            IssueCode.X12_BAD_DELIMITERS, f"the component separator and the terminator are both {component!r}"
        )
    # A sloppy 00402+ ISA may still carry "U" in ISA11: then there is no repetition separator.
    repetition = elements[11] if has_repetition(elements[12]) and usable_separator(elements[11]) else None
    if repetition in (element, component, terminator):
        raise fail(
            IssueCode.X12_BAD_DELIMITERS,
            f"the repetition separator (ISA11) {repetition!r} is also another separator",
            11,
        )
    delimiters = Delimiters(element=element, component=component, segment=terminator, repetition=repetition)
    return delimiters, elements
