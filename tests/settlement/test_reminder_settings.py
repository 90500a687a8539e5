"""Issue 18, "each a configurable lead time": a partner that changes every reminder setting
(``reminder_lead_days``, ``reminder_rules``, ``payment_overdue_days``, a dispute window) gets each
reminder on the days those settings say, once, to the webhook and by e-mail, and not on the days
the defaults would give (``test_end_to_end.test_reminders_fire_once_before_each_deadline_and_not_again``
is the same story with the defaults)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import select

from gateway.config.settings import AlertSettings, EmailAlerts, load_settings
from gateway.service.runtime import Runtime
from gateway.settlement import reminders
from gateway.store import session_scope
from gateway.store.settlement import Claim, Reminder
from tests.money.conftest import PROFILES, make_config
from tests.money.test_aging_alerts import Smtp
from tests.settlement.conftest import Receiver
from tests.settlement.test_end_to_end import SHIPPED, feed, x12_820

SETTLEMENT = """settlement:
          reminder_lead_days: {po_ack_due: 0, asn_due: 3, invoice_due: 0, payment_due: 10, claim_deadline: 2}
          reminder_rules: {po_ack_days: 2, asn_before_delivery_days: 2, invoice_after_ship_days: 5}
          payment_overdue_days: 45
          dispute_windows: {chargeback: {days: 10, from: notified}}
        """


@pytest.fixture
def alerts() -> Iterator[Receiver]:
    r = Receiver(signed=False)
    yield r
    r.close()


@pytest.fixture
def gateway(tmp_path: Path, alerts: Receiver) -> Iterator[Runtime]:
    config = make_config(
        tmp_path,
        mode="manual",
        profiles={"amazon-us": PROFILES["amazon-us"] + SETTLEMENT},
        more=f"alerts: {{webhook_url: '{alerts.url}'}}\n",
    )
    runtime = Runtime.open(settings=load_settings(config))
    yield runtime
    runtime.close()


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    server = Smtp()
    yield server
    server.close()


def test_every_reminder_setting_moves_its_reminder(gateway: Runtime, alerts: Receiver, smtp: Smtp) -> None:
    email = EmailAlerts(to=["finance@example.com"], smtp_host="127.0.0.1", smtp_port=smtp.port)
    channel = AlertSettings(webhook_url=alerts.url, email=email)

    def run(day: date) -> list[tuple[str, str]]:
        with session_scope(gateway.engine) as session:
            return [
                (r.kind, r.subject) for r in reminders.run_reminders(session, gateway.partners, channel, day)
            ]

    feed(gateway, *SHIPPED, "x12_850_m0ney002.edi")  # M0NEY002 of 2026-01-13, delivery from 2026-01-13
    assert run(date(2026, 1, 7)) == []
    assert run(date(2026, 1, 8)) == [("asn_due", "M0NEY002")]  # due 01-11 (2 days before), 3 days ahead
    assert run(date(2026, 1, 14)) == []  # the default (due 01-14, a day ahead) would have fired
    assert run(date(2026, 1, 15)) == [("po_ack_due", "M0NEY002")]  # 2 days after the order, on the day
    feed(gateway, "x12_856_m2_a.edi")  # shipped 2026-01-16
    assert run(date(2026, 1, 20)) == []
    assert run(date(2026, 1, 21)) == [("invoice_due", "ASN-M2-A/M0NEY002")]  # 5 days after shipping
    feed(gateway, ("pay-4.edi", x12_820(804, "20260301", [("VCBSINV0000001", "-15.00", None)])))
    assert run(date(2026, 3, 6)) == []
    assert run(date(2026, 3, 7)) == [("payment_due", "INV-M1-A")]  # 10 days before 2026-03-17
    assert run(date(2026, 3, 8)) == []
    assert run(date(2026, 3, 9)) == [("claim_deadline", "VCBSINV0000001")]  # 2 days before 03-11
    assert run(date(2026, 4, 16)) == []  # 30 days past due: the default, not this partner's
    assert run(date(2026, 5, 1)) == [("overdue", "INV-M1-A")]  # 45 days past 2026-03-17
    assert run(date(2026, 5, 2)) == []

    sent = [a["kind"] for body in alerts.accepted for a in body["alerts"]]
    assert sent == ["asn_due", "po_ack_due", "invoice_due", "payment_due", "claim_deadline", "overdue"]
    mailed = [body for _sender, rcpts, body in smtp.messages if rcpts == ["finance@example.com"]]
    assert len(mailed) == 6  # one e-mail per reminder, each once, like the webhook
    assert all(kind in text for kind, text in zip(sent, mailed, strict=True))
    with session_scope(gateway.engine) as session:
        assert len(session.exec(select(Reminder)).all()) == 6
        [claim] = session.exec(select(Claim)).all()
        assert (claim.kind, claim.deadline) == ("chargeback", date(2026, 3, 11))  # 10 days from notice
