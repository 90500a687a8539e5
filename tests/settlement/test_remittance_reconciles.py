"""A generated Amazon-shaped X12 820 (payments, short-pays and every deduction kind) translates through the
shipped mapping and splits into payments and deductions that add up to BPR02 to the cent, and each
invoice it pays gets the payment state and balance those amounts say, to the cent; the public 820
sample does too (skipped without ../shared/corpus)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.canonical import Remittance
from gateway.config import PartnerDirectory
from gateway.config.settlement import SettlementSettings
from gateway.mapping import MappingRegistry, default_root
from gateway.mapping.translate import translate_payload
from gateway.settlement.deductions import UNCLASSIFIED, classify, split
from gateway.settlement.payments import settle, status_of
from tests.money.conftest import invoice

DEFAULTS = SettlementSettings()
NO_PROFILES = PartnerDirectory([])
Case = tuple[str, Decimal, list[tuple[str, str, int]], list[tuple[str, int, int, int]]]
REGISTRY = MappingRegistry(default_root())
CENTS = st.integers(min_value=1, max_value=5_000_000)

#: one deduction line of each kind: the reference Amazon uses and the kind it must come out as
DEDUCTIONS = [
    ("INV-{n}-SC", "shortage", -1),
    ("INV-{n}-SCR", "shortage_reversal", 1),
    ("INV-{n}-SCRSC", "shortage", -1),
    ("INV-{n}-PC", "price", -1),
    ("VCBSINV{n:07d}", "chargeback", -1),
    ("RTV-RMA{n}", "returns", -1),
    ("PROVISION-{n}", "provision", -1),
]


def _money(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


@st.composite
def remittances(draw: st.DrawFn) -> Case:
    """An 820 text, its BPR02, the (reference, kind, cents) every RMR and entity ADX should come out as,
    and the (invoice, invoiced, discount, paid) cents of each invoice it pays."""
    segments: list[str] = []
    expected: list[tuple[str, str, int]] = []
    invoices: list[tuple[str, int, int, int]] = []
    coop = draw(CENTS)  # an entity-level adjustment, not tied to an RMR
    segments.append(f"ADX*-{_money(coop)}*CO*ZZ*COOP-2026-Q1")
    expected.append(("COOP-2026-Q1", "coop", -coop))
    for n in range(draw(st.integers(min_value=1, max_value=6))):
        invoiced = draw(CENTS)
        discount = draw(st.integers(min_value=0, max_value=invoiced // 10))
        short = draw(st.integers(min_value=0, max_value=(invoiced - discount) // 2))  # a short-pay
        paid = invoiced - discount - short
        segments.append(f"RMR*IV*INV-{n}**{_money(paid)}*{_money(invoiced)}*{_money(discount)}")
        segments.append(f"REF*PO*PO{n:06d}")
        if short and draw(st.booleans()):
            segments.append(f"ADX*-{_money(short)}*CS*IV*INV-{n}")
        expected.append((f"INV-{n}", UNCLASSIFIED, paid))
        invoices.append((f"INV-{n}", invoiced, discount, paid))
    picks = draw(st.permutations(DEDUCTIONS))  # every deduction kind, in any order
    for i, (pattern, kind, sign) in enumerate(picks):
        cents = draw(CENTS) * sign
        reference = pattern.format(n=i)
        segments.append(f"RMR*IV*{reference}**{_money(cents)}")
        expected.append((reference, kind, cents))
    total = sum(c for _, _, c in expected)
    assume_credit = total >= 0
    bpr = f"BPR*C*{_money(abs(total))}*{'C' if assume_credit else 'D'}*ACH*CCP*01*011000015*DA*1*1**01*1*DA*1*20260310"
    body = [
        bpr,
        "TRN*1*PAY-GEN-1*1234567890",
        "CUR*PR*USD",
        "N1*PR*Amazon.com Services LLC*92*AMZN",
        "N1*PE*Acme*92*ACME01",
        "ENT*1",
        *segments,
    ]
    st_se = ["ST*820*0001", *body]
    st_se.append(f"SE*{len(st_se) + 1}*0001")
    text = (
        "ISA*00*          *00*          *ZZ*AMAZON         *ZZ*ACMEVENDOR     *260310*0800*U*00401*000000901*0*P*>~"
        "GS*RA*AMAZON*ACMEVENDOR*20260310*0800*901*X*004010~" + "~".join(st_se) + "~GE*1*901~IEA*1*000000901~"
    )
    return text, Decimal(total) / 100, expected, invoices


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(remittances())
def test_a_generated_820_reconciles_to_the_cent(case: Case) -> None:
    text, total, expected, invoices = case
    result = translate_payload(text.encode(), REGISTRY)
    assert result.errors == []
    [(_, doc)] = result.documents
    assert isinstance(doc, Remittance)
    parts = split(doc, DEFAULTS)
    signed = -doc.amount if doc.credit_debit == "debit" else doc.amount
    assert signed == total == parts.total()  # Σ payments + Σ deductions = BPR02, to the cent
    got = [(p.invoice_number, UNCLASSIFIED, int(p.amount_paid * 100)) for p in parts.payments]
    got += [(d.reference, d.kind, int(d.amount * 100)) for d in parts.deductions]
    assert sorted(got) == sorted(expected)
    assert {d.kind for d in parts.deductions} == {"coop", *(kind for _, kind, _ in DEDUCTIONS)}
    for d in parts.deductions:
        if d.kind in ("shortage", "shortage_reversal", "price"):
            assert d.invoice_number is not None and d.invoice_number.startswith("INV-")

    # each invoice's payment state, to the cent: what it lacks = invoiced - discount - paid - its deductions
    about: dict[str, int] = defaultdict(int)
    for d in parts.deductions:
        if d.invoice_number:
            about[d.invoice_number] += int(d.amount * 100)
    settled = settle([(doc, DEFAULTS)])
    for number, invoiced, discount, paid in invoices:
        billed = invoice(number, {"1": 1}, total=_money(invoiced))
        status = status_of(billed, "amazon-us", settled, NO_PROFILES, date(2026, 3, 10))
        balance = invoiced - discount - paid - about[number]
        assert (status.paid, status.discount, status.deducted) == (
            Decimal(paid) / 100,
            Decimal(discount) / 100,
            Decimal(about[number]) / 100,
        )
        assert status.balance == Decimal(balance) / 100
        assert status.state == ("paid" if balance <= 1 else "short_paid"), (number, balance)


@pytest.mark.parametrize(
    ("reference", "kind", "invoice"),
    [
        ("INV-24-0042-SC", "shortage", "INV-24-0042"),
        ("INV-24-0042-SCR", "shortage_reversal", "INV-24-0042"),
        ("INV-24-0042-SCRSC", "shortage", "INV-24-0042"),
        ("INV-24-0050-PC", "price", "INV-24-0050"),
        ("VCBSINV0012345", "chargeback", None),
        ("COOP-2024-Q1", "coop", None),
        ("INV-24-0042", UNCLASSIFIED, None),
    ],
)
def test_amazon_ids_classify_by_the_default_patterns(reference: str, kind: str, invoice: str | None) -> None:
    assert classify(reference, DEFAULTS) == (kind, invoice)


def test_a_partner_pattern_replaces_the_defaults() -> None:
    custom = SettlementSettings.model_validate(
        {"deduction_patterns": [{"kind": "chargeback", "pattern": "^CB-"}]}
    )
    assert classify("CB-991", custom) == ("chargeback", "991")
    assert classify("VCBSINV1", custom) == (UNCLASSIFIED, None)


def test_a_pattern_that_is_no_regex_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match="not a regular expression"):
        SettlementSettings.model_validate({"deduction_patterns": [{"kind": "price", "pattern": "(-PC"}]})


def test_the_golden_820_samples_split_as_amazon_rules_say() -> None:
    root = Path(default_root()) / "tests"
    result = translate_payload(root / "x12-820-4010-amazon.edi", REGISTRY)
    [(_, doc)] = result.documents
    assert isinstance(doc, Remittance)
    parts = split(doc, DEFAULTS)
    assert parts.total() == doc.amount == Decimal("1347.00")
    assert [p.invoice_number for p in parts.payments] == ["INV-24-0042", "INV-24-0043", "INV-24-0044"]
    assert [(d.reference, d.kind, d.amount) for d in parts.deductions] == [
        ("INV-24-0042-SC", "shortage", Decimal("-25.00")),
        ("VCBSINV0012345", "chargeback", Decimal("-15.00")),
        ("COOP-2024-Q1", "coop", Decimal("-5.00")),
    ]


@pytest.mark.corpus
def test_the_public_820_sample_parses_translates_and_reconciles(corpus_dir: Path) -> None:
    result = translate_payload(corpus_dir / "21_x12_820_5010_RMR.edi", REGISTRY)
    assert result.errors == []
    [(_, doc)] = result.documents
    assert isinstance(doc, Remittance)
    parts = split(doc, DEFAULTS)
    assert parts.total() == doc.amount
    assert len(parts.payments) == 7 and parts.deductions == []
