"""Message pages with real messages from the pipeline: detail, highlighting, search, PO page."""

from __future__ import annotations

import re

from gateway.service import pipeline
from tests.console.conftest import login_as, sample


def _ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<td><a href="/messages/(\d+)">', html)]


def test_failed_message_shows_error_position_and_highlights_the_segment(client, runtime, seeded) -> None:
    login_as(client, runtime, "viewer")
    html = client.get(f"/messages/{seeded['failed_message']}").get_data(as_text=True)
    assert "X12_SE_COUNT_MISMATCH" in html
    assert "SE01 says" in html
    marked = '<code>SE*<mark title="element 1">12</mark>*0001~</code>'
    assert f'<li id="seg-12" class="failing"><span class="n">12</span>{marked}' in html
    assert html.count('class="failing"') == 1
    assert '<a href="#seg-12">show the segment</a>' in html


def test_done_message_shows_envelope_timeline_and_documents(client, runtime, seeded) -> None:
    login_as(client, runtime, "viewer")
    html = client.get(f"/messages/{seeded['po_message']}").get_data(as_text=True)
    assert "Interchange 000004101 from ZZ:AMAZON" in html
    assert "purchase_order 4TQ8ZK2M" in html
    assert "&#34;po_number&#34;: &#34;4TQ8ZK2M&#34;" in html  # the canonical document, escaped
    assert 'id="seg-1" class=""' in html and "ISA*00*" in html
    assert "done" in html and "parsed" in html  # the timeline
    assert 'class="failing"' not in html


def test_search_finds_messages_by_po_control_number_filename_and_sha(client, runtime, seeded) -> None:
    login_as(client, runtime, "viewer")
    po = seeded["po_message"]
    for q in ("4TQ8ZK2M", "000004101", "4101", "po-4TQ8", f"#{po}"):
        assert po in _ids(client.get(f"/messages?q={q}").get_data(as_text=True)), q
    sha = client.get(f"/api/messages/{po}").get_json()["sha256"]
    assert _ids(client.get(f"/messages?q={sha[:12]}").get_data(as_text=True)) == [po]
    assert _ids(client.get("/messages?q=NO-SUCH-THING").get_data(as_text=True)) == []


def test_a_message_that_failed_before_storing_documents_is_found_by_its_bytes(
    client, runtime, seeded
) -> None:
    login_as(client, runtime, "viewer")
    failed = seeded["failed_message"]
    body = sample("bad_x12_850_se_count.edi").decode()
    po_number = re.search(r"BEG\*00\*[A-Z]{2}\*([A-Z0-9]+)\*", body).group(1)
    assert failed in _ids(client.get(f"/messages?q={po_number}").get_data(as_text=True))
    api = client.get(f"/api/messages?q={po_number}").get_json()
    assert [m["id"] for m in api["items"]] == [failed]
    assert api["items"][0]["error"]["code"] == "X12_SE_COUNT_MISMATCH"


def test_filters_on_the_list(client, runtime, seeded) -> None:
    login_as(client, runtime, "viewer")
    failed = _ids(client.get("/messages?state=failed").get_data(as_text=True))
    assert failed == [seeded["failed_message"]]
    page = client.get("/messages?type=856").get_data(as_text=True)
    assert _ids(page) == [seeded["asn_message"]]
    outbound = client.get("/api/messages?direction=out").get_json()["items"]
    assert all(m["direction"] == "out" for m in outbound)  # the 997s the pipeline queued
    assert client.get("/api/messages?since=2099-01-01").get_json()["items"] == []


def test_po_page_shows_documents_messages_and_discrepancies(client, runtime, seeded) -> None:
    login_as(client, runtime, "viewer")
    html = client.get(f"/po/{seeded['po_number']}").get_data(as_text=True)
    assert "Purchase orders" in html and "Invoices" in html
    assert f'href="/messages/{seeded["po_message"]}"' in html
    assert "shortage" in html and "12.50 USD" in html
    api = client.get(f"/api/purchase-orders/{seeded['po_number']}").get_json()
    assert {d["type"] for d in api["documents"]} == {"purchase_order", "shipment", "invoice"}
    assert "shortage" in {d["kind"] for d in api["discrepancies"]}


def test_dashboard_counts_and_mailboxes(client, runtime, seeded) -> None:
    login_as(client, runtime, "viewer")
    data = client.get("/api/dashboard").get_json()
    assert data["last_day"]["by_state"]["failed"] == 1
    assert data["last_day"]["by_type"]["850"] >= 1
    assert data["last_week"]["total"] >= data["last_day"]["total"] >= 3
    assert data["open_discrepancies"] >= 1
    html = client.get("/").get_data(as_text=True)
    assert "42 ms" in html and "connection refused &lt;b&gt;" in html
    assert f'href="/messages/{seeded["failed_message"]}"' in html


def test_replayed_duplicate_links_show_as_related(client, runtime, seeded) -> None:
    again = pipeline.ingest(runtime, sample("x12_4010_850_new_po.edi"), "po-again.edi", mailbox="other")
    assert again.state == "duplicate"
    login_as(client, runtime, "viewer")
    html = client.get(f"/messages/{again.message_id}").get_data(as_text=True)
    assert f'Duplicate of</dt><dd><a href="/messages/{seeded["po_message"]}"' in html


def test_a_failed_canonical_xml_message_shows_the_line_at_fault(client, runtime, home) -> None:
    import json

    from gateway.canonical import Shipment
    from gateway.canonical.xml import to_xml
    from tests.conftest import DATA_DIR

    profile = home / "partners" / "warehouse.yaml"
    profile.write_text(profile.read_text(encoding="utf-8") + "\naccept_xml: [shipment]\n", encoding="utf-8")
    (data,) = json.loads((DATA_DIR / "messages" / "x12_4010_856_partial_shipment.expected.json").read_text())
    xml = to_xml(Shipment.from_json_dict(data)).replace(b"<ship_date>", b"<ship_date>soon &amp; ", 1)
    receipt = pipeline.ingest(runtime, xml, "ship.xml", partner="warehouse", mailbox="local")
    assert receipt.state == "failed"
    line = xml[: xml.index(b"<ship_date>")].count(b"\n") + 1
    login_as(client, runtime, "viewer")
    html = client.get(f"/messages/{receipt.message_id}").get_data(as_text=True)
    assert "XML_INVALID" in html and f"<span>line <b>{line}</b></span>" in html
    assert "<span>element <b>ship_date</b></span>" in html and "interchange <b>" not in html
    assert f'<li id="seg-{line}" class="failing"><span class="n">{line}</span>' in html
    assert f'<a href="#seg-{line}">show the line</a>' in html
    assert "&lt;ship_date&gt;soon &amp;amp; " in html  # the raw XML, escaped
