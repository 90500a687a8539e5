"""AMAZON-RULES: a chargeback may be disputed at most twice; other claims once. A lost chargeback
disputed once can be disputed again, a third time is refused naming what it can do instead, and a
lost shortage claim cannot be disputed again."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlmodel import Session, select

from gateway.settlement.claims import ClaimError, disputes_of, transition
from gateway.store.models import AuditEntry
from gateway.store.settlement import Claim


def _claim(db: Session, kind: str, reference: str) -> Claim:
    claim = Claim(
        partner="amazon-us", reference=reference, kind=kind, amount=Decimal("15.00"), currency="USD"
    )
    db.add(claim)
    db.flush()
    return claim


def test_a_chargeback_is_disputed_twice_and_no_more(db: Session) -> None:
    claim = _claim(db, "chargeback", "VCBSINV0000001")
    transition(db, claim, "disputed", "ops", "the ASN went at 09:12, the 997 proves it")
    transition(db, claim, "lost", "ops", "Amazon upheld it")
    transition(db, claim, "disputed", "ops", "second dispute with the carrier's POD")
    assert disputes_of(db, claim) == 2
    transition(db, claim, "lost", "ops", "upheld again")
    with pytest.raises(ClaimError, match="it can move to won, not disputed"):
        transition(db, claim, "disputed", "ops", "a third try")
    db.commit()
    moves = [(a.detail or {}).get("to") for a in db.exec(select(AuditEntry)).all()]
    assert moves == ["disputed", "lost", "disputed", "lost"]


def test_a_lost_shortage_claim_is_not_disputed_again(db: Session) -> None:
    claim = _claim(db, "shortage", "INV-1-SC")
    transition(db, claim, "disputed", "ops", "received in full, see the receiving report")
    transition(db, claim, "lost", "ops", "upheld")
    with pytest.raises(ClaimError, match="not disputed"):
        transition(db, claim, "disputed", "ops", "again")
