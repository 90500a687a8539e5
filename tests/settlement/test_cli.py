"""``acorn ingest`` of Amazon's 820 runs the settlement hook; ``acorn payments`` and ``acorn claims``
list, show, dispute, resolve and export, through click's runner on a real SQLite file."""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path

import pytest

from tests.money.conftest import ROOT, invoice, make_config, po, run_cli

SAMPLE = ROOT / "mappings" / "tests" / "x12-820-4010-amazon.edi"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return make_config(
        tmp_path,
        ("amazon-us", po("T3XB8ZQ4", lines={"1": 52}, order_date=date(2024, 1, 20))),
        (
            "amazon-us",
            invoice("INV-24-0042", {"1": 52}, po_number="T3XB8ZQ4", invoice_date=date(2024, 2, 3)),
            "accepted",
        ),
    )


run = run_cli


def test_an_ingested_820_opens_claims_that_the_cli_disputes_and_exports(config: Path, tmp_path: Path) -> None:
    result = run(config, "ingest", "--partner", "amazon-us", str(SAMPLE))
    assert result.exit_code == 0, result.output

    result = run(config, "payments", "--json", "--today", "2024-04-10")
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.stdout)
    assert (row["invoice_number"], row["state"], row["paid"], row["deducted"]) == (
        "INV-24-0042",
        "short_paid",
        "637.00",
        "-25.00",
    )

    result = run(config, "claims", "list", "--json")
    claims = {c["reference"]: c for c in json.loads(result.stdout)}
    assert {k: (c["kind"], c["amount"]) for k, c in claims.items()} == {
        "INV-24-0042-SC": ("shortage", "25.00"),
        "VCBSINV0012345": ("chargeback", "15.00"),
        "COOP-2024-Q1": ("coop", "5.00"),
    }
    sc = claims["INV-24-0042-SC"]
    assert (sc["invoice_number"], sc["po_number"], sc["deadline"]) == (
        "INV-24-0042",
        "T3XB8ZQ4",
        "2024-05-03",
    )

    result = run(config, "claims", "resolve", str(sc["id"]), "lost", "--reason", "x")
    assert result.exit_code == 2 and "can move to" in result.stderr
    result = run(config, "claims", "dispute", str(sc["id"]), "--reason", "all 52 delivered", "--actor", "fin")
    assert result.exit_code == 0 and "is now disputed" in result.stdout
    result = run(
        config, "claims", "resolve", str(sc["id"]), "won", "--recovered", "12.50", "--reason", "half"
    )
    assert result.exit_code == 0, result.output
    shown = json.loads(run(config, "claims", "show", str(sc["id"])).stdout)
    assert shown["status"] == "won" and shown["recovered"] == "12.50"
    assert [e["to"] for e in shown["events"]] == ["new", "disputed", "won"]

    out = tmp_path / "pack.zip"
    result = run(config, "claims", "export", str(sc["id"]), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert {"index.json", "index.txt"} <= set(zipfile.ZipFile(out).namelist())
    result = run(config, "claims", "show", "999")
    assert result.exit_code == 2 and result.stderr.strip() == "acorn: no claim 999"


def test_a_receiving_report_that_does_not_read_is_refused_with_every_problem(
    config: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.csv"
    report.write_text(
        "PO Number,ASIN,Received Quantity\nT3XB8ZQ4,B0C4LMP7Q2,ten\n,B0C4LMP7Q2,\n", encoding="utf-8"
    )
    result = run(config, "receipts", "import", str(report), "--partner", "amazon-us")
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "row 2" in result.stderr and "row 3" in result.stderr
    good = tmp_path / "good.csv"
    good.write_text(
        "PO Number,ASIN,Received Quantity,Receive Date\nT3XB8ZQ4,B0C4LMP7Q2,50,02/20/2024\n", encoding="utf-8"
    )
    result = run(config, "receipts", "import", str(good), "--partner", "nobody")
    assert result.exit_code == 2 and result.stderr.startswith("acorn: unknown partner 'nobody' (known: ")
    result = run(config, "receipts", "import", str(good), "--partner", "amazon-us")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "receipt good: 1 line(s) of PO T3XB8ZQ4 stored",
        "  invoiced_past_received PO T3XB8ZQ4 line 1: expected <= 50 EA received, got 52 EA invoiced",
    ]  # no money here: the invoice names an ASN we lack, so invoice_without_asn carries its whole total
