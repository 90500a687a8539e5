"""CONTRL: built for a good and a defective interchange, written, read back and matched."""

from __future__ import annotations

from datetime import datetime

import pytest

from gateway.edi import parse
from gateway.edi.edifact.contrl import build_contrl, error_code, read_contrl
from gateway.edi.edifact.writer import write_edifact
from gateway.edi.errors import IssueCode

UNB = "UNA:+.? 'UNB+UNOA:3+5450534000000:14+4012345000009:14+261123:1200+77'"


def orders(ref: str, count: str = "3", trailer_ref: str | None = None) -> str:
    return f"UNH+{ref}+ORDERS:D:96A:UN:EAN008'BGM+220+PO{ref}+9'UNT+{count}+{trailer_ref or ref}'"


GOOD = UNB + orders("1") + orders("2") + "UNZ+2+77'"
BAD_MESSAGE = UNB + orders("1") + orders("2", count="9") + "UNZ+2+77'"
BAD_INTERCHANGE = UNB + orders("1") + orders("2") + "UNZ+2+78'"
GROUPED = (
    UNB + "UNG+ORDERS+5450534000000+4012345000009+261123:1200+5+UN+D:96A'" + orders("1") + "UNE+2+5'UNZ+1+77'"
)


def contrl_for(text: str, **kw) -> tuple:
    parsed = parse(text.encode())
    outbound = build_contrl(
        parsed.interchanges[0],
        parsed.issues,
        control_number="900",
        timestamp=datetime(2026, 11, 23, 13, 5),
        **kw,
    )
    written = write_edifact(outbound)
    back = parse(written)
    assert back.ok, back.issues
    (message,) = back.transactions
    return outbound, written.decode(), message


def test_contrl_for_a_good_interchange_accepts_everything() -> None:
    outbound, text, message = contrl_for(GOOD)
    # sent back from the recipient to the sender
    assert (outbound.sender_id, outbound.receiver_id) == ("4012345000009", "5450534000000")
    assert "UNH+1+CONTRL:D:3:UN'" in text
    assert "UCI+77+5450534000000:14+4012345000009:14+7'" in text
    assert "UCM+1+ORDERS:D:96A:UN:EAN008+7'" in text
    assert "UCM+2+ORDERS:D:96A:UN:EAN008+7'" in text
    ack = read_contrl(message)
    assert ack.status == "accepted"
    assert ack.interchange_control_number == "77"
    assert [(t.control_number, t.type, t.status) for t in ack.transactions] == [
        ("1", "ORDERS", "accepted"),
        ("2", "ORDERS", "accepted"),
    ]


def test_contrl_rejects_the_defective_message_only() -> None:
    _, text, message = contrl_for(BAD_MESSAGE)
    assert "UCI+77+5450534000000:14+4012345000009:14+7'" in text
    assert "UCM+2+ORDERS:D:96A:UN:EAN008+4+29+UNT+1'" in text
    ack = read_contrl(message)
    assert ack.status == "partially_accepted"
    assert [(t.control_number, t.status, t.codes) for t in ack.transactions] == [
        ("1", "accepted", []),
        ("2", "rejected", ["29"]),
    ]


def test_contrl_rejects_an_interchange_with_a_bad_trailer() -> None:
    _, text, message = contrl_for(BAD_INTERCHANGE)
    assert "UCI+77+5450534000000:14+4012345000009:14+4+28+UNZ+2'" in text
    ack = read_contrl(message)
    assert ack.status == "rejected"
    assert ack.codes == ["28"]


def test_unknown_sender_is_rejected_with_code_23() -> None:
    _, text, message = contrl_for(GOOD, sender_known=False)
    assert "UCI+77+5450534000000:14+4012345000009:14+4+23'" in text
    assert read_contrl(message).codes == ["23"]


def test_explicit_group_gets_a_ucf_rejected_for_its_une_count() -> None:
    _, text, message = contrl_for(GROUPED)
    assert "UCF+5+5450534000000+4012345000009+4+29+UNE+1'" in text
    ack = read_contrl(message)
    assert ack.group_control_number == "5"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (IssueCode.EDIFACT_UNT_COUNT_MISMATCH, "29"),
        (IssueCode.EDIFACT_UNZ_CONTROL_MISMATCH, "28"),
        (IssueCode.EDIFACT_UNT_MISSING, "13"),
        (IssueCode.TRUNCATED_INPUT, "18"),
    ],
)
def test_issue_codes_map_to_contrl_syntax_error_codes(code: IssueCode, expected: str) -> None:
    from gateway.edi.errors import Issue

    assert error_code(Issue(code, "x")) == expected


def test_read_contrl_refuses_other_messages() -> None:
    (transaction,) = parse(GOOD.replace(orders("2"), "").replace("UNZ+2", "UNZ+1").encode()).transactions
    with pytest.raises(ValueError, match="CONTRL"):
        read_contrl(transaction)
