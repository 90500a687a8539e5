"""997 functional acknowledgements: build them for what we received, read those we get back.

:func:`build_997` answers each functional group of a parsed interchange with one 997,
from the interchange and the issues found in it (the reader's envelope issues, and any
later validation issue that carries a position):

- AK1: the group's functional identifier (GS01) and control number (GS06), plus GS08
  from version 005010 on;
- AK2/AK5 for each transaction set: ST01, ST02 (and ST03 from 005010), then A or R
  with the AK5 codes of its errors: 2 trailer missing, 3 control numbers differ, 4
  segment count wrong, 6 ST01 missing, 5 any other error in a segment;
- AK9: A (all accepted), P (some rejected), R (all rejected, or the group envelope or the
  interchange's IEA is broken), the counts, and the group codes: 3 GE missing, 4 control
  numbers differ, 5 transaction count wrong.

What is accepted is :mod:`gateway.edi.verdict`'s decision, the same the pipeline stores by.

The 997 is written in the version of the group it answers (GS08); :func:`ack_interchange`
wraps the 997s in an interchange addressed back to the sender, one FA group per
version. :func:`read_997` reads a 997 we receive into an :class:`~gateway.edi.model.AckResult`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from gateway.edi.document import ParsedGroup, ParsedInterchange
from gateway.edi.errors import Issue, IssueCode
from gateway.edi.model import (
    AckResult,
    AckStatus,
    Delimiters,
    OutboundGroup,
    OutboundInterchange,
    OutboundTransaction,
    Segment,
    Transaction,
    TransactionAck,
    element_text,
)
from gateway.edi.verdict import GroupVerdict, judge_interchange
from gateway.edi.x12.delimiters import has_repetition

AK5_CODES = {
    IssueCode.X12_SE_MISSING: "2",
    IssueCode.X12_SE_CONTROL_MISMATCH: "3",
    IssueCode.X12_SE_COUNT_MISMATCH: "4",
    IssueCode.X12_ST_INVALID: "6",
}
AK5_SEGMENTS_IN_ERROR = "5"
AK9_CODES = {
    IssueCode.X12_GE_MISSING: "3",
    IssueCode.X12_GE_CONTROL_MISMATCH: "4",
    IssueCode.X12_GE_COUNT_MISMATCH: "5",
}
STATUS = {
    "A": "accepted",
    "E": "accepted_with_errors",
    "P": "partially_accepted",
    "R": "rejected",
    "M": "rejected",
    "W": "rejected",
    "X": "rejected",
}
_MAX_CODES = 5  # AK502..AK506, AK905..AK909


def _from_5010(version: str) -> bool:
    digits = version.strip()[:6]
    return (digits.isascii() and digits.isdigit()) and int(digits) >= 5010


def _codes(issues: Iterable[Issue], table: dict[IssueCode, str], default: str | None) -> list[str]:
    found: list[str] = []
    for issue in issues:
        code = table.get(issue.code, default)
        if code is not None and code not in found:
            found.append(code)
    return sorted(found)[:_MAX_CODES]


def _group_997(group: ParsedGroup, verdict: GroupVerdict, control_number: str) -> OutboundTransaction:
    header = group.header
    v5010 = _from_5010(header.version)
    body: list[Segment] = [
        ["AK1", header.functional_id, header.control_number] + ([header.version] if v5010 else [])
    ]
    for transaction, judged in zip(group.transactions, verdict.transactions, strict=True):
        codes = _codes(judged.errors, AK5_CODES, AK5_SEGMENTS_IN_ERROR)
        st03 = element_text(transaction.segments[0], 3)
        ak2 = ["AK2", transaction.type, transaction.control_number]
        body.append([*ak2, st03] if v5010 and st03 else ak2)
        body.append(["AK5", "R" if codes else "A", *codes])
    group_codes = _codes(verdict.errors, AK9_CODES, None)
    received = len(group.transactions)
    stated = element_text(group.trailer, 1) if group.trailer else ""
    included = stated if (stated.isascii() and stated.isdigit()) else str(received)
    accepted = len(verdict.accepted)
    body.append(["AK9", verdict.status, included, str(received), str(accepted), *group_codes])
    return OutboundTransaction(type="997", control_number=control_number, segments=body, version=None)


def build_997(
    interchange: ParsedInterchange, issues: Iterable[Issue], *, first_control_number: int = 1
) -> list[OutboundTransaction]:
    """One 997 per functional group of ``interchange``, in the order of the groups.

    ``issues`` may be all the issues of the file: only errors positioned in this
    interchange count (warnings never reject). What is accepted or rejected is
    :func:`~gateway.edi.verdict.judge_interchange`'s verdict, the one the pipeline stores
    by: an interchange whose IEA is wrong or missing has every group rejected (AK9 R,
    no AK905 code: a 997 has none for the interchange envelope). The 997s get ST02
    control numbers ``first_control_number``, +1, ... written with four digits at least.
    """
    verdict = judge_interchange(interchange, issues)
    return [
        _group_997(group, judged, f"{first_control_number + n:04d}")
        for n, (group, judged) in enumerate(zip(interchange.groups, verdict.groups, strict=True))
    ]


def ack_interchange(
    interchange: ParsedInterchange,
    acks: list[OutboundTransaction],
    *,
    control_number: str,
    first_group_control_number: int,
    timestamp: datetime,
    delimiters: Delimiters | None = None,
    test: bool | None = None,
) -> OutboundInterchange:
    """Wrap the 997s of :func:`build_997` in an interchange back to ``interchange``'s sender.

    ``acks[i]`` answers ``interchange.groups[i]``; 997s answering groups of the same
    version share one FA group (GS08 = that version), numbered from
    ``first_group_control_number``. The ISA takes the inbound ISA12 and, unless given,
    its delimiters (a repetition separator is chosen when the version needs one and the
    inbound interchange had none).
    """
    if len(acks) != len(interchange.groups):
        raise ValueError(f"{len(acks)} acknowledgements for {len(interchange.groups)} groups")
    inbound = interchange.header
    by_version: dict[str, OutboundGroup] = {}
    for group, ack in zip(interchange.groups, acks, strict=True):
        version = group.header.version
        if version not in by_version:
            by_version[version] = OutboundGroup(
                functional_id="FA",
                sender_id=group.header.receiver_id,
                receiver_id=group.header.sender_id,
                control_number=str(first_group_control_number + len(by_version)),
                version=version,
                transactions=[],
            )
        by_version[version].transactions.append(ack)
    chosen = delimiters or inbound.delimiters
    if has_repetition(inbound.version) and chosen.repetition is None:
        spare = next(c for c in "^{}|!" if c not in (chosen.element, chosen.component, chosen.segment))
        chosen = Delimiters(chosen.element, chosen.component, chosen.segment, spare, suffix=chosen.suffix)
    return OutboundInterchange(
        sender_qualifier=inbound.receiver_qualifier,
        sender_id=inbound.receiver_id,
        receiver_qualifier=inbound.sender_qualifier,
        receiver_id=inbound.sender_id,
        control_number=control_number,
        timestamp=timestamp,
        groups=list(by_version.values()),
        version=inbound.version,
        delimiters=chosen,
        test=inbound.test if test is None else test,
    )


def read_997(transaction: Transaction) -> AckResult:
    """What a received 997 says about the group it answers (AK1) and each set in it (AK2/AK5).

    Raises ``ValueError`` when ``transaction`` is not a 997 or has no AK1.
    """
    if transaction.type != "997":
        raise ValueError(f"transaction {transaction.control_number!r} is a {transaction.type}, not a 997")
    result: AckResult | None = None
    current: TransactionAck | None = None
    for segment in transaction.segments:
        tag = segment[0]
        if tag == "AK1":
            result = AckResult(
                standard="x12",
                status="accepted",
                group_control_number=element_text(segment, 2),
                functional_id=element_text(segment, 1),
            )
        elif tag == "AK2" and result is not None:
            current = TransactionAck(
                type=element_text(segment, 1), control_number=element_text(segment, 2), status="accepted"
            )
            result.transactions.append(current)
        elif tag in ("AK3", "AK4") and current is not None:
            current.codes.append(
                f"{tag}:" + ":".join(element_text(segment, i) for i in range(1, len(segment)))
            )
        elif tag == "AK5" and current is not None:
            current.status = _status(element_text(segment, 1))
            current.codes[:0] = [c for c in (element_text(segment, i) for i in range(2, len(segment))) if c]
            current = None
        elif tag == "AK9" and result is not None:
            result.status = _status(element_text(segment, 1))
            result.codes = [c for c in (element_text(segment, i) for i in range(5, len(segment))) if c]
    if result is None:
        raise ValueError(f"997 {transaction.control_number!r} has no AK1 segment")
    return result


def _status(code: str) -> AckStatus:
    return STATUS.get(code.strip(), "rejected")  # type: ignore[return-value]
