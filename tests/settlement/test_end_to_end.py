"""Issue 18, "Done when", through the real pipeline on SQLite and PostgreSQL: EDI files are ingested as
Amazon (850, 820, 180), the warehouse (856) and our ERP (810) send them, the receiving report goes in
with ``acorn receipts import`` and the claim is worked with ``acorn claims``.

PO M0NEY001 -> ASN-M1-A (12 lamps in carton ...1013, 48 bulbs in ...1020) -> INV-M1-A (378.00) ->
the FC receives 10 lamps (short by 2) -> an 820 pays INV-M1-A and deducts INV-M1-A-SC 25.00 -> the
claim matches our predicted shortage (2 x 12.50), is disputed with an evidence pack and reversed by
a later 820 (INV-M1-A-SCR); RMA-M1-01 (2 lamps) -> our credit note -> an 820's returns deduction ->
ERP events once each on an HMAC webhook that refuses the first try; reminders fire once before each
deadline and not again, to a webhook alert channel.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from gateway.config.settings import AlertSettings, load_settings
from gateway.invoicing import build_credit_note
from gateway.service import pipeline
from gateway.service.money import approve_invoice
from gateway.service.runtime import Runtime
from gateway.settlement import erp_delivery, hooks, ledger, reminders
from gateway.settlement.payments import invoice_statuses
from gateway.store import session_scope
from gateway.store.models import AuditEntry, Discrepancy
from gateway.store.settlement import Claim, ClaimEvent, ErpEvent, Reminder
from tests.money.conftest import PROFILES, make_config, run_cli
from tests.settlement.conftest import SECRET, Receiver

DATA = Path(__file__).resolve().parents[1] / "money" / "data"
LAMPS, BULBS = "00008400123450001013", "00008400123450001020"  # the ASN's cartons, as Amazon prints them
SETTLEMENT = """settlement:
          erp: {{type: webhook, url: "{url}", secret_env: ACORN_TEST_ERP_SECRET, max_attempts: 3}}
          reminder_lead_days: {{po_ack_due: 1, asn_due: 1, invoice_due: 1, payment_due: 3, claim_deadline: 5}}
        """


def x12_820(control: int, paid_on: str, lines: list[tuple[str, str, str | None]]) -> bytes:
    """Amazon's 820: one RMR per (reference, amount paid, invoice amount); BPR02 is their sum."""
    total = sum((Decimal(paid) for _, paid, _ in lines), Decimal(0))
    rmr = [f"RMR*IV*{ref}**{paid}" + (f"*{invoiced}" if invoiced else "") for ref, paid, invoiced in lines]
    body = [
        f"BPR*C*{abs(total):.2f}*{'C' if total >= 0 else 'D'}*ACH*CCP*01*011000015*DA*1*1**01*1*DA*1*{paid_on}",
        f"TRN*1*PAY-{control}*1234567890",
        "CUR*PR*USD",
        "N1*PR*Amazon.com Services LLC*92*AMZN",
        "N1*PE*ACME Vendor Inc.*92*ACMEV",
        "ENT*1",
        *rmr,
    ]
    st = ["ST*820*0001", *body, f"SE*{len(body) + 2}*0001"]
    text = (
        f"ISA*00*          *00*          *ZZ*AMAZON         *ZZ*ACMEVENDOR     *{paid_on[2:]}*0800*U*00401*"
        f"{control:09d}*0*P*>~GS*RA*AMAZON*ACMEVENDOR*{paid_on}*0800*{control}*X*004010~"
        + "~".join(st)
        + f"~GE*1*{control}~IEA*1*{control:09d}~"
    )
    return text.encode()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(fail_first=1)
    yield r
    r.close()


@pytest.fixture
def alerts() -> Iterator[Receiver]:
    r = Receiver(signed=False)
    yield r
    r.close()


@pytest.fixture
def config(tmp_path: Path, any_db_url: str, receiver: Receiver, alerts: Receiver) -> Path:
    """amazon-us in manual mode (the invoices are the ERP's), its ERP events to ``receiver``."""
    body = PROFILES["amazon-us"] + SETTLEMENT.format(url=receiver.url)
    return make_config(
        tmp_path,
        mode="manual",
        url=any_db_url,
        profiles={"amazon-us": body},
        more=f"alerts: {{webhook_url: '{alerts.url}'}}\n",
    )


@pytest.fixture
def gateway(config: Path) -> Iterator[Runtime]:
    runtime = Runtime.open(settings=load_settings(config))
    yield runtime
    runtime.close()


def feed(runtime: Runtime, *files: str | tuple[str, bytes]) -> None:
    for item in files:
        name, data = item if isinstance(item, tuple) else (item, (DATA / item).read_bytes())
        receipt = pipeline.ingest(runtime, data, name)
        assert receipt.state == "done", (name, receipt)


def cli(config: Path, *args: str) -> str:
    result = run_cli(config, *args)
    assert result.exit_code == 0, result.output
    return result.stdout


SHIPPED = ("x12_850_m0ney001.edi", "x12_856_m1_a.edi", "x12_810_m1_a.edi")  # INV-M1-A 2026-01-16, net 60


def _receive_ten_lamps(config: Path, tmp_path: Path) -> dict:
    report = tmp_path / "receiving-2026-01-22.csv"
    report.write_text(
        "PO Number,ASIN,Received Quantity,Carton ID,Receive Date,Shipment ID\n"
        f"M0NEY001,B0C4LMP7Q2,10,{LAMPS},01/22/2026,ASN-M1-A\n"
        f"M0NEY001,B0D2BLB6K8,48,{BULBS},01/22/2026,ASN-M1-A\n",
        encoding="utf-8",
    )
    return json.loads(cli(config, "receipts", "import", str(report), "--partner", "amazon-us", "--json"))


def test_a_short_receipt_becomes_a_predicted_claim_disputed_with_a_pack_and_reversed(
    gateway: Runtime, config: Path, tmp_path: Path
) -> None:
    feed(gateway, *SHIPPED)
    imported = _receive_ten_lamps(config, tmp_path)
    found = {f["kind"]: f for f in imported["findings"]}
    assert set(found) == {"invoiced_past_received", "carton_short_received"}
    short = found["invoiced_past_received"]
    assert (short["invoice_number"], short["expected"], short["actual"], short["amount_at_risk"]) == (
        "INV-M1-A",
        "<= 10 EA received",
        "12 EA invoiced",
        "25.00",
    )
    assert found["carton_short_received"]["actual"] == "10 EA received"
    again = _receive_ten_lamps(config, tmp_path)  # the same report twice: nothing new
    assert [f["id"] for f in again["findings"]] == [f["id"] for f in imported["findings"]]

    feed(
        gateway,
        (
            "pay-1.edi",
            x12_820(801, "20260310", [("INV-M1-A", "378.00", "378.00"), ("INV-M1-A-SC", "-25.00", None)]),
        ),
    )
    [claim] = json.loads(cli(config, "claims", "list", "--json"))
    assert {
        k: claim[k] for k in ("reference", "kind", "status", "amount", "invoice_number", "po_number")
    } == {
        "reference": "INV-M1-A-SC",
        "kind": "shortage",
        "status": "new",
        "amount": "25.00",
        "invoice_number": "INV-M1-A",
        "po_number": "M0NEY001",
    }
    assert (claim["shipment_id"], claim["predicted"], claim["predicted_amount"]) == (
        "ASN-M1-A",
        True,
        "25.00",
    )
    assert claim["deadline"] == "2026-04-16"  # due 2026-03-17 (net 60) + the 30-day shortage window
    evidence = {e["kind"]: e for e in claim["evidence"]}
    assert {"invoice", "asn", "labels", "carton", "receipt"} <= set(evidence)
    assert evidence["asn"]["bol"] == "BOLASN-M1-A"
    cartons = {e["sscc"]: Decimal(e["received"]) for e in claim["evidence"] if e["kind"] == "carton"}
    assert cartons == {LAMPS[2:]: 10, BULBS[2:]: 48}
    [payment] = json.loads(cli(config, "payments", "--json", "--today", "2026-03-10"))
    assert (payment["state"], payment["paid"], payment["deducted"]) == ("short_paid", "378.00", "-25.00")

    n = str(claim["id"])
    assert run_cli(config, "claims", "resolve", n, "lost", "--reason", "too early").exit_code == 2
    pod = tmp_path / "pod signed.pdf"
    pod.write_bytes(b"%PDF-1.4 proof of delivery")
    cli(config, "claims", "resolve", n, "to_dispute", "--reason", "both cartons delivered", "--actor", "fin")
    cli(config, "claims", "attach", n, str(pod), "--actor", "fin")
    cli(config, "claims", "dispute", n, "--reason", "filed in Vendor Central with the pack", "--actor", "fin")
    pack_path = tmp_path / "pack.zip"
    cli(config, "claims", "export", n, "-o", str(pack_path))
    pack = zipfile.ZipFile(io.BytesIO(pack_path.read_bytes()))
    index = json.loads(pack.read("index.json"))
    assert (index["reference"], index["amount"]) == ("INV-M1-A-SC", "25.00")
    files = [e["file"] for e in index["evidence"] if e.get("file")]
    assert pack.read(next(f for f in files if f.endswith("pod_signed.pdf"))) == b"%PDF-1.4 proof of delivery"
    assert any("asn" in f for f in files) and "INV-M1-A-SC" in pack.read("index.txt").decode()

    reversal = ("pay-2.edi", x12_820(802, "20260401", [("INV-M1-A-SCR", "25.00", None)]))
    feed(gateway, reversal)
    assert pipeline.ingest(gateway, reversal[1], "pay-2-again.edi").state != "failed"  # a duplicate file
    shown = json.loads(cli(config, "claims", "show", n))
    assert (shown["status"], shown["recovered"], shown["reversed_by"]) == ("won", "25.00", "INV-M1-A-SCR")
    assert [(e["action"], e["to"], e["actor"]) for e in shown["events"]] == [
        ("opened", "new", "acorn"),
        ("status", "to_dispute", "fin"),
        ("attach", "to_dispute", "fin"),
        ("status", "disputed", "fin"),
        ("status", "won", "acorn"),
    ]
    [payment] = json.loads(cli(config, "payments", "--json", "--today", "2026-04-01"))
    assert payment["state"] == "paid"
    with session_scope(gateway.engine) as session:
        audited = session.exec(select(AuditEntry).where(AuditEntry.target_type == "claim")).all()
        assert len(audited) == 5 and all(a.reason and a.actor for a in audited)


def test_a_return_its_credit_note_and_returns_deduction_reach_the_erp_once_each(
    gateway: Runtime, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACORN_TEST_ERP_SECRET", SECRET)
    feed(gateway, *SHIPPED, "x12_180_m1_rma.edi")
    with session_scope(gateway.engine) as session:
        note_id = build_credit_note(session, gateway.partners, "RMA-M1-01").id
    approve_invoice(gateway, note_id, "finance")
    with session_scope(gateway.engine) as session:
        [entry] = ledger.refund_ledger(session, sync=False)
        credit_note = entry.credit_note
    assert credit_note is not None and entry.deduction is None

    deduction = ("pay-3.edi", x12_820(803, "20260305", [("RTV-RMA-M1-01", "-25.00", None)]))
    feed(gateway, deduction)
    pipeline.ingest(gateway, deduction[1], "pay-3-again.edi")  # the same 820 twice: nothing new
    with session_scope(gateway.engine) as session:
        events = session.exec(select(ErpEvent).order_by(ErpEvent.id)).all()  # type: ignore[arg-type]
        assert [(e.kind, e.source, e.source_ref) for e in events] == [
            ("inventory_adjustment", "return_authorization", "RMA-M1-01"),
            ("cost_adjustment", "return_authorization", "RMA-M1-01"),
            ("cost_adjustment", "deduction", "RTV-RMA-M1-01"),
        ]
        assert (
            Decimal(events[0].payload["quantity"]) == 2
            and events[0].payload["disposition"] == "return_to_vendor"
        )
        assert Decimal(events[1].payload["amount"]) == Decimal("25.00")
        assert Decimal(events[2].payload["amount"]) == Decimal("-25.00")  # what the deduction took
        keys = [e.key for e in events]

        first = hooks.hourly(session, gateway.partners, None, date(2026, 3, 5))  # the receiver says 503 once
        assert (first["erp_delivered"], first["erp_failed"]) == (2, 0)
        second = hooks.hourly(session, gateway.partners, None, date(2026, 3, 5))
        third = hooks.hourly(session, gateway.partners, None, date(2026, 3, 5))
        assert (second["erp_delivered"], third["erp_delivered"]) == (1, 0)
        assert sorted(b["id"] for b in receiver.accepted) == sorted(keys) and receiver.refused == []

        [entry] = ledger.refund_ledger(session)
        assert (entry.rma_number, entry.credit_note, entry.deduction, entry.matched) == (
            "RMA-M1-01",
            credit_note,
            "RTV-RMA-M1-01",
            True,
        )
        open_kinds = {
            d.kind for d in session.exec(select(Discrepancy).where(Discrepancy.status != "resolved"))
        }
        assert "refund_unmatched" not in open_kinds and "credit_note_missing" not in open_kinds


def test_an_erp_that_refuses_the_signature_fails_the_events_after_their_attempts(
    gateway: Runtime, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACORN_TEST_ERP_SECRET", "not-the-secret")
    feed(gateway, *SHIPPED, "x12_180_m1_rma.edi")
    with session_scope(gateway.engine) as session:
        for _ in range(3):
            erp_delivery.deliver_pending(session, gateway.partners)
        rows = session.exec(select(ErpEvent)).all()
        assert {(e.state, e.attempts) for e in rows} == {("failed", 3)} and receiver.accepted == []
        assert all("401" in (e.last_error or "") and SECRET not in (e.last_error or "") for e in rows)
        [entry] = ledger.refund_ledger(session)
        assert not entry.matched
    with session_scope(gateway.engine) as session:
        assert session.exec(select(Discrepancy).where(Discrepancy.kind == "refund_unmatched")).first()


def test_reminders_fire_once_before_each_deadline_and_not_again(gateway: Runtime, alerts: Receiver) -> None:
    channel = AlertSettings(webhook_url=alerts.url)

    def run(day: date) -> list[tuple[str, str]]:
        with session_scope(gateway.engine) as session:
            return [
                (r.kind, r.subject) for r in reminders.run_reminders(session, gateway.partners, channel, day)
            ]

    feed(gateway, *SHIPPED, "x12_850_m0ney002.edi")  # M0NEY002 of 2026-01-13, delivery from 2026-01-13
    assert run(date(2026, 1, 10)) == []
    assert run(date(2026, 1, 11)) == [("asn_due", "M0NEY002")]  # due the day before its window opens
    assert run(date(2026, 1, 12)) == []
    assert run(date(2026, 1, 13)) == [("po_ack_due", "M0NEY002")]  # due 2026-01-14, the day after the order
    assert run(date(2026, 1, 14)) == []
    feed(gateway, "x12_856_m2_a.edi")  # shipped 2026-01-16: its invoice is due 3 days later
    assert run(date(2026, 1, 18)) == [("invoice_due", "ASN-M2-A/M0NEY002")]
    assert run(date(2026, 1, 19)) == []
    feed(gateway, ("pay-4.edi", x12_820(804, "20260301", [("VCBSINV0000001", "-15.00", None)])))
    assert run(date(2026, 3, 13)) == []
    assert run(date(2026, 3, 14)) == [("payment_due", "INV-M1-A")]  # 3 days before 2026-03-17
    assert run(date(2026, 3, 17)) == []
    assert run(date(2026, 3, 26)) == [("claim_deadline", "VCBSINV0000001")]  # 5 days before 2026-03-31
    assert run(date(2026, 3, 31)) == []
    assert run(date(2026, 4, 16)) == [("overdue", "INV-M1-A")]  # 30 days past due
    assert run(date(2026, 4, 20)) == []

    sent = [a["kind"] for body in alerts.accepted for a in body["alerts"]]
    assert sent == ["asn_due", "po_ack_due", "invoice_due", "payment_due", "claim_deadline", "overdue"]
    with session_scope(gateway.engine) as session:
        rows = session.exec(select(Reminder)).all()
        assert len(rows) == 6 and all(r.sent_at is not None for r in rows)
        [status] = invoice_statuses(session, gateway.partners, date(2026, 4, 22))
        assert status.state == "overdue"
        [claim] = session.exec(select(Claim)).all()
        assert (claim.kind, claim.deadline) == ("chargeback", date(2026, 3, 31))  # 30 days from notice
        events = session.exec(select(ClaimEvent)).all()
        assert [e.action for e in events] == ["opened"]
