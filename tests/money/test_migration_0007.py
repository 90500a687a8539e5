"""Migration 0007 from today's head (0006) with data in it: stored check reasons take the one
vocabulary, discrepancies and their history are untouched, and downgrade gives the old names back."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from sqlmodel import Session, select

from gateway.store import make_engine
from gateway.store.migrate import alembic_config
from gateway.store.models import Discrepancy
from gateway.store.money import InvoiceCheck
from tests.conftest import BACKENDS, pg_schema
from tests.money.conftest import invoice, store


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.sqlite3'}"
        return
    with pg_schema("m7") as url:
        yield url


def _to(url: str, engine, revision: str, *, down: bool = False) -> None:
    config = alembic_config(url)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def test_0007_renames_stored_reasons_and_keeps_discrepancy_history(empty_url: str) -> None:
    engine = make_engine(empty_url)
    _to(empty_url, engine, "0006")
    with Session(engine) as session:
        row = store(session, "erp", invoice("INV-1", {"1": 24}), status="blocked")
        old = [
            {"code": "currency_differs", "message": "currency EUR differs from USD"},
            {"code": "cost_differs_from_po", "message": "line 1: cost 13 per EA is not the PO cost 12.50"},
            {"code": "terms_missing", "message": "no payment terms"},
        ]
        session.add(InvoiceCheck(document_id=row.id, reasons=old))
        notes = [{"at": "2026-01-16T00:00:00", "actor": "reconcile", "status": "open", "note": "found"}]
        session.add(
            Discrepancy(
                key="po:4TQ8ZK2M|price_mismatch|INV-1|1",
                partner="amazon-us",
                kind="price_mismatch",
                po_number="4TQ8ZK2M",
                amount_at_risk=Decimal("12.00"),
                notes=notes,
            )
        )
        session.commit()
        document_id = row.id
    _to(empty_url, engine, "0007")
    with Session(engine) as session:
        check = session.get(InvoiceCheck, document_id)
        assert [r["code"] for r in check.reasons] == ["currency_mismatch", "price_mismatch", "terms_missing"]
        assert [r["message"] for r in check.reasons] == [r["message"] for r in old]  # the words as they were
        (kept,) = session.exec(select(Discrepancy)).all()
        assert (kept.kind, kept.amount_at_risk, kept.notes) == ("price_mismatch", Decimal("12.00"), notes)
    _to(empty_url, engine, "0006", down=True)
    with Session(engine) as session:
        assert session.get(InvoiceCheck, document_id).reasons == old
    engine.dispose()
