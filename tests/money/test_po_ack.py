"""The PO acknowledgement flow (issue 17 item 3): built when a PO is stored, held or queued, approved.

The pipeline's ``po acknowledgement`` hook over stored POs: automatic for amazon-us (X12 855
queued when every line is decided from the feed), held for approval for amazon-eu (EDIFACT
ORDRSP); no feed holds it; idempotent (a replayed PO is not acknowledged twice); approve and
cancel are audited; the queued bytes re-read to the stored acknowledgement.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import col, select

from gateway.canonical import PoAcknowledgement
from gateway.canonical.availability import Availability
from gateway.edi import parse
from gateway.service.hooks import STORED_HOOKS, Hook
from gateway.service.runtime import Runtime
from gateway.shipping.po_ack import AcknowledgementError, approve_acknowledgement, cancel_acknowledgement
from gateway.store import session_scope
from gateway.store.models import AuditEntry, Direction, Document, Message
from gateway.store.money import InvoiceCheck
from tests.money.conftest import ITEMS, PO, ROOT, migrated_sqlite, po, store, write_partners

HOOK: Hook = next(h for h in STORED_HOOKS if h.name == "po acknowledgement")
US, EU = "amazon-us", "amazon-eu"
TODAY = date(2026, 1, 12)


def _open(tmp_path: Path, url: str) -> Runtime:
    from gateway.config.settings import Settings

    folder = write_partners(tmp_path / "partners")
    for name, policy in ((US, "{enabled: true, automatic: true}"), (EU, "{enabled: true}")):
        profile = folder / f"{name}.yaml"
        text = profile.read_text(encoding="utf-8").replace(
            "rules:\n", f"rules:\n  po_acknowledgement: {policy}\n", 1
        )
        profile.write_text(text, encoding="utf-8")
    settings = Settings(
        database_url=url,
        archive_dir=tmp_path / "archive",
        partners_dir=folder,
        mappings_dir=ROOT / "mappings",
    )
    return Runtime.open(settings=settings)


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    """amazon-us acknowledges automatically (X12), amazon-eu holds for approval (EDIFACT); SQLite."""
    rt = _open(tmp_path, migrated_sqlite(tmp_path / "acorn.sqlite3"))
    yield rt
    rt.close()


@pytest.fixture
def any_runtime(tmp_path: Path, any_db_url: str) -> Iterator[Runtime]:
    """The same partners on SQLite and, when configured, PostgreSQL."""
    rt = _open(tmp_path, any_db_url)
    yield rt
    rt.close()


def feed(**available: int) -> Availability:
    """A feed with ``available`` units of PO lines 1..3 (keys ``l1``...)."""
    return Availability.model_validate(
        {
            "feed_id": "F-1",
            "as_of": datetime(2026, 1, 12, 6, tzinfo=UTC),
            "lines": [
                {"item": {"vendor_sku": ITEMS[k[1:]]["vendor_sku"]}, "quantity_available": q, "cost": "1.00"}
                for k, q in available.items()
            ],
        }
    )


def _store_feed(session, partner: str, availability: Availability) -> None:
    session.add(
        Document(
            partner=partner,
            type="availability",
            business_key=availability.feed_id,
            data=availability.to_json_dict(),
        )
    )
    session.flush()


def _run(runtime: Runtime, partner: str, doc) -> list[str]:
    from gateway.shipping import po_ack

    with session_scope(runtime.engine) as session:
        row = store(session, partner, doc)
        return po_ack.on_documents_stored(
            session, runtime.partners, runtime.mappings, runtime.archive, [row], today=TODAY
        )


def _outbound(runtime: Runtime) -> list[Message]:
    with session_scope(runtime.engine) as session:
        return list(session.exec(select(Message).where(col(Message.direction) == Direction.OUT.value)).all())


def _ack_row(runtime: Runtime, partner: str) -> Document:
    with session_scope(runtime.engine) as session:
        return session.exec(
            select(Document).where(Document.type == "po_acknowledgement", Document.partner == partner)
        ).one()


def test_automatic_with_a_feed_queues_an_855_once_that_re_reads_to_the_stored_ack(runtime: Runtime) -> None:
    with session_scope(runtime.engine) as session:
        _store_feed(session, US, feed(l1=100, l2=10, l3=0))
    notes = _run(runtime, US, po())
    assert notes == [f"PO acknowledgement {PO} queued"], notes
    (message,) = _outbound(runtime)
    assert message.partner == US and "_855_" in message.filename
    parsed = parse(runtime.archive.read(message.sha256))
    assert parsed.ok, parsed.errors
    back = runtime.mappings.translate(parsed.transactions[0])
    row = _ack_row(runtime, US)
    assert row.status == "queued"
    stored = row.data
    assert back.model_dump(exclude={"partner"}) == PoAcknowledgement.from_json_dict(stored).model_dump(
        exclude={"partner"}
    )
    statuses = [
        (x["line_no"], x["status"], x["confirmed_quantity"], x["unit_price"]) for x in stored["lines"]
    ]
    assert statuses == [
        ("1", "accept", "24", "12.50"),
        ("2", "accept", "10", "4.75"),
        ("2", "reject", "0", "4.75"),
        ("3", "reject", "0", "18.00"),
    ]
    assert _run(runtime, US, po()) == [f"PO acknowledgement {PO} queued"]  # a replayed PO
    assert [m.id for m in _outbound(runtime)] == [message.id]


def test_no_feed_holds_it_and_an_operator_approves_it(any_runtime: Runtime) -> None:
    runtime = any_runtime
    notes = _run(runtime, US, po())
    assert notes[0].startswith(f"PO acknowledgement {PO} held: availability_missing"), notes
    assert _outbound(runtime) == []
    with session_scope(runtime.engine) as session:
        row = session.exec(select(Document).where(Document.type == "po_acknowledgement")).one()
        check = session.get(InvoiceCheck, row.id)
        assert check is not None and [r["code"] for r in check.reasons] == ["availability_missing"]
        approve_acknowledgement(
            session, runtime.partners, runtime.mappings, runtime.archive, US, PO, actor="alice"
        )
    assert _ack_row(runtime, US).status == "queued"
    assert len(_outbound(runtime)) == 1
    with session_scope(runtime.engine) as session:
        actions = [a.action for a in session.exec(select(AuditEntry).order_by(col(AuditEntry.id))).all()]
        assert actions[-3:] == ["po_ack.held", "po_ack.approved", "po_ack.queued"]
        with pytest.raises(AcknowledgementError, match="is queued"):
            approve_acknowledgement(
                session, runtime.partners, runtime.mappings, runtime.archive, US, PO, actor="alice"
            )


def test_manual_partner_holds_an_ordrsp_for_approval_and_cancel_sends_nothing(runtime: Runtime) -> None:
    with session_scope(runtime.engine) as session:
        _store_feed(session, EU, feed(l1=100, l2=100, l3=100))
    notes = _run(runtime, EU, po(currency="EUR"))
    assert notes[0].startswith(f"PO acknowledgement {PO} held: approval_required"), notes
    with session_scope(runtime.engine) as session:
        cancel_acknowledgement(session, EU, PO, actor="bob")
    assert _ack_row(runtime, EU).status == "cancelled"
    assert _outbound(runtime) == []
    assert _run(runtime, EU, po(currency="EUR")) == [f"PO acknowledgement {PO} cancelled"]


def test_approving_an_eu_ack_queues_an_ordrsp(runtime: Runtime) -> None:
    with session_scope(runtime.engine) as session:
        _store_feed(session, EU, feed(l1=100, l2=100, l3=100))
    _run(runtime, EU, po(currency="EUR"))
    with session_scope(runtime.engine) as session:
        approve_acknowledgement(
            session, runtime.partners, runtime.mappings, runtime.archive, EU, PO, actor="alice"
        )
    (message,) = _outbound(runtime)
    data = runtime.archive.read(message.sha256)
    assert b"ORDRSP:D:96A" in data and b"LIN+1+5" in data and b"PRI+AAA:12.5" in data


def test_a_partner_without_the_policy_gets_no_acknowledgement(tmp_path: Path) -> None:
    from gateway.config.settings import Settings

    settings = Settings(
        database_url=migrated_sqlite(tmp_path / "acorn.sqlite3"),
        archive_dir=tmp_path / "archive",
        partners_dir=write_partners(tmp_path / "partners"),
        mappings_dir=ROOT / "mappings",
    )
    rt = Runtime.open(settings=settings)
    try:
        assert _run(rt, US, po()) == []
        with session_scope(rt.engine) as session:
            assert session.exec(select(Document).where(Document.type == "po_acknowledgement")).all() == []
    finally:
        rt.close()


def _dues(runtime: Runtime) -> list:
    from gateway.settlement.reminders import due_reminders

    with session_scope(runtime.engine) as session:
        return [d for d in due_reminders(session, runtime.partners, TODAY) if d.kind == "po_ack_due"]


def _due_kinds(runtime: Runtime) -> list[tuple[str, str]]:
    return [(d.kind, d.subject) for d in _dues(runtime)]


def test_the_ack_deadline_is_met_only_when_the_acknowledgement_is_sent(runtime: Runtime) -> None:
    from tests.money.conftest import asn

    with session_scope(runtime.engine) as session:
        _store_feed(session, US, feed(l1=100, l2=100, l3=100))
    _run(runtime, US, po())
    assert _due_kinds(runtime) == [("po_ack_due", PO)]  # queued is not sent: the alert still comes
    assert _dues(runtime)[0].due_on == date(2026, 1, 13)  # the 855 policy's 24 hours after the order
    with session_scope(runtime.engine) as session:
        store(session, "warehouse", asn("ASN-1", {"1": 24}))
    assert _due_kinds(runtime) == [("po_ack_due", PO)]  # a shipment does not stand in for a built ack
    with session_scope(runtime.engine) as session:
        (message,) = session.exec(select(Message).where(col(Message.direction) == Direction.OUT.value)).all()
        message.state = "sent"
        session.add(message)
    assert _due_kinds(runtime) == []


def test_a_po_without_a_built_ack_keeps_the_old_rule(runtime: Runtime) -> None:
    from tests.money.conftest import asn

    with session_scope(runtime.engine) as session:
        store(session, "warehouse", po("OTHERPO1"))  # a partner without the policy: no ack built
    assert _due_kinds(runtime) == [("po_ack_due", "OTHERPO1")]
    with session_scope(runtime.engine) as session:
        store(session, "warehouse", asn("ASN-9", {"1": 24}, po_number="OTHERPO1"))
    assert _due_kinds(runtime) == []


def test_shipping_past_the_confirmed_quantity_is_a_finding_and_blocks_our_856(runtime: Runtime) -> None:
    from gateway.orders.book import load_bundles
    from gateway.reconcile.rules import po_findings
    from tests.money.conftest import asn

    with session_scope(runtime.engine) as session:
        _store_feed(session, US, feed(l1=10, l2=100, l3=100))  # lamps: 10 of 24 confirmed
    _run(runtime, US, po())
    with session_scope(runtime.engine) as session:
        store(session, "warehouse", asn("ASN-1", {"1": 12}))
        bundle = load_bundles(session, [PO])[PO]
        assert bundle.sent_acknowledgement is not None
        rules = runtime.partners.get(US).rules.reconcile
        found = {f.kind: f for f in po_findings(bundle, rules, US)}
        over = found["shipped_over_confirmed"]
        assert (over.line_no, over.detail) == ("1", {"confirmed": "10", "shipped": "12"})
        assert "over_shipment" not in found  # 12 of 24 ordered is no over-shipment
        bundle.acknowledgements.clear()  # no acknowledgement sent: the ordered quantity stands
        assert "shipped_over_confirmed" not in {f.kind for f in po_findings(bundle, rules, US)}


def test_the_at_send_re_check_blocks_an_ack_whose_po_cost_changed(runtime: Runtime) -> None:
    from gateway.invoicing.at_send import prepare_for_send

    with session_scope(runtime.engine) as session:
        _store_feed(session, US, feed(l1=100, l2=100, l3=100))
    _run(runtime, US, po())
    (message,) = _outbound(runtime)
    with session_scope(runtime.engine) as session:  # a clean re-check passes
        assert not prepare_for_send(
            session, runtime.partners, runtime.mappings, runtime.archive, int(message.id or 0)
        ).blocked
    revised = po()
    revised.lines[0].unit_price = Decimal("13.00")  # Amazon revised the cost after we queued
    with session_scope(runtime.engine) as session:
        store(session, US, revised)
        check = prepare_for_send(
            session, runtime.partners, runtime.mappings, runtime.archive, int(message.id or 0)
        )
        assert [r.code for r in check.reasons] == ["cost_differs_from_po"]
    assert _ack_row(runtime, US).status == "blocked"
    assert [m.state for m in _outbound(runtime)] == ["blocked"]


def _acks(runtime: Runtime) -> list[tuple[str, str, str | None, dict, list[str], list[str]]]:
    """Every acknowledgement: partner, key, status, data, check reason codes, audit actions."""
    with session_scope(runtime.engine) as session:
        rows = session.exec(
            select(Document).where(Document.type == "po_acknowledgement").order_by(col(Document.business_key))
        ).all()
        out = []
        for row in rows:
            check = session.get(InvoiceCheck, row.id)
            audits = session.exec(
                select(AuditEntry).where(AuditEntry.target_id == str(row.id)).order_by(col(AuditEntry.id))
            ).all()
            codes = [r["code"] for r in check.reasons] if check is not None else []
            actions = [f"{a.action}|{a.reason}|{a.detail}" for a in audits]
            out.append((row.partner, row.business_key, row.status, dict(row.data), codes, actions))
        return out


def test_a_batch_of_pos_gets_what_each_po_gets_alone(tmp_path: Path) -> None:
    """The set-based hook (one feed read, bulk rows) against :func:`acknowledge_po` PO by PO, over
    a batch that mixes queued and held acknowledgements of two partners, one PO already
    acknowledged; run again, it changes nothing. The batch's queued ones leave in one interchange
    (an 855 each), which reads back to them."""
    from gateway.shipping import po_ack

    batch = [
        (US, po("PO-A")),
        (US, po("PO-B", lines={"1": 24, "2": 48})),
        (EU, po("PO-C")),  # approval required: held
        (US, po("PO-D")),
        (US, po("PO-E", lines={"1": 24})),
    ]
    results = []
    for name, set_based in (("one", False), ("batch", True)):
        runtime = _open(tmp_path / name, migrated_sqlite(tmp_path / f"{name}.sqlite3"))
        try:
            with session_scope(runtime.engine) as session:
                _store_feed(session, US, feed(l1=100, l2=10, l3=0))
                _store_feed(session, EU, feed(l1=100, l2=100, l3=100))
            with session_scope(runtime.engine) as session:  # PO-D acknowledged before the batch
                row = store(session, US, po("PO-D"))
                po_ack.acknowledge_po(
                    session, runtime.partners, runtime.mappings, runtime.archive, US, "PO-D", today=TODAY
                )
            for _again in range(2):
                with session_scope(runtime.engine) as session:
                    rows = [store(session, partner, doc) for partner, doc in batch]
                    if set_based:
                        notes = po_ack.on_documents_stored(
                            session, runtime.partners, runtime.mappings, runtime.archive, rows, today=TODAY
                        )
                    else:
                        notes = []
                        for row in rows:
                            outcome = po_ack.acknowledge_po(
                                session, runtime.partners, runtime.mappings, runtime.archive,
                                row.partner, row.business_key, today=TODAY,
                            )  # fmt: skip
                            notes.append(f"PO acknowledgement {row.business_key} {outcome.row.status}")
            sent = _outbound(runtime)
            back = []
            for message in sent:
                parsed = parse(runtime.archive.read(message.sha256))
                assert parsed.ok, parsed.errors
                docs = [runtime.mappings.translate(t) for t in parsed.transactions]
                stored = {a[1]: a[3] for a in _acks(runtime)}
                for doc in docs:  # each 855 of the interchange reads back to its stored acknowledgement
                    again = PoAcknowledgement.from_json_dict(stored[doc.po_number])
                    assert doc.model_dump(exclude={"partner"}) == again.model_dump(exclude={"partner"})
                back.append([doc.po_number for doc in docs])
            results.append(([n.split(":")[0] for n in notes], _acks(runtime), back))
        finally:
            runtime.close()
    (one_notes, one_acks, one_out), (batch_notes, batch_acks, batch_out) = results
    assert (
        batch_notes
        == one_notes
        == [
            "PO acknowledgement PO-A queued",
            "PO acknowledgement PO-B queued",
            "PO acknowledgement PO-C held",
            "PO acknowledgement PO-D queued",
            "PO acknowledgement PO-E queued",
        ]
    )
    assert batch_acks == one_acks
    assert [a[2] for a in batch_acks] == ["queued", "queued", "held", "queued", "queued"]
    # PO by PO a message each; the batch's in one interchange (PO-D's came before, alone)
    assert one_out == [["PO-D"], ["PO-A"], ["PO-B"], ["PO-E"]]
    assert batch_out == [["PO-D"], ["PO-A", "PO-B", "PO-E"]]


def test_one_changed_po_blocks_the_batch_interchange_naming_it_and_the_others_can_be_approved(
    any_runtime: Runtime,
) -> None:
    """The at-send re-check of an interchange of several 855s: one PO whose cost changed blocks
    the whole message (nothing is sent that Amazon would reject), the reason names that PO, every
    acknowledgement it carries goes back to ``blocked``; an operator approves the sound one, which
    leaves alone in a new message."""
    from gateway.invoicing.at_send import prepare_for_send
    from gateway.shipping import po_ack

    runtime = any_runtime
    with session_scope(runtime.engine) as session:
        _store_feed(session, US, feed(l1=100, l2=100, l3=100))
    with session_scope(runtime.engine) as session:
        rows = [store(session, US, po("PO-A")), store(session, US, po("PO-B"))]
        notes = po_ack.on_documents_stored(
            session, runtime.partners, runtime.mappings, runtime.archive, rows, today=TODAY
        )
    assert notes == ["PO acknowledgement PO-A queued", "PO acknowledgement PO-B queued"]
    (message,) = _outbound(runtime)
    assert len(message.transaction_controls) == 2
    revised = po("PO-A")
    revised.lines[0].unit_price = Decimal("13.00")  # Amazon revised PO-A's cost after we queued
    with session_scope(runtime.engine) as session:
        store(session, US, revised)
        check = prepare_for_send(
            session, runtime.partners, runtime.mappings, runtime.archive, int(message.id or 0)
        )
        assert [r.code for r in check.reasons] == ["cost_differs_from_po"]
        assert str(check.reasons[0]).count("PO PO-A:") == 1 and "PO-B" not in str(check.reasons[0])
    assert [m.state for m in _outbound(runtime)] == ["blocked"]
    assert [(a[1], a[2]) for a in _acks(runtime)] == [("PO-A", "blocked"), ("PO-B", "blocked")]
    with session_scope(runtime.engine) as session:
        approve_acknowledgement(
            session, runtime.partners, runtime.mappings, runtime.archive, US, "PO-B", actor="alice"
        )
        with pytest.raises(AcknowledgementError, match="still fails"):
            approve_acknowledgement(
                session, runtime.partners, runtime.mappings, runtime.archive, US, "PO-A", actor="alice"
            )
    blocked, fresh = _outbound(runtime)
    assert (blocked.state, fresh.state, len(fresh.transaction_controls)) == ("blocked", "queued", 1)
    assert [(a[1], a[2]) for a in _acks(runtime)] == [("PO-A", "blocked"), ("PO-B", "queued")]


def test_the_same_po_twice_in_one_batch_is_acknowledged_once(runtime: Runtime) -> None:
    from gateway.shipping import po_ack

    with session_scope(runtime.engine) as session:
        _store_feed(session, US, feed(l1=100, l2=100, l3=100))
    with session_scope(runtime.engine) as session:
        row = store(session, US, po("PO-A"))
        notes = po_ack.on_documents_stored(
            session, runtime.partners, runtime.mappings, runtime.archive, [row, row], today=TODAY
        )
    assert set(notes) == {"PO acknowledgement PO-A queued"}
    assert [(a[1], a[2]) for a in _acks(runtime)] == [("PO-A", "queued")]
    (message,) = _outbound(runtime)
    assert len(message.transaction_controls) == 1
