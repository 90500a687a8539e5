"""In a real browser: the business page's pictures load under the console's CSP, a chart's table
shows the database's numbers, and its CSV export downloads the same rows."""

from __future__ import annotations

import csv
import io
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlmodel import Session
from werkzeug.serving import make_server

from gateway.console import charts, create_app
from gateway.console.formatting import fmt_cell
from tests.console.conftest import PASSWORD
from tests.console.test_browser import ARGS, CHROMIUM

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium")


@pytest.fixture
def server(runtime, accounts, seeded) -> Iterator[str]:
    app = create_app(runtime, {"SECRET_KEY": "business-browser-key"})
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join()
        httpd.server_close()


def test_chart_numbers_match_the_database_and_the_csv_downloads(runtime, server: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        try:
            page = browser.new_context(
                viewport={"width": 1400, "height": 1000}, accept_downloads=True
            ).new_page()
            page.set_default_timeout(30_000)
            refused: list[str] = []
            page.on(
                "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
            )
            page.goto(server + "/login")
            page.get_by_label("User").fill("viewer")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.get_by_role("link", name="Business", exact=True).click()
            expect(page.get_by_role("heading", name="Business", exact=True)).to_be_visible()

            for name in charts.CHARTS:  # every picture loaded and was drawn
                img = page.locator(f"#chart-{name} img")
                expect(img).to_be_visible()
                page.wait_for_function("i => i.complete && i.naturalWidth > 0", arg=img.element_handle())
            assert refused == []

            with Session(runtime.engine) as session:
                expected = charts.table(session, "shortage_fc")
            assert expected.rows, "the seeded shortage shows"
            cells = page.locator("#chart-shortage_fc table tbody tr").evaluate_all(
                "rows => rows.map(r => Array.from(r.cells).map(c => c.textContent.trim()))"
            )
            assert cells == [[fmt_cell(v) for v in row] for row in expected.rows]

            with page.expect_download() as info:
                page.locator("#chart-shortage_fc").get_by_role("link", name="CSV").click()
            target = tmp_path / "shortage_fc.csv"
            info.value.save_as(target)
            rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8"))))
            assert rows[0] == list(expected.columns)
            assert len(rows) - 1 == len(expected.rows) and rows[1][0] == expected.rows[0][0]
            assert rows[1][2] == "12.5"

            page.get_by_role("link", name="Discrepancies", exact=True).click()
            with page.expect_download() as info:
                page.get_by_role("link", name="Export CSV").click()
            assert info.value.suggested_filename == "discrepancies.csv"
        finally:
            browser.close()
