"""A loop item holding more segments of a kind than the mapping reads is a misfit, not a drop.

Both engines (the fused list readers and the reference reader) must refuse it the same way.
"""

from __future__ import annotations

import pytest

from gateway.edi import parse
from gateway.edi.model import Transaction
from gateway.mapping import MappingRegistry, TranslationError, default_root
from gateway.mapping.inbound import translate_transaction
from gateway.mapping.loader import Mapping
from gateway.mapping.repeats import once_tags
from gateway.mapping.specs import GroupSpec

GOLDEN = default_root() / "tests"
ITEM = "HL*9*8*I~LIN*2*BP*B08L5WHFT9*VN*ACM-200~SN1**6*CA~"


@pytest.fixture(scope="module")
def registry() -> MappingRegistry:
    return MappingRegistry(default_root())


def asn(item: str) -> Transaction:
    text = (GOLDEN / "x12-856-4010-sotpi.edi").read_text().replace(ITEM, item)
    count = text.count("~", text.index("ST*856"), text.index("SE*")) + 1
    text = text.replace("SE*33*", f"SE*{count}*")  # the golden file's own count, then ours
    parsed = parse(text.encode())
    assert parsed.errors == []
    return parsed.transactions[0]


def outcomes(mapping: Mapping, tx: Transaction) -> str:
    """The error of the compiled and of the reference translation (they must agree)."""
    found = []
    assert mapping.model is not None
    for reference in (False, True):
        with pytest.raises(TranslationError) as info:
            translate_transaction(
                tx, mapping.fields, mapping.model, hierarchy=mapping.hierarchy, reference=reference
            )
        found.append(info.value.describe())
    assert found[0] == found[1]
    return found[0]


def test_two_lin_sn1_pairs_in_one_item_loop_name_the_second_lin(registry) -> None:
    tx = asn(ITEM.replace("SN1**6*CA~", "SN1**6*CA~LIN*3*BP*B0CCCCCCCC~SN1**3*EA~"))
    mapping = registry.select("x12", "004010", "856")
    message = outcomes(mapping, tx)
    second_lin = next(i for i, s in enumerate(tx.segments) if s[:2] == ["LIN", "3"])
    assert f"segment {tx.position(second_lin).segment} (LIN)" in message
    assert "a second LIN in one hierarchy level I loop" in message
    assert "so this one would be lost" in message


def test_a_second_sn1_alone_is_refused_too(registry) -> None:
    tx = asn(ITEM.replace("SN1**6*CA~", "SN1**6*CA~SN1**7*CA~"))
    message = outcomes(registry.select("x12", "004010", "856"), tx)
    assert "(SN1)" in message and "a second SN1" in message


def test_one_lin_per_item_still_translates(registry) -> None:
    doc = registry.select("x12", "004010", "856").translate(asn(ITEM))
    quantities = [line.quantity for order in doc.orders for line in order.lines]  # type: ignore[attr-defined]
    assert sum(quantities) == 30


def test_two_po4_in_one_po1_loop_are_a_misfit(registry) -> None:
    text = (GOLDEN / "x12-850-amazon.edi").read_text()
    po1 = text.index("~", text.index("~PO1*") + 1) + 1
    text = text[:po1] + "PO4*6~PO4*12~" + text[po1:]
    se = text.index("~SE*") + 4
    count = int(text[se : text.index("*", se)])
    text = text[:se] + str(count + 2) + text[text.index("*", se) :]
    parsed = parse(text.encode())
    assert parsed.errors == []
    tx = parsed.transactions[0]
    message = outcomes(registry.select("x12", tx.version, "850"), tx)
    assert "(PO4)" in message and "a second PO4 in one PO1 loop" in message


def test_once_tags_leave_out_filtered_paths_and_the_loop_start() -> None:
    mapping = MappingRegistry(default_root()).select("x12", "004010", "856")
    orders = next(f for f in mapping.fields if isinstance(f, GroupSpec) and f.name == "orders")
    lines = next(f for f in orders.fields if isinstance(f, GroupSpec) and f.name == "lines")
    assert once_tags(lines) == {"LIN", "SN1", "PO4"}  # not LIN[id=BP]'s choice, not HL
    assert lines.once == once_tags(lines) and orders.watch
