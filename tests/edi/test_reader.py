"""The reader facade: decoding, sniffing and dispatch for any payload."""

from __future__ import annotations

import io

import pytest

from gateway.edi import EdiError, IssueCode, parse, read_events
from gateway.edi.model import InterchangeHeader, Transaction

ISA = "ISA*00*          *00*          *ZZ*ACMEVENDOR     *ZZ*AMAZON         *261123*1200*U*00401*000000101*0*P*>~"
X12 = (
    ISA
    + "GS*PO*ACMEVENDOR*AMAZON*20261123*1200*101*X*004010~"
    + "ST*850*0001~BEG*00*NE*PO123456**20261123~SE*3*0001~"
    + "GE*1*101~IEA*1*000000101~"
)
EDIFACT = (
    "UNB+UNOA:3+4012345000009:14+5450534000000:14+261123:1200+77'"
    "UNH+1+ORDERS:D:96A:UN'BGM+220+PO123456+9'UNT+3+1'UNZ+1+77'"
)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (b"", IssueCode.EMPTY_INPUT),
        (b"   \r\n\t ", IssueCode.EMPTY_INPUT),
        (bytes(range(256)) * 4, IssueCode.BINARY_INPUT),
        (b"\x00\x01\x02ISA", IssueCode.BINARY_INPUT),
        (b"<?xml version='1.0'?><order/>", IssueCode.UNKNOWN_FORMAT),
        (b"ISA*00*          *00*   ", IssueCode.X12_ISA_TRUNCATED),
    ],
)
def test_unreadable_input_raises_a_clear_error(payload: bytes, code: IssueCode) -> None:
    with pytest.raises(EdiError) as info:
        parse(payload)
    assert info.value.code is code
    assert info.value.issue.message


def test_unknown_format_error_shows_the_start_of_the_input() -> None:
    with pytest.raises(EdiError) as info:
        parse(b"hello, world")
    assert "hello" in str(info.value)


@pytest.mark.parametrize("prefix", ["", "\ufeff", "\ufeff\r\n  ", "\n\n"])
def test_bom_and_leading_whitespace_are_tolerated(prefix: str) -> None:
    for payload in (X12, EDIFACT):
        parsed = parse((prefix + payload).encode())
        assert parsed.errors == []
        assert len(parsed.transactions) == 1


def test_sources_bytes_path_and_file_object_agree(tmp_path) -> None:
    path = tmp_path / "po.edi"
    path.write_bytes(X12.encode())
    from_bytes = parse(X12.encode()).summary()
    assert parse(path).summary() == from_bytes
    assert parse(str(path)).summary() == from_bytes
    assert parse(io.BytesIO(X12.encode())).summary() == from_bytes


def test_small_chunks_give_the_same_events() -> None:
    whole = [type(e).__name__ for e in read_events(EDIFACT.encode())]
    tiny = [type(e).__name__ for e in read_events(EDIFACT.encode(), chunk_size=3)]
    assert whole == tiny
    assert whole[0] == "InterchangeHeader"


def test_undecodable_bytes_survive_as_surrogates_and_encode_back() -> None:
    latin1 = X12.replace("PO123456", "PO12345\xe9").encode("latin-1")
    parsed = parse(latin1)
    beg = parsed.transactions[0].segments[1]
    assert beg[3].encode("utf-8", "surrogateescape") == "PO12345\xe9".encode("latin-1")


def test_summary_has_the_json_contract_shape() -> None:
    summary = parse(X12.encode()).summary()
    ic = summary["interchanges"][0]
    assert summary["standard"] == "x12"
    assert (ic["sender"], ic["receiver"], ic["control_number"]) == ("ACMEVENDOR", "AMAZON", "000000101")
    group = ic["groups"][0]
    assert (group["control_number"], group["version"]) == ("101", "004010")
    assert group["transactions"] == [
        {"type": "850", "control_number": "0001", "version": "004010", "segment_count": 3}
    ]
    assert summary["errors"] == []


def test_edifact_without_ung_sits_in_one_implicit_group() -> None:
    events = list(read_events(EDIFACT.encode()))
    header = next(e for e in events if isinstance(e, InterchangeHeader))
    assert (header.sender_id, header.sender_qualifier) == ("4012345000009", "14")
    parsed = parse(EDIFACT.encode())
    group = parsed.interchanges[0].groups[0]
    assert group.header.implicit
    transaction = group.transactions[0]
    assert isinstance(transaction, Transaction)
    assert (transaction.type, transaction.version, transaction.control_number) == ("ORDERS", "D96A", "1")
