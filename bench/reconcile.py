"""Reconcile benchmark: a full pass over 10,000 POs vs the incremental pass after one new ASN.

Builds, in a fresh database, ``--pos`` purchase orders of ``--lines`` lines each (10,000 x 10 =
100,000 PO lines; Amazon's, partner ``amazon-us``), one warehouse ASN per PO shipping every line
(partner ``warehouse``) and one ERP invoice per ASN (partner ``erp``): 30,000 documents and
300,000 document lines, bulk-inserted in the shape :func:`gateway.store.documents.save_document`
gives them. One PO in fifty is over-shipped and one invoice in fifty is priced wrong, so a
full pass has findings to write.

Then it times, wall clock (the database does part of the work, in another process for PostgreSQL):

- ``full``: :func:`gateway.reconcile.reconcile_all` from scratch (every discrepancy created);
- ``incremental``: ``--repeat`` times, a new ASN for a random PO is stored and
  :func:`gateway.reconcile.reconcile_documents` runs on it, as the pipeline does after each
  message (median and worst reported; the new ASN is rolled back after each timing).

Prints both and the ratio incremental / full. Target: an incremental pass under 50 ms at this size.
Runs on a SQLite file, and on PostgreSQL when ``--pg URL`` (or ``ACORN_TEST_DATABASE_URL``) is given
(a scratch schema, dropped afterwards).

Usage: ``python bench/reconcile.py [--pos 10000] [--lines 10] [--repeat 20] [--pg URL]``.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

import gateway.store.money  # noqa: E402, F401
from gateway.config import load_partners  # noqa: E402
from gateway.reconcile import reconcile_all, reconcile_documents  # noqa: E402
from gateway.store import make_engine, upgrade_database  # noqa: E402
from gateway.store.documents import save_document  # noqa: E402
from gateway.store.models import Document, DocumentLine, utcnow  # noqa: E402

DAY = date(2026, 1, 12)
SKUS = 2000


def item(n: int) -> dict:
    return {
        "asin": f"B{n:09d}",
        "ean": f"{8400000000000 + n:013d}",
        "upc": None,
        "vendor_sku": f"SKU-{n}",
        "buyer_sku": None,
    }


def documents(pos: int, lines: int) -> Iterator[tuple[dict, list[dict]]]:
    """(document row, its lines) for every PO, ASN and invoice."""
    rng = random.Random(7)
    now = utcnow()
    for i in range(pos):
        number = f"P{i:07d}"
        body = []
        for n in range(1, lines + 1):
            sku = rng.randrange(SKUS)
            body.append((str(n), item(sku), rng.randrange(1, 100), Decimal(rng.randrange(100, 9999)) / 100))
        over = i % 50 == 0
        wrong_price = i % 50 == 25
        po = {
            "type": "purchase_order",
            "po_number": number,
            "order_date": str(DAY),
            "currency": "USD",
            "deliver_not_after": str(DAY + timedelta(days=14)),
            "ship_to_location": "ABE8",
            "lines": [
                {"line_no": n, "item": it, "quantity": str(q), "uom": "EA", "unit_price": str(p)}
                for n, it, q, p in body
            ],
        }
        yield (
            _row(
                "amazon-us",
                "purchase_order",
                number,
                po,
                now,
                po_number=number,
                document_date=DAY,
                delivery_date=DAY + timedelta(days=14),
            ),
            [_line(n, number, it, q, p) for n, it, q, p in body],
        )
        sid = f"ASN-{number}"
        shipped = [(n, it, q + (1 if over and n == "1" else 0), p) for n, it, q, p in body]
        asn = {
            "type": "shipment",
            "shipment_id": sid,
            "ship_date": str(DAY + timedelta(days=3)),
            "ship_to_location": "ABE8",
            "orders": [
                {
                    "po_number": number,
                    "lines": [
                        {"line_no": n, "item": it, "quantity": str(q), "uom": "EA"} for n, it, q, _ in shipped
                    ],
                }
            ],
        }
        yield (
            _row(
                "warehouse",
                "shipment",
                sid,
                asn,
                now,
                po_number=number,
                shipment_id=sid,
                document_date=DAY + timedelta(days=3),
            ),
            [_line(n, number, it, q) for n, it, q, _ in shipped],
        )
        inv_no = f"INV-{number}"
        billed = [
            (n, it, q, p + (Decimal("0.10") if wrong_price and n == "1" else 0)) for n, it, q, p in body
        ]
        total = sum((q * p for _, _, q, p in billed), Decimal(0))
        inv = {
            "type": "invoice",
            "invoice_number": inv_no,
            "invoice_date": str(DAY + timedelta(days=4)),
            "kind": "invoice",
            "po_number": number,
            "shipment_id": sid,
            "currency": "USD",
            "lines": [
                {"line_no": n, "item": it, "quantity": str(q), "uom": "EA", "unit_price": str(p)}
                for n, it, q, p in billed
            ],
            "total": str(total),
        }
        yield (
            _row(
                "erp",
                "invoice",
                inv_no,
                inv,
                now,
                po_number=number,
                shipment_id=sid,
                invoice_number=inv_no,
                document_date=DAY + timedelta(days=4),
                total=total,
            ),
            [_line(n, number, it, q, p) for n, it, q, p in billed],
        )


_DOC_COLUMNS = dict.fromkeys(
    (
        "po_number",
        "shipment_id",
        "invoice_number",
        "rma_number",
        "document_date",
        "delivery_date",
        "total",
        "status",
    )
)


def _row(partner: str, kind: str, key: str, data: dict, now, **columns) -> dict:
    return {
        "partner": partner,
        "type": kind,
        "business_key": key,
        "revision": 1,
        "data": data,
        "currency": "USD",
        "created_at": now,
        "updated_at": now,
        **_DOC_COLUMNS,
        **columns,
    }


def _line(n: str, po: str, it: dict, q: int, p: Decimal | None = None) -> dict:
    return {
        "line_no": n,
        "po_number": po,
        "asin": it["asin"],
        "ean": it["ean"],
        "upc": None,
        "vendor_sku": it["vendor_sku"],
        "buyer_sku": None,
        "sscc": None,
        "quantity": Decimal(q),
        "uom": "EA",
        "case_size": None,
        "unit_price": p,
    }


def load(engine: Engine, pos: int, lines: int) -> float:
    start = time.perf_counter()
    batch: list[tuple[dict, list[dict]]] = []
    with engine.begin() as conn:
        for entry in documents(pos, lines):
            batch.append(entry)
            if len(batch) == 3000:
                _flush(conn, batch)
        _flush(conn, batch)
    return time.perf_counter() - start


def _flush(conn, batch: list[tuple[dict, list[dict]]]) -> None:
    if not batch:
        return
    ids = (
        conn.execute(
            insert(Document).returning(Document.id, sort_by_parameter_order=True), [row for row, _ in batch]
        )
        .scalars()
        .all()
    )
    conn.execute(
        insert(DocumentLine),
        [{**ln, "document_id": i} for i, (_, lns) in zip(ids, batch, strict=True) for ln in lns],
    )
    batch.clear()


def run(name: str, url: str, engine: Engine, pos: int, lines: int, repeat: int) -> None:
    upgrade_database(url, engine)
    loaded = load(engine, pos, lines)
    partners = load_partners(ROOT / "partners")
    with Session(engine) as session:
        start = time.perf_counter()
        report = reconcile_all(session, partners, today=DAY + timedelta(days=5))
        session.commit()
        full = time.perf_counter() - start
    rng = random.Random(11)
    times = []
    from gateway.canonical import Shipment

    for k in range(repeat):
        number = f"P{rng.randrange(pos):07d}"
        asn = Shipment.model_validate(
            {
                "shipment_id": f"NEW-{k}-{number}",
                "ship_date": str(DAY + timedelta(days=4)),
                "ship_to_location": "ABE8",
                "orders": [
                    {"po_number": number, "lines": [{"line_no": "1", "item": item(1), "quantity": "1"}]}
                ],
            }
        )
        with Session(engine) as session:
            row = save_document(session, "warehouse", asn).document
            session.flush()
            start = time.perf_counter()
            reconcile_documents(session, partners, [row], today=DAY + timedelta(days=5))
            times.append(time.perf_counter() - start)
            session.rollback()
    median, worst = statistics.median(times), max(times)
    print(
        f"{name:<10} load {loaded:6.1f} s | full {full:6.2f} s ({report.scopes} scopes, {report.findings} findings) "
        f"| incremental median {median * 1000:6.1f} ms, worst {worst * 1000:6.1f} ms | ratio {median / full:.5f}"
    )


@contextmanager
def pg_schema(url: str) -> Iterator[str]:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        sep = "&" if "?" in url else "?"
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pos", type=int, default=10_000)
    parser.add_argument("--lines", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--pg", default=os.environ.get("ACORN_TEST_DATABASE_URL", ""))
    args = parser.parse_args()
    print(f"{args.pos} POs x {args.lines} lines, one ASN and one invoice each")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        engine = make_engine(url)
        run("sqlite", url, engine, args.pos, args.lines, args.repeat)
        engine.dispose()
    if args.pg:
        with pg_schema(args.pg) as url:
            engine = make_engine(url)
            run("postgresql", url, engine, args.pos, args.lines, args.repeat)
            engine.dispose()


if __name__ == "__main__":
    main()
