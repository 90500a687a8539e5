"""Aging checks (each with a case that alerts and one that does not) and alert delivery to a real
local HTTP server (webhook) and a real local SMTP server (a minimal one, in a thread)."""

from __future__ import annotations

import json
import logging
import socket
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gateway.config.settings import AlertSettings, EmailAlerts, Settings
from gateway.outbound.alerts import Alert, deliver
from gateway.reconcile import check_aging
from gateway.store.models import Document, DocumentMessage, Message
from tests.money.conftest import asn, invoice, po, rma, store

US, WH, ERP = "amazon-us", "warehouse", "erp"
QUIET = Settings()


class Webhook:
    """A local HTTP server recording the JSON bodies POSTed to it."""

    def __init__(self, status: int = 204) -> None:
        self.bodies: list[dict] = []
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                hook.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Smtp:
    """A minimal SMTP server (EHLO/HELO, MAIL, RCPT, DATA, QUIT) keeping each message it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], str]] = []
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                def say(line: str) -> None:
                    self.wfile.write(line.encode() + b"\r\n")

                say("220 test ESMTP")
                sender, rcpts = "", []
                while True:
                    line = self.rfile.readline().decode().rstrip("\r\n")
                    verb = line[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        say("250 test")
                    elif verb == "MAIL":
                        sender = line.split(":", 1)[1].strip().strip("<>")
                        say("250 ok")
                    elif verb == "RCPT":
                        rcpts.append(line.split(":", 1)[1].strip().strip("<>"))
                        say("250 ok")
                    elif verb == "DATA":
                        say("354 go ahead")
                        body = []
                        while (data := self.rfile.readline().decode()) not in (".\r\n", ""):
                            body.append(data)
                        outer.messages.append((sender, rcpts, "".join(body)))
                        say("250 queued")
                    elif verb == "QUIT" or not line:
                        say("221 bye")
                        return
                    else:
                        say("250 ok")

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    hook = Webhook()
    yield hook
    hook.close()


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    server = Smtp()
    yield server
    server.close()


def by_kind(alerts: list[Alert]) -> dict[str, list[Alert]]:
    out: dict[str, list[Alert]] = {}
    for a in alerts:
        out.setdefault(a.kind, []).append(a)
    return out


def test_shipped_but_not_invoiced(session, partners) -> None:
    store(session, US, po())
    store(session, WH, asn("ASN-1", {"1": 24, "2": 10}))
    assert check_aging(session, partners, QUIET, date(2026, 1, 17)) == []  # 2 days, the rule is 3
    (alert,) = check_aging(session, partners, QUIET, date(2026, 1, 19))
    assert (alert.kind, alert.partner, alert.shipment_id, alert.po_number) == (
        "not_invoiced",
        US,
        "ASN-1",
        "4TQ8ZK2M",
    )
    assert alert.amount_at_risk == Decimal("347.50") and alert.new  # 24 x 12.50 + 10 x 4.75
    store(session, ERP, invoice("INV-1", {"1": 24, "2": 10}))
    assert check_aging(session, partners, QUIET, date(2026, 1, 20)) == []


def _rejected(session, today: date) -> Document:
    row = store(session, US, invoice("ACME-2026-000001", {"1": 24}), status="rejected")
    message = Message(
        direction="out",
        partner=US,
        sha256="0" * 64,
        archive_path="x",
        state="rejected",
        ack_detail={"status": "rejected", "codes": [], "transactions": [{"codes": ["5", "I12"]}]},
    )
    session.add(message)
    session.flush()
    session.add(DocumentMessage(document_id=row.id, message_id=message.id, role="sent"))
    row.updated_at = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    session.add(row)
    session.flush()
    return row


def test_invoices_rejected_and_not_resent(session, partners) -> None:
    store(session, US, po())
    store(session, WH, asn("ASN-1", {"1": 24}))
    row = _rejected(session, date(2026, 1, 18))
    assert "invoice_rejected" not in by_kind(check_aging(session, partners, QUIET, date(2026, 1, 18)))
    (alert,) = by_kind(check_aging(session, partners, QUIET, date(2026, 1, 19)))["invoice_rejected"]
    assert alert.invoice_number == "ACME-2026-000001" and "(5, I12)" in alert.message
    row.status = "queued"  # resent
    session.add(row)
    assert "invoice_rejected" not in by_kind(check_aging(session, partners, QUIET, date(2026, 1, 20)))


def test_pos_past_their_window_without_an_asn(session, partners) -> None:
    store(session, US, po())
    store(session, US, po("7KQ2MX4P"))
    store(session, WH, asn("ASN-7", {"1": 1}, po_number="7KQ2MX4P"))
    assert "po_not_shipped" not in by_kind(check_aging(session, partners, QUIET, date(2026, 1, 26)))
    (alert,) = by_kind(check_aging(session, partners, QUIET, date(2026, 1, 27)))["po_not_shipped"]
    assert (alert.kind, alert.po_number, alert.amount_at_risk) == (
        "po_not_shipped",
        "4TQ8ZK2M",
        Decimal("744"),
    )


def test_return_rate_per_sku_and_partner(session, partners) -> None:
    store(session, US, po())
    store(session, WH, asn("ASN-1", {"1": 20, "2": 40}))
    store(session, ERP, invoice("INV-1", {"1": 20, "2": 40}))
    store(session, US, rma("RMA-1", {"1": 2}))  # 10 %: not above
    assert check_aging(session, partners, QUIET, date(2026, 2, 2)) == []
    store(session, US, rma("RMA-2", {"1": 1}))
    alerts = by_kind(check_aging(session, partners, QUIET, date(2026, 2, 2)))
    (sku,) = alerts["return_rate_high"]
    assert "15.0% of B0C4LMP7Q2 returned (3 of 20 EA" in sku.message
    store(session, US, rma("RMA-3", {"2": 4}))  # 7 of 60 over the partner: 11.7 %
    messages = sorted(a.message for a in check_aging(session, partners, QUIET, date(2026, 2, 2)))
    assert [m.split(" returned")[0] for m in messages] == [
        "returns of amazon-us: 11.7% of all items",
        "returns of amazon-us: 15.0% of B0C4LMP7Q2",
    ]


def test_alerts_are_delivered_once_to_webhook_and_email(session, partners, webhook, smtp) -> None:
    settings = Settings(
        alerts=AlertSettings(
            webhook_url=webhook.url,
            email=EmailAlerts(
                to=["finance@example.com"],
                sender="acorn@example.com",
                smtp_host="127.0.0.1",
                smtp_port=smtp.port,
            ),
        )
    )
    store(session, US, po())
    store(session, WH, asn("ASN-1", {"1": 24}))
    alerts = check_aging(session, partners, settings, date(2026, 1, 19))
    session.commit()
    assert [a.new for a in alerts] == [True]
    (body,) = webhook.bodies
    assert body["count"] == 1 and body["alerts"][0]["kind"] == "not_invoiced"
    assert body["alerts"][0]["amount_at_risk"] == "300.00" and body["alerts"][0]["shipment_id"] == "ASN-1"
    ((sender, rcpts, text),) = smtp.messages
    assert (sender, rcpts) == ("acorn@example.com", ["finance@example.com"])
    assert "Subject: ACORN: 1 alert(s)" in text and "not_invoiced" in text and "ASN-1" in text
    again = check_aging(session, partners, settings, date(2026, 1, 20))
    assert [a.new for a in again] == [False] and len(webhook.bodies) == 1 and len(smtp.messages) == 1


def test_a_channel_that_is_down_is_logged_not_raised(caplog) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = AlertSettings(
        webhook_url=f"http://127.0.0.1:{port}/hook",
        email=EmailAlerts(to=["x@example.com"], smtp_host="127.0.0.1", smtp_port=port),
    )
    with caplog.at_level(logging.WARNING, logger="gateway.outbound.alerts"):
        report = deliver([Alert("not_invoiced", US, "ASN-1 not invoiced")], settings, timeout=2)
    assert (report.logged, report.webhook, report.email) == (1, False, False)
    assert len(report.errors) == 2
    assert any(
        "alert: WARNING amazon-us not_invoiced: ASN-1 not invoiced" in r.message for r in caplog.records
    )


def test_a_webhook_answering_an_error_is_reported() -> None:
    hook = Webhook(status=500)
    try:
        report = deliver(
            [Alert("po_not_shipped", US, "late")], AlertSettings(webhook_url=hook.url), timeout=5
        )
    finally:
        hook.close()
    assert report.webhook is False and "500" in report.errors[0] and len(hook.bodies) == 1
