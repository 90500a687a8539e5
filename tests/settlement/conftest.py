"""Settlement fixtures: the money fixtures (migrated database, partner profiles, document builders)
plus builders of receipts and remittances, and a loopback HTTP receiver that checks HMAC signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

import gateway.store.settlement  # noqa: F401  (register the settlement tables)
from gateway.canonical import Receipt, Remittance
from tests.money.conftest import (  # noqa: F401  (fixtures)
    _sqlite_template,
    any_db_url,
    any_engine,
    db_url,
    engine,
    partners,
    session,
)
from tests.transports.conftest import sshd  # noqa: F401  (the real OpenSSH server fixture)

SECRET = "erp-shared-secret"


@pytest.fixture
def db(any_engine: Engine) -> Iterator[Session]:  # noqa: F811  (the fixture imported above)
    """A session on a migrated database of each backend (SQLite file; PostgreSQL when configured)."""
    with Session(any_engine, expire_on_commit=False) as s:
        yield s


def receipt(
    receipt_id: str,
    lines: dict[str, int],
    *,
    po_number: str,
    shipment_id: str | None = "ASN-1",
    ssccs: dict[str, str] | None = None,
    received: date = date(2026, 1, 22),
) -> Receipt:
    """What the FC received: PO line -> eaches, each line in the carton ``ssccs[line]`` when given."""
    from tests.money.conftest import ITEMS

    return Receipt.model_validate(
        {
            "receipt_id": receipt_id,
            "receipt_date": received,
            "po_number": po_number,
            "shipment_id": shipment_id,
            "lines": [
                {
                    "line_no": n,
                    "item": {"asin": ITEMS[n]["asin"]},
                    "quantity": q,
                    "sscc": (ssccs or {}).get(n),
                }
                for n, q in lines.items()
            ],
        }
    )


def remittance(
    trace: str,
    lines: list[tuple[str, str]],
    *,
    paid_on: date = date(2026, 3, 10),
    invoice_amounts: dict[str, str] | None = None,
    adjustments: list[dict[str, Any]] | None = None,
) -> Remittance:
    """A credit advice paying ``lines`` (reference, amount paid); the amount is what they add up to."""
    amounts = invoice_amounts or {}
    adjustments = adjustments or []
    total = sum((Decimal(a) for _, a in lines), Decimal(0)) + sum(
        (Decimal(a["amount"]) for a in adjustments), Decimal(0)
    )
    return Remittance.model_validate(
        {
            "trace_number": trace,
            "payment_date": paid_on,
            "currency": "USD",
            "credit_debit": "credit",
            "lines": [
                {
                    "reference": r,
                    "reference_qualifier": "IV",
                    "amount_paid": a,
                    "invoice_amount": amounts.get(r),
                }
                for r, a in lines
            ],
            "adjustments": adjustments,
            "amount": str(total),
        }
    )


class Receiver:
    """A loopback HTTP server that records the bodies it accepts (``signed``: only those whose HMAC
    signature is right); it answers 503 to the first ``fail_first`` requests."""

    def __init__(self, fail_first: int = 0, *, signed: bool = True) -> None:
        self.accepted: list[dict[str, Any]] = []
        self.refused: list[str] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                want = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
                if receiver.fail_first > 0:
                    receiver.fail_first -= 1
                    self.send_response(503)
                elif signed and not hmac.compare_digest(want, self.headers.get("X-Acorn-Signature", "")):
                    receiver.refused.append(self.headers.get("X-Acorn-Event", ""))
                    self.send_response(401)
                else:
                    receiver.accepted.append(json.loads(body))
                    self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/erp"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(fail_first=1)
    yield r
    r.close()
