"""The XML form: round trips, the XSD on the way in and out, safe parsing, errors with lines."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from gateway.canonical import DOCUMENT_TYPES, Invoice, PurchaseOrder
from gateway.canonical.xml import NAMESPACE, CanonicalXmlError, from_xml, schema, schema_text, to_xml

XS = "{http://www.w3.org/2001/XMLSchema}"


def _line_of(xml: bytes, needle: bytes) -> int:
    return xml[: xml.index(needle)].count(b"\n") + 1


@pytest.mark.parametrize("kind", sorted(DOCUMENT_TYPES))
def test_round_trip_of_each_document_type(samples, kind) -> None:
    doc = DOCUMENT_TYPES[kind].model_validate(samples[kind])
    xml = to_xml(doc)
    root = etree.fromstring(xml)
    assert root.tag == f"{{{NAMESPACE}}}{kind}"
    back = from_xml(xml)
    assert type(back) is type(doc)
    assert back == doc
    assert back.to_json_dict() == doc.to_json_dict()


def test_xml_keeps_decimal_scale_and_iso_dates(samples) -> None:
    xml = to_xml(PurchaseOrder.model_validate(samples["purchase_order"]))
    assert b"<unit_price>12.50</unit_price>" in xml
    assert b"<order_date>2024-01-15</order_date>" in xml
    assert b"<purpose>" not in xml  # absent values are absent elements


@settings(suppress_health_check=[HealthCheck.too_slow], max_examples=80, deadline=None)
@given(data=st.data())
def test_xml_round_trip_of_generated_documents(document_dicts, data) -> None:
    raw = data.draw(document_dicts)
    doc = DOCUMENT_TYPES[raw["type"]].model_validate(raw)
    back = from_xml(to_xml(doc))
    assert back == doc
    assert back.to_json_dict() == doc.to_json_dict()


def test_xsd_rejection_names_line_and_element(samples) -> None:
    xml = to_xml(Invoice.model_validate(samples["invoice"]))
    bad = xml.replace(b"<quantity>6</quantity>", b"<quantity>-6</quantity>")
    with pytest.raises(CanonicalXmlError) as info:
        from_xml(bad)
    [problem] = info.value.problems
    assert problem.element == "quantity"
    assert problem.line == _line_of(bad, b"<quantity>-6")
    assert f"line {problem.line}, element quantity" in str(info.value)


def test_unknown_and_missing_elements_are_reported_together(samples) -> None:
    xml = to_xml(Invoice.model_validate(samples["invoice"]))
    bad = xml.replace(b"<total>699.00</total>", b"<grand_total>699.00</grand_total>")
    bad = bad.replace(b"<currency>USD</currency>", b"<currency>usd</currency>")
    with pytest.raises(CanonicalXmlError) as info:
        from_xml(bad)
    by_element = {p.element: p for p in info.value.problems}
    assert by_element["grand_total"].line == _line_of(bad, b"<grand_total>")
    assert by_element["currency"].line == _line_of(bad, b"<currency>usd")


@pytest.mark.parametrize(
    ("old", "new", "element"),
    [
        (
            b"<invoice_date>2024-02-03</invoice_date>",
            b"<invoice_date>2024-02-30</invoice_date>",
            "invoice_date",
        ),
        (
            b"<invoice_date>2024-02-03</invoice_date>",
            b"<invoice_date>2024-02-03Z</invoice_date>",
            "invoice_date",
        ),
        (b"<total>699.00</total>", b"<total>6.99E2</total>", "total"),
        (b"<kind>invoice</kind>", b"<kind>debit</kind>", "kind"),
        (b"<role>remit_to</role>", b"<role>carrier</role>", "role"),
    ],
)
def test_xsd_rejects_bad_values(samples, old, new, element) -> None:
    xml = to_xml(Invoice.model_validate(samples["invoice"]))
    assert old in xml
    with pytest.raises(CanonicalXmlError) as info:
        from_xml(xml.replace(old, new))
    assert [p.element for p in info.value.problems] == [element]


def test_model_rules_after_the_xsd_name_the_line(samples) -> None:
    xml = to_xml(Invoice.model_validate(samples["invoice"]))
    bad = xml.replace(b"<currency>USD</currency>", b"<currency>ABC</currency>")  # fits [A-Z]{3}, not ISO
    with pytest.raises(CanonicalXmlError) as info:
        from_xml(bad)
    [problem] = info.value.problems
    assert problem.element == "currency"
    assert problem.line == _line_of(bad, b"<currency>ABC")
    assert "ISO 4217" in problem.message


def test_item_without_ids_names_the_line(samples) -> None:
    xml = to_xml(Invoice.model_validate(samples["invoice"]))
    bad = xml.replace(b"<asin>B07XJ8C8F5</asin>", b"", 1)
    with pytest.raises(CanonicalXmlError) as info:
        from_xml(bad)
    [problem] = info.value.problems
    assert problem.element == "lines/0/item"
    assert problem.line == _line_of(bad, b"<item")


def test_elements_may_come_in_any_order_and_text_may_be_padded() -> None:
    xml = f"""<?xml version="1.0"?>
    <return_authorization xmlns="{NAMESPACE}">
      <lines><line>
        <quantity> 2 </quantity>
        <item><ean>0840006647121</ean></item>
      </line></lines>
      <rma_date>
        2024-03-01
      </rma_date>
      <rma_number>RMA-1</rma_number>
    </return_authorization>""".encode()
    rma = from_xml(xml)
    assert rma.rma_number == "RMA-1"
    assert rma.rma_date.isoformat() == "2024-03-01"
    assert rma.lines[0].quantity == 2


def test_not_well_formed_xml_names_the_line() -> None:
    with pytest.raises(CanonicalXmlError, match="not well-formed") as info:
        from_xml(b"<invoice>\n<total>1</invoice>")
    assert info.value.problems[0].line == 2


def test_wrong_namespace_or_root_is_rejected(samples) -> None:
    xml = to_xml(Invoice.model_validate(samples["invoice"]))
    with pytest.raises(CanonicalXmlError, match="schema"):
        from_xml(xml.replace(NAMESPACE.encode(), b"urn:other"))
    with pytest.raises(CanonicalXmlError, match="schema"):
        from_xml(f'<order xmlns="{NAMESPACE}"/>'.encode())


@pytest.mark.parametrize(
    ("doctype", "body"),
    [
        ('<!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>', "&x;"),
        ('<!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>', "&b;"),
        ("<!DOCTYPE return_authorization>", "RMA-1"),
    ],
)
def test_entities_are_not_expanded_and_doctype_is_refused(tmp_path, doctype, body) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    xml = (
        doctype.format(secret=secret)
        + f'<return_authorization xmlns="{NAMESPACE}"><rma_number>{body}</rma_number></return_authorization>'
    )
    with pytest.raises(CanonicalXmlError) as info:
        from_xml(xml.encode())
    assert "TOPSECRET" not in str(info.value)
    assert info.value.problems[0].line == 1


def test_to_xml_refuses_text_xml_cannot_hold(samples) -> None:
    data = samples["invoice"]
    data["lines"][0]["description"] = "bad \x01 char"
    with pytest.raises(CanonicalXmlError, match="cannot be written"):
        to_xml(Invoice.model_validate(data))


def _complex_types() -> dict[str, list[str]]:
    tree = etree.fromstring(schema_text().encode())
    return {
        ct.get("name"): [e.get("name") for e in ct.iter(f"{XS}element")]
        for ct in tree.iter(f"{XS}complexType")
    }


@pytest.mark.parametrize("kind", sorted(DOCUMENT_TYPES))
def test_the_schema_names_every_field_of_each_document(kind) -> None:
    cls = DOCUMENT_TYPES[kind]
    xsd_fields = _complex_types()[cls.__name__]
    assert xsd_fields == [name for name in cls.model_fields if name != "type"]


def test_the_schema_compiles_and_says_its_namespace() -> None:
    assert schema() is schema()
    assert re.search(rf'targetNamespace="{re.escape(NAMESPACE)}"', schema_text())
