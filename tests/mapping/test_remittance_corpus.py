"""The public 820 of ../shared/corpus translates into a Remittance that adds up to the cent.

``21_x12_820_5010_RMR.edi`` (indice-co/EDI.Net, MIT) is a real-world 5010 820: ISA11 ':' and a
newline segment terminator, one ENT, seven RMR*IV lines, one ADX inside the first. Those tests
skip when the corpus folder is absent; the last one needs only the golden sample of mappings/tests.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from gateway.canonical import Remittance
from gateway.mapping import MappingRegistry, default_root
from gateway.mapping.translate import translate_payload

NAME = "21_x12_820_5010_RMR.edi"


@pytest.fixture(scope="module")
def registry() -> MappingRegistry:
    return MappingRegistry(default_root())


@pytest.fixture
def remittance(corpus_dir: Path, registry: MappingRegistry) -> Remittance:
    result = translate_payload(corpus_dir / NAME, registry)
    assert result.errors == []
    [(name, doc)] = result.documents
    assert name == "remittance"
    assert isinstance(doc, Remittance)
    return doc


@pytest.mark.corpus
def test_the_payment_header_is_read(remittance: Remittance) -> None:
    assert remittance.trace_number == "4529952"
    assert str(remittance.payment_date) == "2019-10-29"
    assert remittance.amount == Decimal("21298.97")
    assert (remittance.currency, remittance.handling, remittance.method) == ("USD", "I", "CHK")
    assert remittance.vendor_code == "446963"
    assert [(p.role, p.name) for p in remittance.parties] == [
        ("payer", "MART INC."),
        ("payee", "Test Company, LLC"),
    ]


@pytest.mark.corpus
def test_every_rmr_is_a_line_and_they_add_up_to_bpr02(remittance: Remittance) -> None:
    refs = [line.reference for line in remittance.lines]
    assert refs == ["26801", "26927", "26935", "27009", "27018", "27028", "27029"]
    assert sum(line.amount_paid for line in remittance.lines) == remittance.amount
    assert remittance.adjustments == []


@pytest.mark.corpus
def test_the_adx_belongs_to_its_rmr_and_explains_it(remittance: Remittance) -> None:
    first = remittance.lines[0]
    assert [(a.amount, a.reason, a.reference) for a in first.adjustments] == [
        (Decimal("-143.76"), "59", "26801")
    ]
    assert first.po_number == "1016071221"
    # invoice 4650.41 - discount 97.90 - adjustment 143.76 = paid 4408.75, and so on for each line
    assert all(line.maybe_shortfall() == 0 for line in remittance.lines)


def test_a_payment_its_lines_do_not_make_fails_naming_bpr(registry: MappingRegistry) -> None:
    golden = default_root() / "tests" / "x12-820-4010-amazon.edi"
    good = golden.read_bytes()
    assert translate_payload(good, registry).errors == []
    result = translate_payload(good.replace(b"BPR*C*1347.00*", b"BPR*C*1347.01*"), registry)
    assert result.documents == []
    [error] = result.errors
    assert "segment 4 (BPR), element 02, field amount" in error
    assert "1347.01 is not what its lines and adjustments add up to (1347.00)" in error
