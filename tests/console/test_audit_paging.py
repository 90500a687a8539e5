"""Issue 19 item 3 for the audit log: keyset pages (newest first, a hundred a page), the count of
what the filter matches, and a CSV export of every matching row, not just the page shown."""

from __future__ import annotations

import csv
import io
import re

from gateway.console.audit import record
from gateway.store import session_scope
from tests.console.conftest import login_as


def test_the_audit_log_is_paged_counted_and_exported_with_its_filter(client, runtime, accounts) -> None:
    with session_scope(runtime.engine) as session:
        for n in range(250):
            record(session, "ops" if n % 2 else "finance", "replay", "message", n, reason=f"try {n:03d}")
    login_as(client, runtime, "viewer")

    first = client.get("/audit?actor=ops").get_data(as_text=True)
    assert "125 entries" in first  # the odd ones only; a page holds 100
    assert "try 249" in first and "try 051" in first and "try 049" not in first and "try 248" not in first
    older = re.search(r'href="([^"]*before=\d+[^"]*)"', first)
    assert older, "no link to older entries"
    second = client.get(older.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert "try 049" in second and "try 001" in second and "try 051" not in second and "Newer" in second

    export = client.get("/audit?actor=ops&format=csv")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert len(rows) == 125 and {r["actor"] for r in rows} == {"ops"}
