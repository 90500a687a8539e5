"""Sniff which EDI standard a payload is written in, from its first bytes.

Tolerates a UTF-8 BOM and leading whitespace. Empty input, binary data, an ISA too
short to hold its delimiters and anything that is neither X12 nor EDIFACT raise an
:class:`~gateway.edi.errors.EdiError` with a clear code.
"""

from __future__ import annotations

from gateway.edi.errors import EdiError, Issue, IssueCode, Position
from gateway.edi.model import Standard

BOM = "\ufeff"
# Control characters that never appear in text EDI apart from as separators.
_BINARY_MARKERS = {"\x00"}
X12_ISA_LENGTH = 106  # ISA up to and including its segment terminator


def strip_preamble(text: str) -> tuple[str, int]:
    """Drop a BOM and leading whitespace; return the rest and how many characters went."""
    stripped = text.lstrip(BOM + " \t\r\n")
    return stripped, len(text) - len(stripped)


def sniff(head: str) -> Standard:
    """The standard of a payload from its decoded start (at least 128 characters if there are).

    Raises :class:`EdiError` for empty, binary, truncated-ISA or unknown input.
    """
    text, skipped = strip_preamble(head)
    at = Position(offset=skipped)
    if not text:
        raise EdiError(Issue(IssueCode.EMPTY_INPUT, "the input is empty", at))
    if any(ch in _BINARY_MARKERS for ch in text[:512]) or _looks_binary(text[:512]):
        raise EdiError(Issue(IssueCode.BINARY_INPUT, "the input is binary data, not EDI", at))
    if text.startswith("ISA"):
        if len(text) < X12_ISA_LENGTH:
            raise EdiError(
                Issue(
                    IssueCode.X12_ISA_TRUNCATED,
                    f"the ISA segment is truncated: {len(text)} characters where 106 are needed",
                    Position(interchange=1, segment=1, tag="ISA", offset=skipped),
                )
            )
        return "x12"
    if text.startswith(("UNA", "UNB")):
        return "edifact"
    preview = text[:20].encode("unicode_escape").decode("ascii")
    raise EdiError(
        Issue(
            IssueCode.UNKNOWN_FORMAT,
            f"not X12 (ISA) or EDIFACT (UNA/UNB): the input starts with {preview!r}",
            at,
        )
    )


def _looks_binary(sample: str) -> bool:
    """True when too many characters are undecodable bytes or control codes."""
    if not sample:
        return False
    odd = sum(1 for ch in sample if ("\udc80" <= ch <= "\udcff") or (ord(ch) < 32 and ch not in "\r\n\t"))
    # Separators may be control characters (e.g. 0x1D, 0x15), so allow a good share.
    return odd > len(sample) // 3
