"""Discrepancy rows: idempotent, self-closing, reopened, moved by people with notes and an audit trail;
incremental runs touch only the scopes of the new documents; reconcile_all agrees with them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import event
from sqlmodel import Session, select

from gateway.reconcile import (
    DiscrepancyError,
    discrepancy_json,
    list_discrepancies,
    reconcile_all,
    reconcile_documents,
    reconcile_po,
    scopes_of,
    set_discrepancy_status,
)
from gateway.store.models import AuditEntry, Discrepancy
from tests.conftest import NEEDS_PG
from tests.money.conftest import asn, invoice, po, reconcile_stored, store

US, WH, ERP = "amazon-us", "warehouse", "erp"


def all_rows(session: Session) -> list[Discrepancy]:
    return list(session.exec(select(Discrepancy).order_by(Discrepancy.id)).all())


def test_rerunning_updates_instead_of_duplicating(session, partners) -> None:
    reconcile_stored(session, partners, (US, po()), (WH, asn("ASN-1", {"1": 30})))
    first = [(r.id, r.key, r.status) for r in all_rows(session)]
    report = reconcile_all(session, partners)
    session.commit()
    assert [(r.id, r.key, r.status) for r in all_rows(session)] == first
    assert report.counts.created == report.counts.updated == report.counts.closed == 0
    assert report.counts.unchanged == 1


def test_a_finding_changes_in_place(session, partners) -> None:
    reconcile_stored(session, partners, (US, po()), (WH, asn("ASN-1", {"1": 30})))
    (row,) = all_rows(session)
    reconcile_stored(session, partners, (WH, asn("ASN-2", {"1": 2})))
    (again,) = all_rows(session)
    assert again.id == row.id and again.actual == "32 EA shipped" and again.amount_at_risk == Decimal("100")


def test_a_finding_closes_itself_when_the_data_no_longer_shows_it(session, partners) -> None:
    reconcile_stored(session, partners, (US, po()), (WH, asn("ASN-1", {"1": 30})))
    reconcile_stored(session, partners, (WH, asn("ASN-1", {"1": 24})))  # the warehouse corrects its ASN
    (row,) = all_rows(session)
    assert row.status == "resolved" and row.resolved_at is not None
    assert row.notes[-1]["note"] == "no longer found" and row.notes[-1]["actor"] == "reconcile"
    audit = session.exec(select(AuditEntry).where(AuditEntry.target_id == str(row.id))).all()
    assert [(a.action, a.actor, a.reason) for a in audit] == [
        ("discrepancy.resolved", "reconcile", "no longer found")
    ]
    reconcile_stored(
        session, partners, (WH, asn("ASN-1", {"1": 31}))
    )  # wrong again: reopened, not duplicated
    (row,) = all_rows(session)
    assert (row.status, row.notes[-1]["note"], row.actual) == ("open", "found again", "31 EA shipped")


def test_people_move_discrepancies_with_notes_and_audit(session, partners) -> None:
    reconcile_stored(session, partners, (US, po()), (WH, asn("ASN-1", {"1": 30})))
    (row,) = all_rows(session)
    with pytest.raises(DiscrepancyError, match="can go to acknowledged, not resolved"):
        set_discrepancy_status(session, row.id, "resolved", "ann", "fixed")
    set_discrepancy_status(session, row.id, "acknowledged", "ann", "looking")
    set_discrepancy_status(session, row.id, "disputed", "bob", "Amazon received 30")
    set_discrepancy_status(session, row.id, "resolved", "bob", "claim reversed")
    session.commit()
    assert [(n["actor"], n["status"], n["note"]) for n in row.notes] == [
        ("reconcile", "open", "found"),
        ("ann", "acknowledged", "looking"),
        ("bob", "disputed", "Amazon received 30"),
        ("bob", "resolved", "claim reversed"),
    ]
    audit = session.exec(select(AuditEntry).where(AuditEntry.target_type == "discrepancy")).all()
    assert [(a.actor, a.detail["from"], a.detail["to"]) for a in audit] == [
        ("ann", "open", "acknowledged"),
        ("bob", "acknowledged", "disputed"),
        ("bob", "disputed", "resolved"),
    ]
    # a person's decision stands while the data still shows the finding
    reconcile_all(session, partners)
    assert session.get(Discrepancy, row.id).status == "resolved"
    with pytest.raises(DiscrepancyError, match="unknown status"):
        set_discrepancy_status(session, row.id, "closed", "ann")
    with pytest.raises(DiscrepancyError, match="no discrepancy 999"):
        set_discrepancy_status(session, 999, "open", "ann")


def test_incremental_runs_only_touch_the_new_documents_scopes(session, partners, engine) -> None:
    other = "7KQ2MX4P"
    reconcile_stored(
        session,
        partners,
        (US, po()),
        (US, po(other)),
        (WH, asn("ASN-1", {"1": 30})),
        (WH, asn("ASN-7", {"1": 30}, po_number=other)),
    )
    rows = {r.po_number: r for r in all_rows(session)}
    # silently fix PO 7KQ2MX4P's data: only a run that looks at that PO may close its finding
    fixed = store(session, US, po(other, lines={"1": 30, "2": 48, "3": 12}))
    session.commit()
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    new = store(session, WH, asn("ASN-2", {"2": 1}))
    report = reconcile_documents(session, partners, [new])
    session.commit()
    assert scopes_of([new]) == {"po:4TQ8ZK2M", "asn:ASN-2"}
    assert report.scopes == 2 and report.purchase_orders == 1
    assert session.get(Discrepancy, rows[other].id).status == "open"  # not looked at
    assert not any(other in str(s) for s in statements)
    reconcile_documents(session, partners, [fixed])
    session.commit()
    assert session.get(Discrepancy, rows[other].id).status == "resolved"


def test_reconcile_po_and_all_see_what_incremental_runs_see(session, partners) -> None:
    found = reconcile_stored(
        session,
        partners,
        (US, po()),
        (WH, asn("ASN-1", {"1": 30})),
        (ERP, invoice("INV-1", {"1": 30}, prices={"1": "13.00"})),
    )
    keys = {r.key for rows in found.values() for r in rows}
    session.exec(Discrepancy.__table__.delete())  # type: ignore[attr-defined]
    session.commit()
    session.expunge_all()
    reconcile_po(session, partners, US, "4TQ8ZK2M")
    session.commit()
    assert {r.key for r in all_rows(session)} == keys
    session.exec(Discrepancy.__table__.delete())  # type: ignore[attr-defined]
    session.expunge_all()
    report = reconcile_all(session, partners, partner=US)
    session.commit()
    assert {r.key for r in all_rows(session)} == keys and report.counts.created == len(keys)


def test_listing_and_json(session, partners) -> None:
    reconcile_stored(session, partners, (US, po()), (WH, asn("ASN-1", {"1": 30}, fc="XYZ1")))
    assert {r.kind for r in list_discrepancies(session, status="open")} == {"over_shipment", "fc_mismatch"}
    (fc,) = list_discrepancies(session, kind="fc_mismatch")
    set_discrepancy_status(session, fc.id, "acknowledged", "ann")
    assert [r.kind for r in list_discrepancies(session, status=["acknowledged"])] == ["fc_mismatch"]
    (over,) = list_discrepancies(session, po_number="4TQ8ZK2M", kind="over_shipment")
    data = discrepancy_json(over)
    assert {k: data[k] for k in ("kind", "po_number", "expected", "actual", "amount_at_risk", "status")} == {
        "kind": "over_shipment",
        "po_number": "4TQ8ZK2M",
        "expected": "<= 24 EA ordered",
        "actual": "30 EA shipped",
        "amount_at_risk": "75.00",
        "status": "open",
    }


def test_sync_on_each_backend(any_engine) -> None:
    from gateway.config import PartnerDirectory

    partners = PartnerDirectory([])
    with Session(any_engine) as session:
        reconcile_stored(
            session, partners, ("amazon-us", po()), (WH, asn("ASN-1", {"1": 30})), today=date(2026, 1, 20)
        )
        reconcile_stored(session, partners, (WH, asn("ASN-1", {"1": 24})))
        (row,) = all_rows(session)
        assert (row.kind, row.status) == ("over_shipment", "resolved")


def test_sqlite_reconciliation_lock_is_taken_once_a_transaction_and_held(engine, db_url) -> None:
    """On SQLite :func:`lock_scopes` writes once a transaction (its writer lock then stays held,
    through a savepoint rolled back, to the commit): a second call writes nothing, another
    connection still cannot write, and the next transaction takes the lock again."""
    import sqlite3

    from gateway.reconcile.sync import lock_scopes
    from gateway.store.counters import peek

    writes: list[str] = []
    event.listen(
        engine, "before_cursor_execute", lambda *a, **k: writes.append(a[2]) if "counters" in a[2] else None
    )
    path = db_url.removeprefix("sqlite:///")
    with Session(engine) as session:
        lock_scopes(session, ["po:P1"])
        nested = session.begin_nested()
        lock_scopes(session, ["po:P2"])
        nested.rollback()
        lock_scopes(session, ["po:P3"])
        assert len(writes) == 1
        other = sqlite3.connect(path, timeout=0)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("UPDATE counters SET value = value WHERE name = 'reconcile-lock'")
        other.close()
        session.commit()
        lock_scopes(session, ["po:P1"])
        assert len(writes) == 2
        session.commit()
    with Session(engine) as session:
        assert peek(session, "_gateway", "reconcile-lock") == 2


def test_scope_rows_of_several_columns_in_one_query(session, partners) -> None:
    """The discrepancies of PO and shipment scopes together are read in one statement, the same rows."""
    from gateway.reconcile.sync import scope_rows

    reconcile_stored(session, partners, (US, po()), (WH, asn("ASN-1", {"1": 30})))
    (row,) = all_rows(session)
    scopes = [f"po:{row.po_number}", "asn:ASN-1", "asn:NONE", "inv:NONE"]
    seen: list[str] = []
    listener = lambda *a, **k: seen.append(a[2])  # noqa: E731
    event.listen(session.get_bind(), "before_cursor_execute", listener)
    try:
        rows = scope_rows(session, scopes)
    finally:
        event.remove(session.get_bind(), "before_cursor_execute", listener)
    assert len([s for s in seen if "discrepancies" in s]) == 1
    assert set(rows) == {row.key} and rows[row.key] is row
    assert set(scope_rows(session, ["asn:NONE"])) == set()


@NEEDS_PG
def test_postgresql_scope_locks_in_one_statement(pg_engine) -> None:
    """On PostgreSQL one statement takes the shared lock on everything and each scope's exclusive one."""
    from sqlalchemy import text

    from gateway.reconcile.sync import EVERYTHING, _lock_key, lock_scopes

    any_engine = pg_engine
    seen: list[str] = []
    event.listen(any_engine, "before_cursor_execute", lambda *a, **k: seen.append(a[2]))
    with Session(any_engine) as session:
        session.execute(text("SELECT 1"))
        seen.clear()
        lock_scopes(session, ["po:P1", "asn:A", "po:P1"])
        assert len(seen) == 1
        held = session.execute(
            text(
                "SELECT (classid::bigint << 32) | objid::bigint, mode FROM pg_locks "
                "WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            )
        ).all()
        assert sorted(held) == sorted(
            [(_lock_key(EVERYTHING), "ShareLock"), (_lock_key("po:P1"), "ExclusiveLock"),
             (_lock_key("asn:A"), "ExclusiveLock")]
        )  # fmt: skip
