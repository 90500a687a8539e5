"""Issue 18 item 5: the return rate is counted over a rolling window the partner sets
(``rules.aging.return_rate_window_days``): what shipped or came back before it does not count."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from gateway.config import load_partners
from gateway.config.settings import Settings
from gateway.reconcile import check_aging
from tests.money.conftest import PROFILES, asn, invoice, po, rma, store, write_partners

US, WH, ERP = "amazon-us", "warehouse", "erp"


def _with_window(tmp_path: Path, days: int):
    body = PROFILES[US].replace(
        "return_rate_min_units: 10}", f"return_rate_min_units: 10, return_rate_window_days: {days}}}"
    )
    assert body != PROFILES[US]
    return load_partners(write_partners(tmp_path / f"partners-{days}", extra={US: body}))


@pytest.mark.parametrize(
    ("window", "today", "alerted"),
    [
        (90, date(2026, 2, 2), True),  # shipped 01-15, 3 of 20 lamps back 02-01: 15 %
        (90, date(2026, 5, 10), False),  # the default window has moved past both
        (120, date(2026, 5, 10), True),  # a longer one still sees them
        (10, date(2026, 2, 2), False),  # a short one no longer sees the shipment: nothing to rate
    ],
)
def test_the_window_is_the_partners(session, tmp_path: Path, window: int, today: date, alerted: bool) -> None:
    partners = _with_window(tmp_path, window)
    store(session, US, po())
    store(session, WH, asn("ASN-1", {"1": 20, "2": 40}))
    store(session, ERP, invoice("INV-1", {"1": 20, "2": 40}))
    store(session, US, rma("RMA-1", {"1": 3}))
    kinds = [a.kind for a in check_aging(session, partners, Settings(), today, notify=False)]
    assert ("return_rate_high" in kinds) is alerted, kinds
