"""Whitespace between segments is layout, whitespace inside an element is data (X12 and EDIFACT).

A pretty-printed file (indented segments, CR LF line breaks, a space after ``~`` in a
mailbag) reads to exactly the segments of the compact file, fed whole, byte by byte or
in 64 KiB chunks.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.edi import parse, read_events
from gateway.edi.document import collect
from gateway.edi.x12.tokenizer import Tokenizer

DATA = Path(__file__).resolve().parent.parent / "data" / "messages"
SAMPLES = sorted(p for p in DATA.glob("*.edi") if not p.name.startswith("bad_"))
TEXTS = {p.name: p.read_bytes().decode("utf-8", "surrogateescape") for p in SAMPLES}

ISA = (
    "ISA*00*          *00*          *ZZ*ACMEVENDOR     *ZZ*AMAZON         *261123*1200*U*00401*{:09d}*0*P*>~"
)
PO = "GS*PO*ACMEVENDOR*AMAZON*20261123*1200*{0}*X*004010~ST*850*0001~BEG*00*NE*PO{0}**20261123~SE*3*0001~GE*1*{0}~"


def x12(n: int) -> str:
    return ISA.format(n) + PO.format(n) + f"IEA*1*{n:09d}~"


def reading(payload: bytes, chunk_size: int = 1 << 20) -> tuple[list, list]:
    """(transactions as (type, segments), issue codes) of a payload read in ``chunk_size`` bytes."""
    parsed = collect(read_events(io.BytesIO(payload), chunk_size))
    return [(t.type, t.segments) for t in parsed.transactions], [i.code for i in parsed.errors]


def test_indented_x12_reads_like_the_compact_file() -> None:
    compact = x12(1)
    pretty = compact.replace("~", "~\r\n    ").replace("~\r\n    ST", "~\r\n\t\tST")
    assert reading(pretty.encode()) == reading(compact.encode())
    assert reading(pretty.encode())[1] == []


def test_mailbag_with_a_space_after_the_terminator() -> None:
    compact = x12(1) + x12(2) + x12(3)
    mailbag = compact.replace("~", "~ ")
    parsed = parse(mailbag.encode())
    assert parsed.errors == []
    assert len(parsed.interchanges) == 3
    assert [t.segments[1][3] for t in parsed.transactions] == ["PO1", "PO2", "PO3"]


def test_whitespace_inside_elements_is_data() -> None:
    text = x12(1).replace("BEG*00*NE*", "BEG* 00*NE\t*").replace("20261123~SE", "20261123  ~  SE")
    beg = parse(text.encode()).transactions[0].segments[1]
    assert beg[:3] == ["BEG", " 00", "NE\t"]
    assert beg[-1] == "20261123  "


def test_newline_terminator_with_indentation() -> None:
    isa = ISA.format(7)[:-1] + "\n"
    text = isa + PO.format(7).replace("~", "\n  ") + "IEA*1*000000007\n"
    parsed = parse(text.encode())
    assert parsed.errors == []
    assert parsed.transactions[0].segments[1][:3] == ["BEG", "00", "NE"]


def test_tab_separator_is_not_stripped() -> None:
    compact = x12(1).replace("*", "\t")
    parsed = parse(compact.replace("~", "~\n ").encode())
    assert parsed.errors == []
    assert parsed.transactions[0].segments[1][:3] == ["BEG", "00", "NE"]


def test_edifact_indented_and_crlf() -> None:
    compact = (
        "UNB+UNOA:3+4012345000009:14+5450534000000:14+261123:1200+77'"
        "UNH+1+ORDERS:D:96A:UN'BGM+220+PO 1+9'UNT+3+1'UNZ+1+77'"
    )
    pretty = compact.replace("'", "'\r\n\t  ")
    assert reading(pretty.encode()) == reading(compact.encode())
    assert reading(pretty.encode())[0][0][1][1] == ["BGM", "220", "PO 1", "9"]


def test_segment_offsets_point_at_the_tag_after_indentation() -> None:
    text = x12(1).replace("~", "~\n \t")
    tokenizer = Tokenizer()
    runs = tokenizer.feed(text) + tokenizer.close()
    for run in runs:
        for index, piece in enumerate(run.pieces):
            assert text[run.offset(index) :].startswith(piece)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(sorted(TEXTS)),
    seed=st.integers(0, 2**32 - 1),
    chunk=st.sampled_from([1, 7, 1 << 16]),
)
def test_any_valid_file_respaced_reads_to_the_same_segments(
    respaced, name: str, seed: int, chunk: int
) -> None:
    text = TEXTS[name]
    pretty = respaced(text, random.Random(seed))
    expected = reading(text.encode("utf-8", "surrogateescape"))
    assert reading(pretty.encode("utf-8", "surrogateescape"), chunk) == expected


@pytest.mark.parametrize("chunk", [1 << 16, 4093])
def test_large_respaced_mailbag_in_64k_chunks(respaced, chunk: int) -> None:
    """A mailbag of several hundred KiB, pretty-printed, read in 64 KiB (and odd) chunks."""
    compact = "".join(x12(n) for n in range(1, 3001))
    pretty = respaced(compact, random.Random(3))
    assert len(pretty) > 3 * (1 << 16)
    got = reading(pretty.encode(), chunk)
    assert got == reading(compact.encode())
    assert len(got[0]) == 3000 and got[1] == []


def test_edifact_mailbag_of_concatenated_files_with_byte_order_marks() -> None:
    one = "UNA:+.? 'UNB+UNOA:3+A:14+B:14+261123:1200+{0}'UNH+1+ORDERS:D:96A:UN'BGM+220+PO{0}+9'UNT+3+1'UNZ+1+{0}'"
    custom = one.replace("UNA:+.? '", "UNA=*.? ~").replace("+", "*").replace(":", "=").replace("'", "~")
    payload = "\ufeff" + one.format(1) + "\r\n\ufeff" + custom.format(2) + "\ufeff" + one.format(3)
    parsed = parse(payload.encode())
    assert parsed.errors == []
    assert [t.segments[1][2] for t in parsed.transactions] == ["PO1", "PO2", "PO3"]
