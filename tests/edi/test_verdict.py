"""The acknowledgement's verdict (gateway/edi/verdict.py): what each envelope's errors reject."""

from __future__ import annotations

from dataclasses import replace

from gateway.edi import parse
from gateway.edi.errors import Issue, IssueCode, Position, Severity
from gateway.edi.verdict import judge

ISA = "ISA*00*          *00*          *ZZ*AMAZON         *ZZ*ACMEVENDOR     *261123*1200*U*00401*000000101*0*P*>~"
GROUP_1 = "GS*PO*AMAZON*ACMEVENDOR*20261123*1200*101*X*004010~ST*850*0001~BEG*00*NE*PO1**20261123~SE*3*0001~"
GROUP_1 += "ST*850*0002~BEG*00*NE*PO2**20261123~SE*3*0002~GE*2*101~"
GROUP_2 = "GS*PO*AMAZON*ACMEVENDOR*20261123*1200*102*X*004010~ST*850*0001~BEG*00*NE*PO3**20261123~SE*3*0001~"
GROUP_2 += "GE*1*102~"
GOOD = ISA + GROUP_1 + GROUP_2 + "IEA*2*000000101~"


def accepted(text: str, extra: list[Issue] | None = None) -> set[tuple[int, int, int]]:
    parsed = parse(text.encode())
    parsed.issues.extend(extra or [])
    return set(judge(parsed).accepted)


def test_a_good_file_is_accepted_whole() -> None:
    assert accepted(GOOD) == {(1, 1, 1), (1, 1, 2), (1, 2, 1)}


def test_each_level_rejects_what_is_under_it() -> None:
    assert accepted(GOOD.replace("SE*3*0002", "SE*4*0002")) == {(1, 1, 1), (1, 2, 1)}
    assert accepted(GOOD.replace("GE*2*101", "GE*3*101")) == {(1, 2, 1)}
    assert accepted(GOOD.replace("IEA*2*", "IEA*3*")) == set()
    assert accepted(GOOD.replace("IEA*2*000000101~", "")) == set()


def test_a_rejected_group_names_its_transactions_as_envelope_rejected_only() -> None:
    parsed = parse(GOOD.replace("GE*2*101", "GE*3*101").replace("SE*3*0002", "SE*9*0002").encode())
    verdict = judge(parsed)
    assert verdict.envelope_rejected == {(1, 1, 1)}  # 0002 is rejected itself as well
    (interchange,) = verdict.interchanges.values()
    assert [g.status for g in interchange.groups] == ["R", "A"]
    assert interchange.codes() == ["X12_GE_COUNT_MISMATCH", "X12_SE_COUNT_MISMATCH"]


def test_warnings_never_reject_and_an_error_of_an_unknown_envelope_rejects_the_one_above() -> None:
    warning = Issue(IssueCode.TRUNCATED_INPUT, "w", Position(interchange=1, group=1), Severity.WARNING)
    assert accepted(GOOD, [warning]) == {(1, 1, 1), (1, 1, 2), (1, 2, 1)}
    ghost_tx = Issue(IssueCode.BAD_SEGMENT_TAG, "x", Position(interchange=1, group=2, transaction=7))
    assert accepted(GOOD, [ghost_tx]) == {(1, 1, 1), (1, 1, 2)}
    ghost_group = replace(ghost_tx, position=Position(interchange=1, group=9))
    assert accepted(GOOD, [ghost_group]) == set()


def test_edifact_messages_without_ung_fall_with_their_interchange() -> None:
    unb = "UNA:+.? 'UNB+UNOA:3+5450534000000:14+4012345000009:14+261123:1200+77'"
    body = "UNH+1+ORDERS:D:96A:UN:EAN008'BGM+220+PO1+9'UNT+3+1'UNH+2+ORDERS:D:96A:UN:EAN008'BGM+220+PO2+9'UNT+3+2'"
    assert accepted(unb + body + "UNZ+2+77'") == {(1, 1, 1), (1, 1, 2)}
    assert accepted(unb + body.replace("UNT+3+2", "UNT+5+2") + "UNZ+2+77'") == {(1, 1, 1)}
    assert accepted(unb + body + "UNZ+2+78'") == set()
    implicit_group_error = Issue(IssueCode.SEGMENT_OUTSIDE_ENVELOPE, "x", Position(interchange=1, group=1))
    verdict = judge(parse((unb + body + "UNZ+2+77'").encode()))
    assert not verdict.interchanges[1].rejected
    parsed = parse((unb + body + "UNZ+2+77'").encode())
    parsed.issues.append(implicit_group_error)
    assert judge(parsed).interchanges[1].rejected
