"""997 acknowledgements: built for good and defective files, written, read back with read_x12 and read_997."""

from __future__ import annotations

from datetime import datetime

import pytest

from gateway.edi import parse
from gateway.edi.document import ParsedFile
from gateway.edi.model import Transaction
from gateway.edi.x12.ack import ack_interchange, build_997, read_997
from gateway.edi.x12.reader import read_x12
from gateway.edi.x12.writer import write_x12

WHEN = datetime(2026, 11, 24, 8, 30)
ISA = "ISA*00*          *00*          *ZZ*AMAZON         *ZZ*ACMEVENDOR     *261123*1200*U*00401*000000101*0*P*>~"
GOOD = (
    ISA
    + "GS*PO*AMAZON*ACMEVENDOR*20261123*1200*101*X*004010~"
    + "ST*850*0001~BEG*00*NE*PO1**20261123~SE*3*0001~"
    + "ST*850*0002~BEG*00*NE*PO2**20261123~SE*3*0002~GE*2*101~"
    + "GS*RA*AMAZON*ACMEVENDOR*20261123*1200*102*X*005010~ST*820*0003*005010X218~BPR*I*10~SE*3*0003~GE*1*102~"
    + "IEA*2*000000101~"
)


def acknowledge(text: str) -> tuple[ParsedFile, list[Transaction]]:
    """Build, wrap, write and read back the 997s of ``text``."""
    parsed = parse(text.encode())
    inbound = parsed.interchanges[0]
    acks = build_997(inbound, parsed.issues, first_control_number=5)
    outbound = ack_interchange(
        inbound, acks, control_number="900", first_group_control_number=70, timestamp=WHEN
    )
    events = list(read_x12([write_x12(outbound).decode()]))
    back = [e for e in events if isinstance(e, Transaction)]
    assert all(not t.issues for t in back)
    return parsed, back


def test_good_file_is_accepted_in_each_group_version() -> None:
    _, acks = acknowledge(GOOD)
    assert [(t.type, t.control_number, t.group.version) for t in acks] == [
        ("997", "0005", "004010"),
        ("997", "0006", "005010"),
    ]
    first, second = (read_997(t) for t in acks)
    assert (first.functional_id, first.group_control_number, first.status) == ("PO", "101", "accepted")
    assert [(a.type, a.control_number, a.status) for a in first.transactions] == [
        ("850", "0001", "accepted"),
        ("850", "0002", "accepted"),
    ]
    assert (second.functional_id, second.group_control_number, second.status) == ("RA", "102", "accepted")
    # 5010 adds GS08 to AK1 and ST03 to AK2
    assert acks[1].segments[1] == ["AK1", "RA", "102", "005010"]
    assert acks[1].segments[2] == ["AK2", "820", "0003", "005010X218"]
    assert acks[0].segments[-2] == ["AK9", "A", "2", "2", "2"]


def test_ack_interchange_is_addressed_back_to_the_sender() -> None:
    _, acks = acknowledge(GOOD)
    header = acks[0].interchange
    assert (header.sender_id, header.receiver_id, header.control_number) == (
        "ACMEVENDOR",
        "AMAZON",
        "000000900",
    )
    assert (acks[0].group.functional_id, acks[0].group.sender_id, acks[0].group.receiver_id) == (
        "FA",
        "ACMEVENDOR",
        "AMAZON",
    )
    assert [t.group.control_number for t in acks] == ["70", "71"]


@pytest.mark.parametrize(
    ("defect", "ak5_codes", "ak9"),
    [
        (("SE*3*0002", "SE*4*0002"), ["4"], ["AK9", "P", "2", "2", "1"]),
        (("SE*3*0002", "SE*3*0009"), ["3"], ["AK9", "P", "2", "2", "1"]),
        (("SE*3*0002~", ""), ["2"], ["AK9", "P", "2", "2", "1"]),
        (("ST*850*0002", "ST**0002"), ["6"], ["AK9", "P", "2", "2", "1"]),
    ],
)
def test_defective_transaction_is_rejected_with_its_ak5_code(
    defect: tuple[str, str], ak5_codes: list[str], ak9: list[str]
) -> None:
    parsed, acks = acknowledge(GOOD.replace(*defect))
    assert parsed.errors
    result = read_997(acks[0])
    assert result.status == "partially_accepted"
    assert [(a.control_number, a.status, a.codes) for a in result.transactions] == [
        ("0001", "accepted", []),
        ("0002", "rejected", ak5_codes),
    ]
    assert acks[0].segments[-2] == ak9
    assert read_997(acks[1]).status == "accepted"


@pytest.mark.parametrize(
    ("defect", "code"),
    [
        (("GE*2*101", "GE*3*101"), "5"),
        (("GE*2*101", "GE*2*109"), "4"),
        (("GE*2*101~", ""), "3"),
    ],
)
def test_group_envelope_defect_rejects_the_group(defect: tuple[str, str], code: str) -> None:
    _, acks = acknowledge(GOOD.replace(*defect))
    result = read_997(acks[0])
    assert (result.status, result.codes) == ("rejected", [code])
    assert acks[0].segments[-2][:5] == ["AK9", "R", "3" if code == "5" else "2", "2", "0"]


def test_all_transactions_rejected_gives_r() -> None:
    text = GOOD.replace("SE*3*0001", "SE*9*0001").replace("SE*3*0002", "SE*9*0002")
    _, acks = acknowledge(text)
    assert read_997(acks[0]).status == "rejected"
    assert acks[0].segments[-2] == ["AK9", "R", "2", "2", "0"]


def test_warnings_do_not_reject() -> None:
    _, acks = acknowledge(GOOD.replace("BEG*00*NE*PO1**20261123~", "BEG*00*NE*PO1**20261123~~"))
    assert read_997(acks[0]).status == "accepted"


def test_issues_of_other_interchanges_are_ignored() -> None:
    second = GOOD.replace("000000101", "000000202").replace("SE*3*0001", "SE*8*0001")
    parsed = parse((GOOD + second).encode())
    assert parsed.errors
    first = build_997(parsed.interchanges[0], parsed.issues)
    assert first[0].segments[-1][1] == "A"
    assert build_997(parsed.interchanges[1], parsed.issues)[0].segments[-1][1] == "P"


def test_read_997_reads_ak3_ak4_details_and_e_status() -> None:
    text = (
        ISA + "GS*FA*AMAZON*ACMEVENDOR*20261123*1200*5*X*004010~ST*997*0001~AK1*IN*31~AK2*810*0001~"
        "AK3*IT1*4**8~AK4*2**1~AK5*E~AK9*E*1*1*1~SE*8*0001~GE*1*5~IEA*1*000000101~"
    )
    transaction = parse(text.encode()).transactions[0]
    result = read_997(transaction)
    assert (result.status, result.functional_id, result.group_control_number) == (
        "accepted_with_errors",
        "IN",
        "31",
    )
    assert result.transactions[0].status == "accepted_with_errors"
    assert result.transactions[0].codes == ["AK3:IT1:4::8", "AK4:2::1"]


def test_read_997_refuses_other_transactions() -> None:
    with pytest.raises(ValueError, match="not a 997"):
        read_997(parse(GOOD.encode()).transactions[0])


def test_wrapping_needs_one_ack_per_group() -> None:
    parsed = parse(GOOD.encode())
    with pytest.raises(ValueError, match="groups"):
        ack_interchange(
            parsed.interchanges[0], [], control_number="1", first_group_control_number=1, timestamp=WHEN
        )


def test_5010_interchange_gets_a_repetition_separator() -> None:
    text = GOOD.replace("*U*00401*", "*U*00501*")
    parsed = parse(text.encode())
    inbound = parsed.interchanges[0]
    assert inbound.header.delimiters.repetition is None
    outbound = ack_interchange(
        inbound,
        build_997(inbound, parsed.issues),
        control_number="1",
        first_group_control_number=1,
        timestamp=WHEN,
    )
    assert outbound.delimiters.repetition is not None
    assert parse(write_x12(outbound)).ok
