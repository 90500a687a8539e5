"""The charts' numbers equal the rows inserted (both backends), the pictures are SVG without
script, the business page and its CSV exports answer, and CSV cells cannot become formulas."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import Session, select

from gateway.console import charts, charts_data
from gateway.console.csv_export import safe_cell, to_csv
from gateway.store.models import Discrepancy, Document, DocumentLine, Message
from tests.console.conftest import login_as

TODAY = date(2026, 11, 20)


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _message(partner: str | None, state: str, day: date, hour: int = 12) -> Message:
    return Message(
        direction="in", partner=partner, sha256="0" * 64, archive_path="x", state=state,
        created_at=_at(day, hour), updated_at=_at(day, hour),
    )  # fmt: skip


def test_messages_per_day_counts_the_rows(store_engine) -> None:
    d1, d2 = TODAY - timedelta(days=1), TODAY
    with Session(store_engine) as s:
        s.add_all([
            _message("amazon-us", "done", d1, 1), _message("amazon-us", "failed", d1, 23),
            _message("amazon-us", "done", d2), _message("amazon-eu", "failed", d2),
            _message(None, "failed", d2), _message("amazon-us", "done", TODAY - timedelta(days=40)),
        ])  # fmt: skip
        s.commit()
        table = charts_data.messages_per_day(s, TODAY)
    assert table.rows == [
        (d1, "amazon-us", 2, 1),
        (d2, "(unknown)", 1, 1),
        (d2, "amazon-eu", 1, 1),
        (d2, "amazon-us", 1, 0),
    ]


def _discrepancy(key: str, kind: str, amount: str | None, day: date, **kw) -> Discrepancy:
    return Discrepancy(
        key=key, partner="amazon-us", kind=kind, currency="USD",
        amount_at_risk=Decimal(amount) if amount else None, created_at=_at(day), updated_at=_at(day), **kw,
    )  # fmt: skip


def test_money_at_risk_and_recovered(store_engine) -> None:
    d1, d2 = TODAY - timedelta(days=2), TODAY
    with Session(store_engine) as s:
        s.add_all([
            _discrepancy("a", "price_mismatch", "10.50", d1),
            _discrepancy("b", "over_shipment", "4.25", d1, status="resolved", resolved_at=_at(d2)),
            _discrepancy("c", "part_case", None, d1),
        ])  # fmt: skip
        s.commit()
        table = charts_data.money_at_risk(s, TODAY)
    assert table.rows == [(d1, "USD", Decimal("14.75"), 0), (d2, "USD", 0, Decimal("4.25"))]


def _doc(kind: str, key: str, day: date, partner: str = "amazon-us", **kw) -> Document:
    return Document(partner=partner, type=kind, business_key=key, document_date=day, **kw)


def test_invoice_states_split_credit_notes(store_engine) -> None:
    with Session(store_engine) as s:
        s.add_all([
            _doc("invoice", "i1", TODAY, status="sent", currency="USD", total=Decimal("100"), data={"kind": "invoice"}),
            _doc("invoice", "i2", TODAY, status="sent", currency="USD", total=Decimal("50.5"), data={"kind": "invoice"}),
            _doc("invoice", "c1", TODAY, status="draft", currency="USD", total=Decimal("20"), data={"kind": "credit_note"}),
        ])  # fmt: skip
        s.commit()
        table = charts_data.invoice_states(s, TODAY)
    assert table.rows == [
        ("draft", "credit_note", "USD", 1, Decimal("20")),
        ("sent", "invoice", "USD", 2, Decimal("150.5")),
    ]


def _with_lines(s: Session, doc: Document, *lines: DocumentLine) -> None:
    s.add(doc)
    s.flush()
    for line in lines:
        line.document_id = doc.id
        s.add(line)


def test_return_rate_in_eaches_per_marketplace_and_sku(store_engine) -> None:
    with Session(store_engine) as s:
        _with_lines(
            s, _doc("shipment", "s1", TODAY),
            DocumentLine(document_id=0, line_no="1", vendor_sku="SKU-A", quantity=Decimal(2), uom="CA", case_size=Decimal(12)),
            DocumentLine(document_id=0, line_no="2", vendor_sku="SKU-B", quantity=Decimal(10)),
            DocumentLine(document_id=0, line_no="3", vendor_sku="SKU-C", quantity=Decimal(1), uom="CA"),
        )  # fmt: skip
        _with_lines(
            s, _doc("return_authorization", "r1", TODAY),
            DocumentLine(document_id=0, line_no="1", vendor_sku="SKU-A", quantity=Decimal(6)),
        )  # fmt: skip
        _with_lines(
            s, _doc("shipment", "s2", TODAY, partner="amazon-eu"),
            DocumentLine(document_id=0, line_no="1", vendor_sku="SKU-A", quantity=Decimal(5)),
        )  # fmt: skip
        s.commit()
        table = charts_data.return_rate(s, TODAY)
    assert table.rows == [
        ("amazon-eu", "SKU-A", 5, 0, Decimal("0.0")),
        ("amazon-us", "SKU-A", 24, 6, Decimal("25.0")),
        ("amazon-us", "SKU-B", 10, 0, Decimal("0.0")),
    ]


def test_po_volume_by_week(store_engine) -> None:
    monday = TODAY - timedelta(days=TODAY.weekday())
    with Session(store_engine) as s:
        _with_lines(
            s,
            _doc("purchase_order", "p1", monday),
            DocumentLine(document_id=0, line_no="1", quantity=Decimal(3), uom="CA", case_size=Decimal(4)),
        )
        _with_lines(
            s,
            _doc("purchase_order", "p2", monday + timedelta(days=2)),
            DocumentLine(document_id=0, line_no="1", quantity=Decimal(5)),
            DocumentLine(document_id=0, line_no="2", quantity=Decimal(1)),
        )
        _with_lines(
            s,
            _doc("purchase_order", "p3", monday - timedelta(days=1)),
            DocumentLine(document_id=0, line_no="1", quantity=Decimal(7)),
        )
        s.commit()
        table = charts_data.po_volume(s, TODAY)
    assert table.rows == [(monday - timedelta(days=7), 1, 7), (monday, 2, 18)]


def test_shortage_value_by_fc_and_by_sku(store_engine) -> None:
    with Session(store_engine) as s:
        for number, fc in (("PO1", "ABE2"), ("PO2", "SEA6")):
            _with_lines(
                s, _doc("purchase_order", number, TODAY, po_number=number, data={"ship_to_location": fc}),
                DocumentLine(document_id=0, line_no="1", vendor_sku="SKU-A", quantity=Decimal(1)),
                DocumentLine(document_id=0, line_no="2", vendor_sku="SKU-B", quantity=Decimal(1)),
            )  # fmt: skip
        s.add_all([
            _discrepancy("s1", "shortage", "12.50", TODAY, po_number="PO1", line_no="1"),
            _discrepancy("s2", "invoiced_over_shipped", "7.50", TODAY, po_number="PO1", line_no="2"),
            _discrepancy("s3", "shortage", "5", TODAY, po_number="PO2", line_no="1"),
            _discrepancy("s4", "price_mismatch", "99", TODAY, po_number="PO2", line_no="1"),
        ])  # fmt: skip
        s.commit()
        by_fc = charts_data.shortage_by_fc(s, TODAY)
        by_sku = charts_data.shortage_by_sku(s, TODAY)
    assert by_fc.rows == [("ABE2", "USD", Decimal("20.00"), 2), ("SEA6", "USD", Decimal("5"), 1)]
    assert by_sku.rows == [("SKU-A", "USD", Decimal("17.50"), 2), ("SKU-B", "USD", Decimal("7.50"), 1)]


def test_every_chart_renders_svg_without_script(store_engine) -> None:
    with Session(store_engine) as s:
        s.add_all([_message("amazon-us", "failed", TODAY), _discrepancy("a", "shortage", "3", TODAY)])
        s.commit()
        for name, spec in charts.CHARTS.items():
            svg = charts.render_svg(spec, charts.table(s, name, TODAY))
            assert svg.startswith(b"<?xml") and b"<svg" in svg, name
            assert b"<script" not in svg and b'href="http' not in svg, name


def test_series_put_values_under_their_labels() -> None:
    spec = charts.CHARTS["messages"]
    table = charts_data.Table("messages", "t", ("day", "partner", "messages", "failed"), [
        (date(2026, 1, 1), "a", 3, 1), (date(2026, 1, 2), "b", 2, 0),
    ])  # fmt: skip
    labels, series = charts.series_of(spec, table)
    assert labels == ["2026-01-01", "2026-01-02"]
    assert series == {
        "a messages": [3, None],
        "a failed": [1, None],
        "b messages": [None, 2],
        "b failed": [None, 0],
    }


def test_business_page_pictures_and_exports(client, runtime, seeded) -> None:
    login_as(client, runtime, "viewer")
    page = client.get("/business")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name in charts.CHARTS:
        assert f'src="/business/{name}.svg"' in html and f'href="/business/{name}.csv"' in html
    picture = client.get("/business/messages.svg")
    assert picture.status_code == 200 and picture.mimetype == "image/svg+xml"
    assert "script-src" not in picture.headers["Content-Security-Policy"]
    assert "default-src 'none'" in picture.headers["Content-Security-Policy"]
    export = client.get("/business/shortage_fc.csv")
    assert export.mimetype == "text/csv" and "attachment" in export.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True))))
    assert rows[0] == ["fc", "currency", "value", "discrepancies"]
    assert rows[1][1:] == ["USD", "12.5", "1"]
    assert client.get("/business/nope.svg").status_code == 404
    dashboard = client.get("/").get_data(as_text=True)
    assert 'src="/business/messages.svg"' in dashboard and 'src="/business/money.svg"' in dashboard


def test_business_needs_a_login(client) -> None:
    assert client.get("/business").status_code in (302, 401)
    assert client.get("/business/messages.svg").status_code in (302, 401)


@given(st.text(max_size=20))
def test_a_text_cell_never_starts_a_formula(text: str) -> None:
    cell = safe_cell(text)
    assert isinstance(cell, str)
    assert not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert cell == text or cell == "'" + text
    parsed = next(csv.reader(io.StringIO(to_csv([text], []))))
    assert parsed == [cell]


def test_numbers_stay_numbers_in_csv() -> None:
    assert to_csv(["a", "b", "c"], [(-5, Decimal("-1.50"), "=1+1")]).splitlines()[1] == "-5,-1.5,'=1+1"


def _csv(client, path: str) -> list[list[str]]:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_every_list_exports_csv_with_its_filter(client, runtime, seeded) -> None:
    login_as(client, runtime, "viewer")
    messages = _csv(client, "/messages?format=csv&state=failed")
    assert messages[0][:3] == ["id", "created_at", "direction"]
    assert [r[0] for r in messages[1:]] == [str(seeded["failed_message"])]
    everything = _csv(client, "/messages?format=csv")
    with Session(runtime.engine) as s:
        stored = sorted((m.id for m in s.exec(select(Message))), reverse=True)
    assert [int(r[0]) for r in everything[1:]] == stored
    pos = _csv(client, "/po?format=csv")
    assert pos[0][:3] == ["id", "partner", "po_number"] and [r[2] for r in pos[1:]] == ["4TQ8ZK2M"]
    found = _csv(client, "/discrepancies?format=csv&kind=shortage")
    assert found[1][3] == "shortage" and found[1][12] == "12.5"
    assert len(_csv(client, "/discrepancies?format=csv&kind=nothing")) == 1
    invoices = _csv(client, "/invoices?format=csv")
    assert invoices[0][-1] == "kind" and invoices[1][2] == "ACME-SEED-000001"
    audit = _csv(client, "/audit?format=csv")
    assert audit[0] == ["id", "at", "actor", "action", "target_type", "target_id", "reason", "detail"]
    assert 'href="/discrepancies?format=csv' in client.get("/discrepancies").get_data(as_text=True)


def test_export_walks_past_one_batch(store_engine) -> None:
    from gateway.console.paging import every_row

    with Session(store_engine) as s:
        s.add_all([_discrepancy(f"k{i}", "shortage", "1", TODAY) for i in range(7)])
        s.commit()
        ids = [d.id for d in every_row(s, select(Discrepancy), Discrepancy.id, batch=3)]
        capped = [d.id for d in every_row(s, select(Discrepancy), Discrepancy.id, batch=3, cap=4)]
    assert ids == sorted(ids, reverse=True) and len(ids) == 7 and len(set(ids)) == 7
    assert capped == ids[:4]


def test_a_hostile_cell_is_quoted_in_the_export(client, runtime, seeded) -> None:
    with Session(runtime.engine) as s:
        s.add(
            Discrepancy(
                key="evil", partner="amazon-us", kind="shortage", expected='=HYPERLINK("x")', actual="@SUM(1)"
            )
        )
        s.commit()
    login_as(client, runtime, "viewer")
    rows = _csv(client, "/discrepancies?format=csv&po=")
    evil = next(r for r in rows if r[3] == "shortage" and r[10].startswith("'"))
    assert evil[10] == '\'=HYPERLINK("x")' and evil[11] == "'@SUM(1)"
