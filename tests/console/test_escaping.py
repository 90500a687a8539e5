"""A malicious payload: markup in a file name, in raw EDI and in document data is shown, never run."""

from __future__ import annotations

from gateway.service import pipeline
from tests.console.conftest import login_as, sample

SCRIPT = '<script>alert("acorn")</script>'
IMG = "<img src=x onerror=alert(1)>"


def _evil_po() -> bytes:
    data = sample("x12_4010_850_new_po.edi").decode()
    data = data.replace("N1*ST**92*ABE8~", f"N1*ST*{IMG}*92*ABE8~")  # a party name with markup
    return data.encode()


def _evil_failed() -> bytes:
    data = sample("bad_x12_850_se_count.edi").decode()
    return data.replace("BEG*00*NE*", f"BEG*00*NE*{SCRIPT}").encode()


def _assert_escaped(html: str) -> None:
    assert SCRIPT not in html
    assert IMG not in html
    assert "<script" not in html.lower()


def test_markup_in_filenames_raw_edi_and_documents_is_escaped(client, runtime, accounts) -> None:
    ok = pipeline.ingest(runtime, _evil_po(), f"{SCRIPT}.edi", mailbox="local")
    bad = pipeline.ingest(runtime, _evil_failed(), f"{IMG}.edi", mailbox="local")
    assert ok.state == "done"
    assert bad.state == "failed"
    login_as(client, runtime, "operator")
    pages = [
        f"/messages/{ok.message_id}",
        f"/messages/{bad.message_id}",
        "/messages",
        "/messages?q=4TQ8ZK2M",
        "/messages?q=" + SCRIPT,
        "/",
        "/po/4TQ8ZK2M",
        "/audit",
        "/bulk-replay",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        _assert_escaped(response.get_data(as_text=True))
    detail = client.get(f"/messages/{bad.message_id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;acorn&#34;)&lt;/script&gt;" in detail  # the raw segment, as text
    assert "&lt;img src=x onerror=alert(1)&gt;.edi" in detail  # the file name
    document = client.get(f"/messages/{ok.message_id}").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;" in document  # the party name in the canonical document


def test_markup_in_a_po_number_path_is_escaped(client, runtime, accounts) -> None:
    login_as(client, runtime, "viewer")
    response = client.get("/po/" + SCRIPT)
    assert response.status_code == 404
    _assert_escaped(response.get_data(as_text=True))


def test_binary_payload_shows_as_text(client, runtime, accounts) -> None:
    receipt = pipeline.ingest(runtime, sample("bad_binary.edi"), "zip.edi", mailbox="local")
    login_as(client, runtime, "viewer")
    html = client.get(f"/messages/{receipt.message_id}").get_data(as_text=True)
    assert "\x00" not in html and "\x03" not in html
    assert "␃" in html  # control characters become their visible symbols
