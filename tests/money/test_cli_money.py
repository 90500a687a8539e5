"""``acorn reconcile``, ``discrepancies``, ``invoices`` and ``alerts`` through click's runner on a real SQLite file."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from tests.money.conftest import add_documents, asn, invoice, make_config, po, run_cli

US, EU, WH, ERP = "amazon-us", "amazon-eu", "warehouse", "erp"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return make_config(
        tmp_path,
        (US, po()),
        (WH, asn("ASN-1", {"1": 30, "2": 48})),
        (ERP, invoice("INV-1", {"2": 48}, prices={"2": "4.95"})),
        (EU, po("EU123456", currency="EUR")),
        (WH, asn("ASN-EU", {"1": 10}, po_number="EU123456")),
    )


run = run_cli


def test_reconcile_then_list_and_move_discrepancies(config: Path) -> None:
    result = run(config, "reconcile")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("reconciled 2 PO(s)") and "2 new" in result.stdout
    result = run(config, "discrepancies", "--open", "--json")
    rows = {d["kind"]: d for d in json.loads(result.stdout)}
    assert set(rows) == {"over_shipment", "price_mismatch"}
    over = rows["over_shipment"]
    assert {k: over[k] for k in ("po_number", "expected", "actual", "amount_at_risk", "status")} == {
        "po_number": "4TQ8ZK2M",
        "expected": "<= 24 EA ordered",
        "actual": "30 EA shipped",
        "amount_at_risk": "75.00",
        "status": "open",
    }
    result = run(
        config,
        "discrepancies",
        "set",
        str(over["id"]),
        "acknowledged",
        "--note",
        "asked WH",
        "--actor",
        "ann",
    )
    assert result.exit_code == 0 and "is now acknowledged" in result.stdout
    result = run(config, "discrepancies", "set", str(over["id"]), "open")
    assert (
        result.exit_code == 2
        and result.stderr.startswith("acorn: discrepancy")
        and "Traceback" not in result.output
    )
    text = run(config, "discrepancies", "--status", "acknowledged").stdout
    assert (
        "over_shipment (amazon-us) PO 4TQ8ZK2M line 1: expected <= 24 EA ordered, got 30 EA shipped at risk 75.00 USD"
        in text
    )
    assert run(config, "discrepancies", "--status", "closed").exit_code == 2
    assert run(config, "reconcile", "--partner", "nobody").exit_code == 2
    result = run(config, "reconcile", "--po", "4TQ8ZK2M", "--json")
    assert json.loads(result.stdout)["purchase_orders"] == 1


def test_build_check_send_and_list_invoices(config: Path) -> None:
    result = run(config, "invoices", "build", "--shipment", "ASN-EU", "--today", "2026-01-16", "--json")
    assert result.exit_code == 0, result.output
    (inv,) = json.loads(result.stdout)
    assert (inv["invoice_number"], inv["state"], inv["total"]) == ("ACME-EU-2026-000001", "draft", "148.75")
    assert run(config, "invoices", "send", str(inv["id"])).exit_code == 2  # manual mode: approve first
    result = run(config, "invoices", "approve", str(inv["id"]), "--note", "ok")
    assert result.exit_code == 0, result.output
    assert f"invoice document {inv['id']} queued as message" in result.stdout
    listed = json.loads(run(config, "invoices", "list", "--json").stdout)
    fields = [
        {k: i[k] for k in ("invoice_number", "po_number", "shipment_id", "state", "total", "blocked_reasons")}
        for i in listed
    ]
    assert {
        "invoice_number": "ACME-EU-2026-000001",
        "po_number": "EU123456",
        "shipment_id": "ASN-EU",
        "state": "queued",
        "total": "148.75",
        "blocked_reasons": [],
    } in fields
    assert {
        "invoice_number": "INV-1",
        "po_number": "4TQ8ZK2M",
        "shipment_id": "ASN-1",
        "state": "received",
        "total": "237.60",
        "blocked_reasons": [],
    } in fields


def test_a_blocked_invoice_exits_3_with_every_reason(config: Path) -> None:
    def add(*docs: tuple[str, object]) -> None:
        add_documents(config, *docs)

    add((WH, asn("ASN-2", {"3": 12}, ship_date=date(2026, 1, 20))))
    result = run(config, "invoices", "build", "--shipment", "ASN-2", "--json")
    assert result.exit_code == 0, result.output
    (inv,) = json.loads(result.stdout)
    add((US, po(lines={"1": 24, "2": 48})))  # Amazon drops line 3 from the PO after it shipped
    result = run(config, "invoices", "check", str(inv["id"]))
    assert result.exit_code == 3 and "1 reason(s)" in result.stderr
    assert "item_not_on_po: B0B9SHD3N1 (expected an item of the PO)" in result.stderr
    (listed,) = json.loads(run(config, "invoices", "list", "--state", "blocked", "--json").stdout)
    assert [r["code"] for r in listed["blocked_reasons"]] == ["item_not_on_po"]
    result = run(config, "invoices", "send", str(inv["id"]))
    assert result.exit_code == 3 and "is blocked" in result.stderr and "Traceback" not in result.output
    add((WH, asn("ASN-4", {"1": 1}, ship_date=date(2026, 1, 9))))
    result = run(config, "invoices", "build", "--shipment", "ASN-4", "--today", "2026-01-10")
    assert result.exit_code == 3 and ": blocked" in result.stdout
    assert "date_in_future: invoice date 2026-01-12 is after today (2026-01-10)" in result.stderr
    result = run(config, "invoices", "build", "--shipment", "ASN-1", "--json")  # the ERP's invoice
    assert result.exit_code == 0 and json.loads(result.stdout)[0]["invoice_number"] == "INV-1"
    assert run(config, "invoices", "send", "999").stderr == "acorn: no invoice document 999\n"
    assert run(config, "invoices", "build").exit_code == 2
    add((WH, asn("ASN-5", {"3": 1})))
    result = run(config, "invoices", "build", "--shipment", "ASN-5")
    assert result.exit_code == 2 and "ships nothing of PO 4TQ8ZK2M" in result.stderr


def test_alerts_check(config: Path) -> None:
    result = run(config, "alerts", "check", "--today", "2026-01-30", "--no-notify", "--json")
    assert result.exit_code == 0, result.output
    alerts = json.loads(result.stdout)
    assert [(a["kind"], a["partner"], a["shipment_id"], a["amount_at_risk"], a["new"]) for a in alerts] == [
        ("not_invoiced", EU, "ASN-EU", "125.00", True)
    ]
    again = run(config, "alerts", "check", "--today", "2026-01-30", "--no-notify")
    assert "0 new" in again.stdout
