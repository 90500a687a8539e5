"""CONTRL (syntax and service report, D:3:UN): build one for an inbound interchange, read one we received.

Layout built: ``UNH+<ref>+CONTRL:D:3:UN``, one ``UCI`` for the interchange (UCI01 its
UNB05, UCI02/03 its sender and recipient, UCI04 the action), then per explicit group a
``UCF`` (same shape) followed by a ``UCM`` per message of that group, or the ``UCM``
segments directly for messages without UNG, then ``UNT``. Actions (data element 0083):
``7`` accepted, ``4`` rejected. Where something is wrong the error code (0085), the
segment tag (0013) and the element position (S011) follow, from the first error of that
level. Error codes used: ``13`` missing, ``12`` invalid value, ``15`` not supported in
this position, ``18`` unspecified error, ``23`` unknown interchange sender, ``28``
references do not match, ``29`` control count does not match.

:func:`read_contrl` turns a CONTRL we received into an :class:`AckResult` the pipeline
can match to the interchange (UCI01) and messages (UCM01) it sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from gateway.edi.document import ParsedInterchange
from gateway.edi.edifact.headers import part
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
)
from gateway.edi.verdict import TransactionVerdict, judge_interchange

ACCEPTED = "7"
REJECTED = "4"
RECEIVED = "8"
UNKNOWN_SENDER = "23"
CONTRL_VERSION = ["D", "3", "UN"]

_ERROR_CODES = {
    IssueCode.EDIFACT_UNT_COUNT_MISMATCH: "29",
    IssueCode.EDIFACT_UNE_COUNT_MISMATCH: "29",
    IssueCode.EDIFACT_UNZ_COUNT_MISMATCH: "29",
    IssueCode.EDIFACT_UNT_CONTROL_MISMATCH: "28",
    IssueCode.EDIFACT_UNE_CONTROL_MISMATCH: "28",
    IssueCode.EDIFACT_UNZ_CONTROL_MISMATCH: "28",
    IssueCode.EDIFACT_UNT_MISSING: "13",
    IssueCode.EDIFACT_UNE_MISSING: "13",
    IssueCode.EDIFACT_UNZ_MISSING: "13",
    IssueCode.EDIFACT_UNB_MISSING: "13",
    IssueCode.EDIFACT_UNB_INVALID: "13",
    IssueCode.EDIFACT_UNG_INVALID: "13",
    IssueCode.EDIFACT_UNH_INVALID: "13",
    IssueCode.EDIFACT_UNEXPECTED_UNT: "15",
    IssueCode.EDIFACT_UNEXPECTED_UNE: "15",
    IssueCode.EDIFACT_UNEXPECTED_UNZ: "15",
    IssueCode.SEGMENT_OUTSIDE_ENVELOPE: "15",
    IssueCode.BAD_SEGMENT_TAG: "12",
}


def error_code(issue: Issue) -> str:
    """The CONTRL syntax error code (0085) of an issue; ``18`` (unspecified) when none fits."""
    return _ERROR_CODES.get(issue.code, "18")


def build_contrl(
    interchange: ParsedInterchange,
    issues: Iterable[Issue],
    *,
    control_number: str,
    timestamp: datetime,
    message_reference: str = "1",
    sender_known: bool = True,
    delimiters: Delimiters | None = None,
) -> OutboundInterchange:
    """A CONTRL interchange answering ``interchange`` (sent back from its recipient to its sender).

    ``issues`` are the file's issues (those of other interchanges and warnings are
    ignored). What is accepted is :func:`~gateway.edi.verdict.judge_interchange`'s verdict,
    the one the pipeline stores by: a broken UNZ (or an envelope error of messages without
    UNG) rejects the interchange (UCI action 4), a broken UNE its group (UCF action 4), a
    broken UNT its message (UCM action 4). ``sender_known=False`` rejects the interchange
    with code 23 (unknown interchange sender). ``control_number`` is our UNB05 for the CONTRL.
    """
    header = interchange.header
    verdict = judge_interchange(interchange, issues)
    uci: Segment = [
        "UCI",
        header.control_number,
        _party(header.sender_id, header.sender_qualifier),
        _party(header.receiver_id, header.receiver_qualifier),
    ]
    if not sender_known:
        uci += [REJECTED, UNKNOWN_SENDER]
    elif verdict.rejected:
        uci += [REJECTED, *_detail(verdict.errors[0])]
    else:
        uci.append(ACCEPTED)
    body: list[Segment] = [uci]
    for group, judged in zip(interchange.groups, verdict.groups, strict=True):
        if not group.header.implicit:
            gh = group.header
            ucf: Segment = ["UCF", gh.control_number, gh.sender_id, gh.receiver_id]
            ucf += [REJECTED, *_detail(judged.errors[0])] if judged.errors else [ACCEPTED]
            body.append(ucf)
        for transaction, mine in zip(group.transactions, judged.transactions, strict=True):
            body.append(_ucm(transaction, mine))
    message = OutboundTransaction("CONTRL", message_reference, body, list(CONTRL_VERSION))
    return OutboundInterchange(
        sender_qualifier=header.receiver_qualifier,
        sender_id=header.receiver_id,
        receiver_qualifier=header.sender_qualifier,
        receiver_id=header.sender_id,
        control_number=control_number,
        timestamp=timestamp,
        groups=[
            OutboundGroup("CONTRL", header.receiver_id, header.sender_id, "", "D3", [message], implicit=True)
        ],
        version=header.version or "UNOA:3",
        delimiters=delimiters or header.delimiters,
    )


def _ucm(transaction: Transaction, verdict: TransactionVerdict) -> Segment:
    unh = transaction.segments[0]
    identifier = unh[2] if len(unh) > 2 and isinstance(unh[2], list) else [transaction.type]
    ucm: Segment = ["UCM", transaction.control_number, list(identifier)]
    return ucm + ([REJECTED, *_detail(verdict.errors[0])] if verdict.errors else [ACCEPTED])


def _detail(issue: Issue) -> list:
    """Error code, segment tag and element position of an issue, as far as known."""
    detail: list = [error_code(issue)]
    if issue.position.tag:
        detail.append(issue.position.tag)
        if issue.position.element is not None:
            detail.append(str(issue.position.element))
    return detail


def _party(identifier: str, qualifier: str) -> str | list[str]:
    return [identifier, qualifier] if qualifier else identifier


# --- reading a CONTRL we received -------------------------------------------------


def read_contrl(transaction: Transaction) -> AckResult:
    """What a received CONTRL says about the interchange and messages we sent.

    A message under a rejected group (UCF action 4) is rejected with the group's code.
    Status: ``rejected`` when UCI04 is 4 (or every message is rejected),
    ``partially_accepted`` when only some messages are, else ``accepted``. Raises
    ``ValueError`` when the transaction is not a CONTRL or has no UCI.
    """
    if transaction.type != "CONTRL":
        raise ValueError(f"not a CONTRL message: {transaction.type}")
    uci = next((s for s in transaction.segments if s[0] == "UCI"), None)
    if uci is None:
        raise ValueError("the CONTRL message has no UCI segment")
    acks: list[TransactionAck] = []
    group_reference: str | None = None
    group_code: str | None = None  # the code of the rejected group (UCF) the next UCMs sit in
    for segment in transaction.segments:
        if segment[0] == "UCF":
            if group_reference is None:
                group_reference = part(segment, 1)
            group_code = (part(segment, 5) or "18") if part(segment, 4) == REJECTED else None
        elif segment[0] == "UCM":
            rejected = part(segment, 3) == REJECTED or group_code is not None
            code = part(segment, 4) or (group_code or "")
            acks.append(
                TransactionAck(
                    type=part(segment, 2),
                    control_number=part(segment, 1),
                    status="rejected" if rejected else "accepted",
                    codes=[code] if code else [],
                )
            )
    status: AckStatus
    rejected_count = sum(1 for a in acks if a.status == "rejected")
    if part(uci, 4) == REJECTED or (acks and rejected_count == len(acks)):
        status = "rejected"
    elif rejected_count:
        status = "partially_accepted"
    else:
        status = "accepted"
    code = part(uci, 5)
    return AckResult(
        standard="edifact",
        status=status,
        interchange_control_number=part(uci, 1),
        group_control_number=group_reference,
        transactions=acks,
        codes=[code] if code else [],
    )
