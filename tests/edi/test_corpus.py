"""Every file of ../shared/corpus parses with the counts its MANIFEST implies.

The two files marked DEFECT must be reported with the segment at fault. Skips when the
corpus folder is absent (the project's own tests never need it).
"""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import pytest

from gateway.edi import IssueCode, parse

# file -> (standard, interchanges, [transaction types in order])
CLEAN = {
    "05_x12_810_850_dual_versions.edi": ("x12", 1, ["810", "810", "850"]),
    "12_x12_850_4010_newline_term.edi": ("x12", 1, ["850"]),
    "14_x12_856_4060_SOPI.edi": ("x12", 1, ["856"]),
    "21_x12_820_5010_RMR.edi": ("x12", 1, ["820"]),
    "25_x12_997_5010_multi_isa.edi": ("x12", 3, ["997", "997", "997"]),
    "31_edifact_INVOIC_D97B_UNA_custom.edi": ("edifact", 1, ["INVOIC"]),
    "32_edifact_INVOIC_D97B_wrapped80.edi": ("edifact", 1, ["INVOIC"]),
}


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(CLEAN))
def test_clean_corpus_file_parses_with_expected_counts(corpus_dir: Path, name: str) -> None:
    standard, interchanges, types = CLEAN[name]
    parsed = parse(corpus_dir / name)
    assert parsed.errors == []
    assert parsed.standard == standard
    assert len(parsed.interchanges) == interchanges
    assert [t.type for t in parsed.transactions] == types
    for t in parsed.transactions:
        # each transaction holds its header and trailer
        assert t.segments[0][0] in ("ST", "UNH")
        assert t.segments[-1][0] in ("SE", "UNT")


@pytest.mark.corpus
def test_dual_versions_keep_each_group_version(corpus_dir: Path) -> None:
    parsed = parse(corpus_dir / "05_x12_810_850_dual_versions.edi")
    versions = [g.header.version for g in parsed.interchanges[0].groups]
    assert versions == ["004010", "003010"]
    assert [t.version for t in parsed.transactions] == ["004010", "004010", "003010"]


@pytest.mark.corpus
def test_repetition_separator_read_from_isa11(corpus_dir: Path) -> None:
    parsed = parse(corpus_dir / "14_x12_856_4060_SOPI.edi")
    assert parsed.interchanges[0].header.delimiters.repetition == "-"
    parsed = parse(corpus_dir / "12_x12_850_4010_newline_term.edi")
    delimiters = parsed.interchanges[0].header.delimiters
    assert delimiters.repetition is None  # 00400 predates the repetition separator
    assert delimiters.segment == "\n"


@pytest.mark.corpus
def test_custom_una_and_wrapped_lines_give_the_same_segments(corpus_dir: Path) -> None:
    one = parse(corpus_dir / "31_edifact_INVOIC_D97B_UNA_custom.edi").transactions[0]
    wrapped = parse(corpus_dir / "32_edifact_INVOIC_D97B_wrapped80.edi").transactions[0]
    assert one.segments == wrapped.segments
    assert len(one.segments) == 24  # UNT*24
    assert one.version == "D97B"
    # "006?415160" carries a released "?": the release character is resolved.
    header = parse(corpus_dir / "31_edifact_INVOIC_D97B_UNA_custom.edi").interchanges[0].header
    assert header.receiver_id == "006415160"


@pytest.mark.corpus
def test_defect_unt_counts_and_references_reported_at_the_trailer(corpus_dir: Path) -> None:
    parsed = parse(corpus_dir / "33_edifact_INVOIC_IFTMIN_decimal_comma.edi")
    assert parsed.interchanges[0].header.delimiters.decimal == ","
    assert [t.type for t in parsed.transactions] == ["IFTMIN", "INVOIC", "IFTMIN", "INVOIC"]
    codes = Counter(i.code for i in parsed.errors)
    assert codes[IssueCode.EDIFACT_UNT_COUNT_MISMATCH] == 4
    assert codes[IssueCode.EDIFACT_UNT_CONTROL_MISMATCH] == 2
    assert codes[IssueCode.EDIFACT_UNZ_COUNT_MISMATCH] == 1
    for issue in parsed.errors:
        expected_tag = "UNZ" if issue.code.name.startswith("EDIFACT_UNZ") else "UNT"
        assert issue.position.tag == expected_tag
        assert issue.position.segment is not None
    unt_refs = [i for i in parsed.errors if i.code is IssueCode.EDIFACT_UNT_CONTROL_MISMATCH]
    assert sorted(i.position.transaction for i in unt_refs) == [2, 4]


@pytest.mark.corpus
def test_defect_single_line_references_reported(corpus_dir: Path) -> None:
    parsed = parse(corpus_dir / "38_edifact_ORDRSP_D10A_single_line.edi")
    assert [t.type for t in parsed.transactions] == ["ORDRSP"]
    codes = sorted(i.code.value for i in parsed.errors)
    assert codes == [
        "EDIFACT_UNT_CONTROL_MISMATCH",
        "EDIFACT_UNT_COUNT_MISMATCH",
        "EDIFACT_UNZ_CONTROL_MISMATCH",
    ]
    by_code = {i.code: i.position for i in parsed.errors}
    assert by_code[IssueCode.EDIFACT_UNT_COUNT_MISMATCH].tag == "UNT"
    assert by_code[IssueCode.EDIFACT_UNT_CONTROL_MISMATCH].tag == "UNT"
    assert by_code[IssueCode.EDIFACT_UNZ_CONTROL_MISMATCH].tag == "UNZ"
    # the released "+" inside COM stays data
    com = next(s for s in parsed.transactions[0].segments if s[0] == "COM")
    assert com[1][0] == "+49 123 45678 8652"


# --- generated from the corpus: pretty-printed copies and mailbags ---------------------

ALL = sorted([*CLEAN, "33_edifact_INVOIC_IFTMIN_decimal_comma.edi", "38_edifact_ORDRSP_D10A_single_line.edi"])


def reading(payload: bytes) -> tuple[list, list]:
    """(transactions as (type, segments), issues as (code, tag, transaction)) of a payload."""
    parsed = parse(payload)
    issues = [(i.code, i.position.tag, i.position.transaction) for i in parsed.errors]
    return [(t.type, t.segments) for t in parsed.transactions], issues


@pytest.mark.corpus
@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_pretty_printed_corpus_file_reads_like_the_original(
    corpus_dir: Path, respaced, name: str, seed: int
) -> None:
    raw = (corpus_dir / name).read_bytes()
    pretty = respaced(raw.decode("utf-8", "surrogateescape"), random.Random(seed))
    assert pretty != raw.decode("utf-8", "surrogateescape")
    assert reading(pretty.encode("utf-8", "surrogateescape")) == reading(raw)


@pytest.mark.corpus
@pytest.mark.parametrize("standard", ["x12", "edifact"])
@pytest.mark.parametrize("gap", ["", " ", "\r\n", "\n\t  "])
def test_corpus_mailbag_reads_every_interchange(corpus_dir: Path, standard: str, gap: str) -> None:
    names = [n for n in ALL if f"_{standard}_" in n]
    parts = [(corpus_dir / n).read_bytes() for n in names]
    parsed = parse(gap.encode().join(parts))
    assert len(parsed.interchanges) == sum(len(parse(p).interchanges) for p in parts)
    assert [t.type for t in parsed.transactions] == [t.type for p in parts for t in parse(p).transactions]
    expected = Counter(i.code for p in parts for i in parse(p).errors)
    assert Counter(i.code for i in parsed.errors) == expected


@pytest.mark.corpus
def test_every_corpus_file_is_covered(corpus_dir: Path) -> None:
    assert sorted(p.name for p in corpus_dir.glob("*.edi")) == ALL
