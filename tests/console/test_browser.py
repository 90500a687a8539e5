"""In a real browser: log in, find a failed message by PO number, see the error, fix the mapping,
replay, see it done. Playwright drives Debian's chromium against the console served by a real
werkzeug server on 127.0.0.1; screenshots go to tests/artifacts/ (git-ignored)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import select
from werkzeug.serving import make_server

from gateway.console import create_app
from gateway.service import pipeline
from gateway.store import session_scope
from gateway.store.models import AuditEntry, Message, ReplayJob
from tests.console.conftest import PASSWORD, break_mapping, fix_mapping, sample

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts" / "console"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="no /usr/bin/chromium (apt-get install chromium)"
)


@pytest.fixture
def server_config() -> dict[str, str]:
    """Console settings for the server under test (a test overrides this fixture to change them)."""
    return {}


@pytest.fixture
def server(runtime, accounts, server_config: dict[str, str]) -> Iterator[str]:
    app = create_app(runtime, {"SECRET_KEY": "browser-test-key", **server_config})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()


@pytest.fixture
def page(server: str):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            tab = context.new_page()
            tab.set_default_timeout(30_000)
            yield tab
        finally:
            browser.close()


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_find_a_failed_po_fix_the_mapping_replay_and_see_it_done(runtime, server: str, page) -> None:
    from playwright.sync_api import expect

    original = break_mapping(runtime)
    receipt = pipeline.ingest(
        runtime, sample("x12_4010_850_new_po.edi"), "amazon-850-0112.edi", mailbox="local"
    )
    assert receipt.state == "failed"

    page.goto(server + "/")
    expect(page).to_have_url(f"{server}/login?next=/")
    page.get_by_label("User").fill("operator")
    page.get_by_label("Password").fill(PASSWORD)
    shot(page, "01-login")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    shot(page, "02-dashboard")

    page.get_by_role("searchbox", name="Search messages").fill("4TQ8ZK2M")
    page.get_by_role("button", name="Search").first.click()
    row = page.locator("table.messages tbody tr").filter(has_text="amazon-850-0112.edi")
    expect(row).to_have_count(1)
    expect(row.locator(".state")).to_have_text("failed")
    shot(page, "03-search-by-po")
    row.get_by_role("link", name="amazon-850-0112.edi").click()

    expect(page.locator("#error")).to_contain_text("is not a date in the form YYMMDD")
    expect(page.locator("#error")).to_contain_text("MAPPING_MISFIT")
    failing = page.locator("ol.raw li.failing")
    expect(failing).to_have_count(1)
    expect(failing).to_contain_text("BEG*00*NE*4TQ8ZK2M**20260112~")
    shot(page, "04-failed-message")

    fix_mapping(runtime, original)  # the coordinator fixes the date format in the mapping file
    page.locator("#replay-form").get_by_label("Reason").fill("850 mapping: BEG05 is CCYYMMDD")
    page.get_by_role("button", name="Replay").click()
    expect(page.locator(".flash.info")).to_contain_text("replay done, now done")
    expect(page.locator("h1 .state")).to_have_text("done")
    expect(page.locator("#error")).to_have_count(0)
    expect(page.get_by_role("link", name="purchase_order 4TQ8ZK2M")).to_be_visible()
    shot(page, "05-replayed")

    page.get_by_role("link", name="Audit log").click()
    expect(page.locator("table.list tbody tr").first).to_contain_text("850 mapping: BEG05 is CCYYMMDD")
    shot(page, "06-audit")


def _login(page, server: str, username: str, password: str = PASSWORD) -> None:
    page.goto(server + "/login")
    page.get_by_label("User").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_bulk_replay_of_the_partner_chosen_in_the_list_only(runtime, server: str, page) -> None:
    """Choosing a partner and clicking Replay at once replays that partner, never every partner."""
    from playwright.sync_api import expect

    original = break_mapping(runtime)
    us = pipeline.ingest(runtime, sample("x12_4010_850_new_po.edi"), "us-850.edi", mailbox="local")
    eu = pipeline.ingest(runtime, sample("bad_edifact_unt_reference.edi"), "eu-bad.edi", mailbox="local")
    with session_scope(runtime.engine) as session:
        partners = {m.id: (m.partner, m.state) for m in session.exec(select(Message))}
    assert partners[us.message_id] == ("amazon-us", "failed")
    assert partners[eu.message_id] == ("amazon-eu", "failed")
    fix_mapping(runtime, original)

    _login(page, server, "operator")
    page.goto(server + "/bulk-replay")
    page.get_by_label("Partner").select_option("amazon-us")  # no "Show failed messages" first
    page.get_by_label("Reason").fill("850 date format fixed")
    page.get_by_role("button", name="Replay all failed messages").click()
    expect(page.locator("body")).to_contain_text("amazon-us")
    shot(page, "10-bulk-replay-one-partner")
    job_id = page.url.rsplit("/", 1)[1]
    with session_scope(runtime.engine) as session:
        row = session.get(ReplayJob, job_id)
        assert row is not None and row.partner == "amazon-us"
    expect(page.locator("body")).to_contain_text("finished", timeout=60_000)
    with session_scope(runtime.engine) as session:
        states = {m.id: m.state for m in session.exec(select(Message))}
    assert states[us.message_id] == "done"
    assert states[eu.message_id] == "failed"  # the other partner's failure was left alone


@pytest.mark.parametrize("server_config", [{"ACORN_LOGIN_LIMIT_PER_USER": "3 per 3 seconds"}])
def test_login_lockout_and_recovery(server: str, page) -> None:
    """Three wrong passwords lock the user out (the right one is refused too, with a clear
    message); once the window has passed the right password works again."""
    from playwright.sync_api import expect

    for _ in range(3):
        _login(page, server, "operator", "not the password")
        expect(page.locator(".flash.error")).to_contain_text("Unknown user or wrong password.")
    started = time.monotonic()
    _login(page, server, "operator")
    expect(page.locator("#lockout")).to_contain_text("Too many failed logins for this user")
    shot(page, "11-login-locked")
    time.sleep(max(0.0, 3.5 - (time.monotonic() - started)))
    _login(page, server, "operator")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


def test_an_admin_manages_people_on_the_users_page(runtime, server: str, page) -> None:
    """Add a user, give them a role and an expiring API token, reset the password, disable them."""
    from playwright.sync_api import expect

    _login(page, server, "admin")
    page.get_by_role("link", name="Users").click()
    form = page.locator("#add-user")
    form.get_by_label("Name").fill("clerk")
    form.get_by_label("Password").fill("clerk password 1")
    form.get_by_role("button", name="Add user").click()
    expect(page.locator(".flash.info")).to_contain_text("clerk: add done.")
    row = page.locator('tr[data-user="clerk"]')
    row.get_by_label("Role of clerk").select_option("operator")
    row.get_by_role("button", name="set role").click()
    expect(page.get_by_label("Role of clerk")).to_have_value("operator")
    row = page.locator('tr[data-user="clerk"]')
    row.get_by_label("Token days for clerk").fill("30")
    row.get_by_role("button", name="new token").click()
    expect(page.locator("#issued-token")).to_contain_text("valid 30 days")
    token = page.locator("#issued-token pre.token").inner_text().strip()
    assert token.startswith("acorn_")
    expect(page.locator('tr[data-user="clerk"]')).to_contain_text("until")
    shot(page, "12-users")
    row = page.locator('tr[data-user="clerk"]')
    row.get_by_label("New password for clerk").fill("another password 2")
    row.get_by_role("button", name="reset password").click()
    expect(page.locator(".flash.info")).to_contain_text("clerk: password reset done.")
    page.locator('tr[data-user="clerk"]').get_by_role("button", name="disable").click()
    expect(page.locator('tr[data-user="clerk"]')).to_contain_text("disabled")

    page.get_by_role("link", name="Audit log").click()
    first = page.locator("table.list tbody tr").first
    expect(first).to_contain_text("user.disable")
    expect(page.locator("table.list")).to_contain_text("expires in days")
    expect(page.locator("table.list")).not_to_contain_text("\\u0027")
    page.get_by_role("button", name="Log out").click()
    _login(page, server, "clerk", "another password 2")
    expect(page.locator(".flash.error")).to_contain_text("Unknown user or wrong password.")


def _states(runtime) -> dict[int, str]:
    with session_scope(runtime.engine) as session:
        return {int(m.id): m.state for m in session.exec(select(Message))}


@pytest.mark.parametrize("server_config", [{"ACORN_LOGIN_LIMIT_PER_USER": "3 per 10 seconds"}])
def test_operator_walkthrough(runtime, server: str, page, tmp_path) -> None:
    """The done-when walkthrough: a login lockout and recovery, a failed file fixed by uploading a
    corrected copy, a bulk replay of one partner only, a CSV export of the messages list, and a
    chart's numbers matching the database."""
    import csv
    import io

    from playwright.sync_api import expect

    from tests.console.test_resolve import corrected

    original = break_mapping(runtime)
    us = pipeline.ingest(runtime, sample("x12_4010_850_new_po.edi"), "us-850.edi", mailbox="local")
    eu = pipeline.ingest(runtime, sample("bad_edifact_unt_reference.edi"), "eu-bad.edi", mailbox="local")
    fix_mapping(runtime, original)  # fixed, but what failed stays failed until replayed
    bad = pipeline.ingest(runtime, sample("bad_x12_850_se_count.edi"), "bad-count.edi", mailbox="local")
    assert {bad.state, us.state, eu.state} == {"failed"}

    # 1. a login lockout, then recovery once the window has passed
    for _ in range(3):
        _login(page, server, "operator", "not the password")
        expect(page.locator(".flash.error")).to_contain_text("Unknown user or wrong password.")
    _login(page, server, "operator")
    expect(page.locator("#lockout")).to_contain_text("Too many failed logins")
    started = time.monotonic()  # the whole moving window passes after the refused attempt
    shot(page, "20-walk-locked")
    time.sleep(max(0.0, 10.5 - (time.monotonic() - started)))
    _login(page, server, "operator")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()

    # 2. a failed file that no replay can fix: upload the corrected copy from the partner
    page.get_by_role("link", name="bad-count.edi").first.click()
    expect(page.locator("#error")).to_contain_text("SE01 says '12'")
    fixed = tmp_path / "bad-count-fixed.edi"
    fixed.write_bytes(corrected())
    form = page.locator("#correct-form")
    form.get_by_label("Corrected file").set_input_files(str(fixed))
    form.get_by_label("Reason").fill("partner resent with the right SE count")
    form.get_by_role("button", name="Upload corrected file").click()
    expect(page.locator(".flash.info")).to_contain_text(f"Message {bad.message_id} resolved")
    expect(page.locator("h1 .state")).to_have_text("done")
    shot(page, "21-walk-corrected")
    page.get_by_role("link", name=f"message {bad.message_id}").click()
    expect(page.locator("h1 .state")).to_have_text("resolved")
    expect(page.locator("dl.meta")).to_contain_text("Corrected by")
    page.get_by_role("link", name="Dashboard").first.click()
    expect(page.get_by_role("link", name="bad-count.edi")).to_have_count(0)  # no longer needs action

    # 3. a bulk replay of one partner only, after the mapping fix
    page.goto(server + "/bulk-replay")
    page.get_by_label("Partner").select_option("amazon-us")
    page.get_by_label("Reason").fill("850 date format fixed")
    page.get_by_role("button", name="Replay all failed messages").click()
    expect(page.locator("body")).to_contain_text("finished", timeout=60_000)
    shot(page, "22-walk-bulk")
    states = _states(runtime)
    assert states[us.message_id] == "done" and states[eu.message_id] == "failed"

    # 4. a CSV export of the messages list, filtered to what still fails
    page.goto(server + "/messages?state=failed")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert [int(r["id"]) for r in rows] == [eu.message_id]
    assert rows[0]["partner"] == "amazon-eu" and rows[0]["state"] == "failed"

    # 5. a chart's numbers are the database's: messages and failures per day and partner, counted
    #    here from the rows themselves, against the table beside the picture
    from collections import Counter

    from gateway.console.formatting import fmt_cell

    with session_scope(runtime.engine) as session:
        messages = session.exec(select(Message)).all()
        total = Counter((m.created_at.date(), m.partner or "(unknown)") for m in messages)
        failed = Counter(
            (m.created_at.date(), m.partner or "(unknown)") for m in messages if m.state == "failed"
        )
    expected = [
        [fmt_cell(d), p, fmt_cell(n), fmt_cell(failed[(d, p)])] for (d, p), n in sorted(total.items())
    ]
    page.goto(server + "/business")
    cells = page.locator("#chart-messages table tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))"
    )
    assert cells == expected and any(row[3] != "0" for row in cells)  # the amazon-eu failure shows

    with session_scope(runtime.engine) as session:
        actions = {a.action for a in session.exec(select(AuditEntry))}
    assert {"correct", "replay"} <= actions


def test_an_operator_cancels_a_blocked_invoice_from_the_po_timeline(
    runtime, seeded, server: str, page
) -> None:
    """Issue 17: the PO's timeline lists the held invoice with its reason; cancel (with a reason) is
    audited and the timeline shows it cancelled."""
    from playwright.sync_api import expect

    from gateway.store.models import AuditEntry, Document
    from gateway.store.money import InvoiceCheck

    reason = {"code": "duplicate_invoice", "message": "shipment ASN-1 is already invoiced by erp's ERP-9001"}
    with session_scope(runtime.engine) as session:
        session.add(InvoiceCheck(document_id=seeded["invoice"], reasons=[reason]))
    _login(page, server, "operator")
    page.goto(server + "/po/4TQ8ZK2M")
    row = page.locator(f'table.timeline tr[data-document="{seeded["invoice"]}"]')
    expect(row).to_contain_text("duplicate_invoice: shipment ASN-1 is already invoiced")
    row.get_by_label("Reason").fill("the ERP's invoice stands")
    shot(page, "timeline-blocked")
    row.get_by_role("button", name="cancel").click()
    expect(page.locator(".flash")).to_contain_text("cancel done")
    expect(page.locator(f'table.timeline tr[data-document="{seeded["invoice"]}"]')).to_contain_text(
        "cancelled"
    )
    shot(page, "timeline-cancelled")
    with session_scope(runtime.engine) as session:
        assert session.get(Document, seeded["invoice"]).status == "cancelled"
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "invoice.cancelled")).one()
        assert (audit.actor, audit.reason) == ("operator", "the ERP's invoice stands")


def test_an_operator_cancels_a_blocked_ship_notice_from_the_po_page(
    runtime, seeded, server: str, page
) -> None:
    """Issue 17: our ship notice held at send is listed on the PO's page with its reason; cancel
    (with a reason) is audited and the page shows it cancelled."""
    from playwright.sync_api import expect

    from gateway.console.orders import documents_of_po
    from gateway.store.models import ShipNoticeRecord

    reason = {"code": "shipped_over_confirmed", "message": "line 1: 36 EA shipped, 24 EA confirmed"}
    with session_scope(runtime.engine) as session:
        found = documents_of_po(session, "4TQ8ZK2M").values()
        asn = next((d for d in found if d.type == "shipment"), None)
        assert asn is not None
        record = ShipNoticeRecord(
            partner="amazon-us", shipment_id=asn.business_key, source_shipment_id=asn.business_key,
            po_numbers=["4TQ8ZK2M"], status="blocked", reasons=[reason],
        )  # fmt: skip
        session.add(record)
        session.flush()
        record_id = int(record.id)
    _login(page, server, "operator")
    page.goto(server + "/po/4TQ8ZK2M")
    row = page.locator(f'table.timeline tr[data-ship-notice="{record_id}"]')
    expect(row).to_contain_text("shipped_over_confirmed: line 1: 36 EA shipped, 24 EA confirmed")
    row.get_by_label("Reason").fill("the pallet stays in the warehouse")
    shot(page, "ship-notice-blocked")
    row.get_by_role("button", name="cancel").click()
    expect(page.locator(".flash")).to_contain_text("cancel done")
    expect(page.locator(f'table.timeline tr[data-ship-notice="{record_id}"]')).to_contain_text("cancelled")
    shot(page, "ship-notice-cancelled")
    with session_scope(runtime.engine) as session:
        assert session.get(ShipNoticeRecord, record_id).status == "cancelled"
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "ship_notice.cancelled")).one()
        assert (audit.actor, audit.reason) == ("operator", "the pallet stays in the warehouse")
