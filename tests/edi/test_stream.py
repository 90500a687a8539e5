"""Streaming (``iter_transactions``, ``summarise``) gives what ``parse()`` gives, without a tree.

Generated X12 and EDIFACT mailbags (several interchanges, groups and transactions, some
with envelope defects) read to the same transactions, segments and issues both ways,
whatever the chunk size.
"""

from __future__ import annotations

import io

from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.edi import (
    GroupEnd,
    InterchangeEnd,
    Issue,
    Transaction,
    iter_transactions,
    parse,
    summarise,
)

ISA = (
    "ISA*00*          *00*          *ZZ*ACMEVENDOR     *ZZ*AMAZON         *261123*1200*U*00401*{:09d}*0*P*>~"
)
UNB = "UNB+UNOA:3+SENDER:14+AMAZON:14+261123:1200+{0}'"


def x12_transaction(n: int, lines: int, bad_count: bool) -> str:
    body = "".join(f"PO1*{i}*1*EA*9.99**VN*ITEM{i}~" for i in range(1, lines + 1))
    count = lines + 3 + (1 if bad_count else 0)
    return f"ST*850*{n:04d}~BEG*00*NE*PO{n}**20261123~{body}SE*{count}*{n:04d}~"


@st.composite
def x12_mailbags(draw: st.DrawFn) -> str:
    out = []
    for ic in range(1, draw(st.integers(1, 3)) + 1):
        out.append(ISA.format(ic))
        groups = draw(st.integers(0, 2))
        for g in range(1, groups + 1):
            ts = draw(st.lists(st.tuples(st.integers(0, 4), st.booleans()), max_size=3))
            out.append(f"GS*PO*ACMEVENDOR*AMAZON*20261123*1200*{g}*X*004010~")
            out += [x12_transaction(i + 1, lines, bad) for i, (lines, bad) in enumerate(ts)]
            if draw(st.booleans()) or g < groups:
                out.append(f"GE*{len(ts) + draw(st.sampled_from([0, 0, 1]))}*{g}~")
        if draw(st.integers(0, 4)):
            out.append(f"IEA*{groups}*{ic:09d}~")
    return "".join(out)


@st.composite
def edifact_mailbags(draw: st.DrawFn) -> str:
    out = []
    for ic in range(1, draw(st.integers(1, 3)) + 1):
        out.append(UNB.format(ic))
        n = draw(st.integers(0, 3))
        for m in range(1, n + 1):
            lines = draw(st.integers(0, 3))
            body = "".join(f"LIN+{i}++ITEM{i}:SRV'QTY+21:1'" for i in range(1, lines + 1))
            count = 2 * lines + 3 + draw(st.sampled_from([0, 0, 1]))
            out.append(f"UNH+{m}+ORDERS:D:96A:UN'BGM+220+PO{m}+9'{body}UNT+{count}+{m}'")
        out.append(f"UNZ+{n}+{ic}'")
    return "".join(out)


def streamed(data: bytes, chunk_size: int) -> tuple[list, list, list]:
    transactions, issues, ends = [], [], []
    for item in iter_transactions(io.BytesIO(data), chunk_size):
        if isinstance(item, Transaction):
            transactions.append((item.interchange.control_number, item.group.index, item.type, item.segments))
        elif isinstance(item, Issue):
            issues.append(item.as_dict())
        else:
            assert isinstance(item, GroupEnd | InterchangeEnd)
            ends.append(type(item).__name__)
    return transactions, issues, ends


def folded(data: bytes) -> tuple[list, list]:
    parsed = parse(data)
    transactions = [
        (ic.header.control_number, t.group.index, t.type, t.segments)
        for ic in parsed.interchanges
        for t in ic.transactions
    ]
    return transactions, [i.as_dict() for i in parsed.issues]


@settings(max_examples=60, deadline=None)
@given(st.one_of(x12_mailbags(), edifact_mailbags()), st.sampled_from([7, 64, 1 << 20]))
def test_streaming_gives_what_parse_gives(text: str, chunk_size: int) -> None:
    data = text.encode()
    transactions, issues, _ = streamed(data, chunk_size)
    assert (transactions, issues) == folded(data)
    assert summarise(io.BytesIO(data), chunk_size).as_dict() == parse(data).summary()


def test_each_transaction_carries_its_envelope_and_ends_follow() -> None:
    text = ISA.format(1) + "GS*PO*ACMEVENDOR*AMAZON*20261123*1200*7*X*004010~"
    text += x12_transaction(1, 2, False) + x12_transaction(2, 1, True) + "GE*2*7~IEA*1*000000001~"
    items = list(iter_transactions(text.encode()))
    kinds = [type(i).__name__ for i in items]
    assert kinds == ["Transaction", "Issue", "Transaction", "GroupEnd", "InterchangeEnd"]
    first, second = items[0], items[2]
    assert isinstance(first, Transaction) and isinstance(second, Transaction)
    assert first.interchange.control_number == "000000001"
    assert first.group.control_number == "7"
    assert (first.index, first.first_segment, second.first_segment) == (1, 3, 8)
    assert isinstance(items[1], Issue) and items[1].code.value == "X12_SE_COUNT_MISMATCH"


def test_summary_counts_types_and_errors() -> None:
    text = ISA.format(1) + "GS*PO*ACMEVENDOR*AMAZON*20261123*1200*1*X*004010~"
    text += x12_transaction(1, 2, False) + x12_transaction(2, 1, True) + "GE*2*1~IEA*1*000000001~"
    text += ISA.format(2) + "IEA*0*000000002~"
    summary = summarise(text.encode())
    assert [len(ic.groups) for ic in summary.interchanges] == [1, 0]
    assert summary.interchanges[0].groups[0].types == {"850": 2}
    assert (summary.transactions, summary.segments) == (2, 9)
    assert [i.code.value for i in summary.errors] == ["X12_SE_COUNT_MISMATCH"]
