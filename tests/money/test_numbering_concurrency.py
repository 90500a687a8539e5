"""Invoice numbers are unique and never reused, across concurrent workers and restarts (SQLite file and
PostgreSQL); two workers invoicing the same shipment at once make one invoice."""

from __future__ import annotations

import threading
from datetime import date

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from gateway.invoicing import build_invoices
from gateway.store import make_engine
from gateway.store.models import Document
from tests.money.conftest import asn, po, store

US, WH = "amazon-us", "warehouse"
DAY = date(2026, 1, 16)
PER_WORKER = 8


def _prepare(engine: Engine, shipments: list[str]) -> None:
    with Session(engine) as session:
        store(session, US, po(lines={"1": 10**6, "2": 10**6, "3": 10**6}))
        for sid in shipments:
            store(session, WH, asn(sid, {"1": 1}))
        session.commit()


def _run_workers(engine: Engine, partners, jobs: list[list[str]]) -> list[str]:
    numbers: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(jobs))
    lock = threading.Lock()

    def worker(shipments: list[str]) -> None:
        try:
            barrier.wait()
            for sid in shipments:
                with Session(engine) as session:
                    (row,) = build_invoices(session, partners, sid, today=DAY)
                    number = row.invoice_number
                    session.commit()
                with lock:
                    numbers.append(number)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    return numbers


def test_two_workers_never_share_a_number(any_engine, partners) -> None:
    a = [f"ASN-A{i}" for i in range(PER_WORKER)]
    b = [f"ASN-B{i}" for i in range(PER_WORKER)]
    _prepare(any_engine, a + b)
    numbers = _run_workers(any_engine, partners, [a, b])
    expected = {f"ACME-2026-{n:06d}" for n in range(1, 2 * PER_WORKER + 1)}
    assert len(numbers) == 2 * PER_WORKER and set(numbers) == expected


def test_two_workers_on_the_same_shipment_make_one_invoice(any_engine, partners) -> None:
    _prepare(any_engine, ["ASN-1"])
    numbers = _run_workers(any_engine, partners, [["ASN-1"], ["ASN-1"]])
    assert numbers == ["ACME-2026-000001", "ACME-2026-000001"]
    with Session(any_engine) as session:
        invoices = session.exec(select(Document).where(Document.type == "invoice")).all()
        assert len(invoices) == 1


def test_numbering_goes_on_after_a_restart(any_db_url, any_engine, partners) -> None:
    _prepare(any_engine, ["ASN-1", "ASN-2"])
    with Session(any_engine) as session:
        build_invoices(session, partners, "ASN-1", today=DAY)
        session.commit()
    any_engine.dispose()
    restarted = make_engine(any_db_url)
    try:
        with Session(restarted) as session:
            (row,) = build_invoices(session, partners, "ASN-2", today=DAY)
            session.commit()
            assert row.invoice_number == "ACME-2026-000002"
    finally:
        restarted.dispose()
