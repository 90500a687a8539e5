"""AS2 end to end over real HTTP on 127.0.0.1: our As2Mailbox sending to our own endpoint (the
partner's side), signed/encrypted/compressed, sync and async MDNs, and every way it must refuse."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask, Response, request
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.config.partners import As2Mailbox as As2Config
from gateway.transports import open_mailbox
from gateway.transports.as2 import As2Mailbox, verify_async_mdn
from gateway.transports.as2_http import Outcome, Rejection, make_as2_app
from gateway.transports.as2_mdn import MdnResult, SentMessage, build_mdn
from gateway.transports.as2_message import build_message, parse_message
from gateway.transports.as2_profile import As2Profile, profile_lookup
from gateway.transports.base import TransportError

X12 = b"ISA*00*          *00*          *ZZ*ACMEVENDOR     *ZZ*AMAZON         *260101*1200*U*00401*000000001*0*P*>~\nGS*IN*ACMEVENDOR*AMAZON*20260101*1200*1*X*004010~\n"


def acme_config(pki, url: str, **overrides: object) -> As2Config:
    """Our side: ACME sending to AMAZON."""
    settings = {
        "name": "as2", "type": "as2", "as2_id": "ACME", "partner_as2_id": "AMAZON", "url": url,
        "our_private_key": str(pki.acme[0]), "our_certificate": str(pki.acme[1]),
        "partner_certificate": str(pki.amazon[1]), "mdn_timeout_seconds": 30,
    }  # fmt: skip
    settings.update(overrides)
    return As2Config.model_validate(settings)


def amazon_config(pki, **overrides: object) -> As2Config:
    """The partner's side (our own code playing Amazon): AMAZON receiving from ACME."""
    settings = {
        "name": "as2", "type": "as2", "as2_id": "AMAZON", "partner_as2_id": "ACME", "url": "http://127.0.0.1:9/",
        "our_private_key": str(pki.amazon[0]), "our_certificate": str(pki.amazon[1]),
        "partner_certificate": str(pki.acme[1]),
    }  # fmt: skip
    settings.update(overrides)
    return As2Config.model_validate(settings)


@dataclass
class Endpoint:
    """An AS2 endpoint (our blueprint) that records what it delivered and rejected."""

    url: str = ""
    delivered: list[tuple[str, str, str, bytes, str]] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    mdns: list[MdnResult] = field(default_factory=list)
    mdn_arrived: threading.Event = field(default_factory=threading.Event)
    seen: set[str] = field(default_factory=set)

    def deliver(self, partner: str, mailbox: str, filename: str, payload: bytes, message_id: str) -> Outcome:
        self.delivered.append((partner, mailbox, filename, payload, message_id))
        if message_id in self.seen:
            return Outcome.duplicate("same Message-ID")
        self.seen.add(message_id)
        return Outcome.accepted()


@pytest.fixture
def amazon(pki, http_server) -> Callable[..., Endpoint]:
    """``amazon(**profile overrides)``: the partner's endpoint, running."""

    def start(**overrides: object) -> Endpoint:
        endpoint = Endpoint()
        lookup = profile_lookup([("acme", amazon_config(pki, **overrides))])
        app = make_as2_app(lookup, endpoint.deliver, on_rejected=endpoint.rejected.append)
        endpoint.url = http_server(app).url + "/as2"
        return endpoint

    return start


@pytest.fixture
def acme_mdn_inbox(pki, http_server) -> Callable[[list[tuple[SentMessage, As2Config]]], Endpoint]:
    """Our own endpoint receiving async MDNs and checking them with verify_async_mdn."""

    def start(sent: list[tuple[SentMessage, As2Config]]) -> Endpoint:
        endpoint = Endpoint()

        def find(message_id: str) -> tuple[SentMessage, As2Config] | None:
            return next(((s, c) for s, c in sent if s.message_id == message_id), None)

        def on_mdn(headers: Mapping[str, str], body: bytes) -> None:
            endpoint.mdns.append(verify_async_mdn(headers, body, find))
            endpoint.mdn_arrived.set()

        app = make_as2_app(profile_lookup([]), endpoint.deliver, on_mdn=on_mdn)
        endpoint.url = http_server(app).url + "/as2"
        return endpoint

    return start


MATRIX = [
    pytest.param(
        {"sign": False, "encrypt": False, "require_signed": False, "require_encrypted": False}, id="plain"
    ),
    pytest.param({"sign": True, "encrypt": False, "require_encrypted": False}, id="signed"),
    pytest.param({"sign": False, "encrypt": True, "require_signed": False}, id="encrypted"),
    pytest.param({"sign": True, "encrypt": True}, id="signed+encrypted"),
    pytest.param({"sign": True, "encrypt": True, "compress": True}, id="compressed+signed+encrypted"),
    pytest.param(
        {
            "sign": False,
            "encrypt": False,
            "compress": True,
            "require_signed": False,
            "require_encrypted": False,
        },
        id="compressed",
    ),
    pytest.param(
        {
            "sign": True,
            "encrypt": True,
            "key_encryption": "rsaes_oaep",
            "encrypt_algorithm": "aes_256_cbc",
            "sign_algorithm": "sha512",
        },
        id="oaep+aes256+sha512",
    ),
]


def split(options: dict[str, object]) -> tuple[dict[str, object], dict[str, object]]:
    """Sender options vs the receiver's demands (require_*)."""
    receiver = {k: v for k, v in options.items() if k.startswith("require_")}
    return {k: v for k, v in options.items() if not k.startswith("require_")}, receiver


@pytest.mark.parametrize("options", MATRIX)
def test_sync_mdn_matrix(pki, amazon, options):
    sender, receiver = split(options)
    endpoint = amazon(**receiver)
    box = open_mailbox("amazon-us", acme_config(pki, endpoint.url, **sender))
    receipt = box.send("INV0001.edi", X12)
    assert receipt.delivered is True
    assert "MIC verified" in (receipt.detail or "")
    [(partner, mailbox, filename, payload, message_id)] = endpoint.delivered
    assert (partner, mailbox, filename, payload) == ("acme", "as2", "INV0001.edi", X12)
    assert receipt.ref == f"<{message_id}>"
    assert endpoint.rejected == []


@pytest.mark.parametrize("options", MATRIX)
def test_async_mdn_matrix(pki, amazon, acme_mdn_inbox, options):
    sender, receiver = split(options)
    endpoint = amazon(**receiver)
    sent: list[tuple[SentMessage, As2Config]] = []
    ours = acme_mdn_inbox(sent)
    config = acme_config(pki, endpoint.url, mdn_mode="async", async_mdn_url=ours.url, **sender)
    box = As2Mailbox("amazon-us", config)
    box.on_sent = lambda message: sent.append((message, config))
    receipt = box.send("INV0002.edi", X12)
    assert receipt.delivered is False and "asynchronous" in (receipt.detail or "")
    assert box.last_sent is not None and sent == [(box.last_sent, config)]
    assert ours.mdn_arrived.wait(30), "the async MDN never arrived"
    [result] = ours.mdns
    assert result.delivered, result.reason
    assert result.original_message_id == box.last_sent.message_id
    assert result.mic == box.last_sent.mic
    assert endpoint.delivered[0][3] == X12


def test_mdn_for_a_message_we_never_sent_is_not_matched(pki, amazon, acme_mdn_inbox):
    endpoint = amazon()
    ours = acme_mdn_inbox([])  # nothing recorded as sent
    box = As2Mailbox("amazon-us", acme_config(pki, endpoint.url, mdn_mode="async", async_mdn_url=ours.url))
    box.send("x.edi", X12)
    assert ours.mdn_arrived.wait(30)
    assert ours.mdns[0].delivered is False
    assert "was sent by us" in ours.mdns[0].reason


def test_bad_signature_is_rejected_with_an_error_mdn(pki, amazon):
    endpoint = amazon(partner_certificate=str(pki.stranger[1]))  # expects another signer
    box = As2Mailbox("amazon-us", acme_config(pki, endpoint.url))
    with pytest.raises(TransportError, match="authentication-failed") as info:
        box.send("INV.edi", X12)
    assert info.value.retryable is False
    assert endpoint.delivered == []
    [rejection] = endpoint.rejected
    assert (rejection.partner, rejection.detail) == ("acme", "authentication-failed")


def test_wrong_as2_to_is_refused(pki, amazon):
    endpoint = amazon()
    box = As2Mailbox("amazon-us", acme_config(pki, endpoint.url, partner_as2_id="NOT-AMAZON"))
    with pytest.raises(TransportError, match="not delivered") as info:
        box.send("INV.edi", X12)
    assert info.value.retryable is False
    assert endpoint.delivered == []
    [rejection] = endpoint.rejected
    assert rejection.detail == "unknown-trading-partner" and rejection.as2_to == "NOT-AMAZON"
    assert rejection.partner is None


def test_unencrypted_where_encryption_is_required(pki, amazon):
    endpoint = amazon(require_encrypted=True)
    box = As2Mailbox("amazon-us", acme_config(pki, endpoint.url, encrypt=False))
    with pytest.raises(TransportError, match="insufficient-message-security"):
        box.send("INV.edi", X12)
    assert endpoint.delivered == [] and endpoint.rejected[0].detail == "insufficient-message-security"


def test_unsigned_where_signing_is_required(pki, amazon):
    endpoint = amazon(require_signed=True)
    box = As2Mailbox("amazon-us", acme_config(pki, endpoint.url, sign=False))
    with pytest.raises(TransportError, match="insufficient-message-security"):
        box.send("INV.edi", X12)
    assert endpoint.delivered == [] and "must be signed" in endpoint.rejected[0].reason


def test_duplicate_message_id_is_answered_as_duplicate(pki, amazon):
    endpoint = amazon()
    box = As2Mailbox("amazon-us", acme_config(pki, endpoint.url))
    first = box.send("INV.edi", X12)
    again = box.send("INV.edi", X12)  # same file, same bytes: same Message-ID
    assert first.ref == again.ref
    assert again.delivered is True and "duplicate-document" in (again.detail or "")
    assert [d[4] for d in endpoint.delivered] == [first.ref.strip("<>")] * 2
    other = box.send("INV2.edi", X12)
    assert other.ref != first.ref


def test_missing_as2_headers_get_400(amazon):
    import urllib.error
    import urllib.request

    endpoint = amazon()
    req = urllib.request.Request(endpoint.url, data=b"hello", method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=10)
    assert info.value.code == 400
    assert b"AS2-From" in info.value.read()


def raw_post(url: str, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers.items()), exc.read()


def test_tampered_payload_and_garbage_get_error_mdns(pki, amazon):
    endpoint = amazon(require_encrypted=False)
    profile = As2Profile.load("amazon-us", acme_config(pki, endpoint.url, encrypt=False))
    built = build_message(profile, "INV.edi", X12, "tamper-1@acme")
    assert X12[:20] in built.body
    status, _headers, body = raw_post(
        endpoint.url, built.headers, built.body.replace(b"ACMEVENDOR", b"EVILVENDOR", 1)
    )
    assert status == 200 and b"authentication-failed" in body
    garbage = dict(
        built.headers,
        **{
            "Message-ID": "<garbage-1@acme>",
            "Content-Type": "application/pkcs7-mime; smime-type=enveloped-data",
        },
    )
    status, _headers, body = raw_post(endpoint.url, garbage, b"\x00\x01 this is not CMS")
    assert status == 200 and b"processed/Error" in body and b"decryption-failed" in body
    assert endpoint.delivered == []
    assert [r.message_id for r in endpoint.rejected] == ["tamper-1@acme", "garbage-1@acme"]
    assert all(r.reason for r in endpoint.rejected)


def test_mic_mismatch_is_detected_by_the_sender(pki, http_server):
    """A partner whose MDN is validly signed but returns another MIC: not delivered."""
    lookup = profile_lookup([("acme", amazon_config(pki))])
    app = Flask("liar")

    @app.post("/as2")
    def receive() -> Response:
        inbound = parse_message(dict(request.headers.items()), request.get_data(), lookup)
        assert inbound.ok and inbound.message is not None
        inbound.message.mic = b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
        mdn = build_mdn(inbound, "processed")
        return Response(mdn.body, headers=mdn.headers)

    url = http_server(app).url + "/as2"
    box = As2Mailbox("amazon-us", acme_config(pki, url))
    with pytest.raises(TransportError, match="MIC mismatch") as info:
        box.send("INV.edi", X12)
    assert info.value.retryable is False


def test_mdn_signed_by_someone_else_is_refused(pki, http_server):
    lookup = profile_lookup(
        [
            (
                "acme",
                amazon_config(
                    pki, our_private_key=str(pki.stranger[0]), our_certificate=str(pki.stranger[1])
                ),
            )
        ]
    )
    app = make_as2_app(
        lookup,
        lambda *a: Outcome.accepted(),
    )
    url = http_server(app).url + "/as2"
    # The stranger cannot decrypt what we encrypt for AMAZON; send signed only to reach the MDN.
    box = As2Mailbox("amazon-us", acme_config(pki, url, encrypt=False))
    with pytest.raises(TransportError, match="not delivered") as info:
        box.send("INV.edi", X12)
    assert "signature" in str(info.value).lower()


def test_mdn_timeout_then_retry_with_the_same_message_id(pki, http_server):
    lookup = profile_lookup([("acme", amazon_config(pki))])
    endpoint = Endpoint()
    release, first_done = threading.Event(), threading.Event()
    inner = make_as2_app(lookup, endpoint.deliver)
    ids: list[str] = []

    def slow_first(environ, start_response):  # a WSGI wrapper that holds the first request
        ids.append(environ.get("HTTP_MESSAGE_ID", ""))
        if len(ids) == 1:
            release.wait(60)
            try:
                return list(inner(environ, start_response))
            finally:
                first_done.set()
        return inner(environ, start_response)

    url = http_server(slow_first).url + "/as2"
    box = As2Mailbox("amazon-us", acme_config(pki, url, mdn_timeout_seconds=0.5))
    with pytest.raises(TransportError, match=r"no MDN .* retry sends the same Message-ID") as info:
        box.send("INV.edi", X12)
    assert info.value.retryable is True
    release.set()
    assert first_done.wait(30)
    receipt = box.send("INV.edi", X12)  # the retry
    assert ids[0] == ids[1] == receipt.ref
    assert receipt.delivered and "duplicate-document" in (receipt.detail or "")
    assert [d[3] for d in endpoint.delivered] == [X12, X12]


def test_explicit_message_id(pki, amazon):
    endpoint = amazon()
    box = As2Mailbox("amazon-us", acme_config(pki, endpoint.url))
    box.next_message_id = "<order-42@acme.example>"
    assert box.send("a.edi", X12).ref == "<order-42@acme.example>"
    assert box.send_with_id("b.edi", X12, "other-1@acme.example").ref == "<other-1@acme.example>"
    assert [d[4] for d in endpoint.delivered] == ["order-42@acme.example", "other-1@acme.example"]


def test_partner_down_is_retryable(pki):
    box = As2Mailbox("amazon-us", acme_config(pki, "http://127.0.0.1:9/as2"))
    with pytest.raises(TransportError, match="cannot reach") as info:
        box.send("a.edi", X12)
    assert info.value.retryable is True


def test_http_error_answers(pki, http_server):
    app = Flask("broken")
    codes = iter([503, 403])

    @app.post("/as2")
    def receive() -> Response:
        return Response("nope\n", next(codes))

    box = As2Mailbox("amazon-us", acme_config(pki, http_server(app).url + "/as2"))
    with pytest.raises(TransportError, match="HTTP 503") as info:
        box.send("a.edi", X12)
    assert info.value.retryable is True
    with pytest.raises(TransportError, match="HTTP 403") as info:
        box.send("a.edi", X12)
    assert info.value.retryable is False


def test_text_content_type_keeps_the_bytes(pki, amazon):
    """pyas2lib would turn bare LFs into CRLF for text-like types; we keep the bytes exact."""
    endpoint = amazon()
    box = As2Mailbox("amazon-us", acme_config(pki, endpoint.url, content_type="application/EDI-X12"))
    box.send("lf.edi", X12)
    crlf = X12.replace(b"\n", b"\r\n")
    box.send("crlf.edi", crlf)
    assert [d[3] for d in endpoint.delivered] == [X12, crlf]


def test_no_mdn_mode(pki, amazon):
    endpoint = amazon()
    receipt = As2Mailbox("amazon-us", acme_config(pki, endpoint.url, mdn_mode="none")).send("a.edi", X12)
    assert receipt.delivered and "no MDN" in (receipt.detail or "")
    assert endpoint.delivered[0][3] == X12


def test_broken_key_file_is_a_clear_non_retryable_error(pki, tmp_path):
    bad = tmp_path / "bad.key"
    bad.write_text("not a key")
    box = As2Mailbox("amazon-us", acme_config(pki, "http://127.0.0.1:9/", our_private_key=str(bad)))
    with pytest.raises(TransportError, match=r"cannot load private key .*bad\.key") as info:
        box.send("a.edi", X12)
    assert info.value.retryable is False


def test_inbox_side_of_the_interface(pki):
    box = As2Mailbox("amazon-us", acme_config(pki, "http://127.0.0.1:9/"))
    assert box.list_ready() == []
    with pytest.raises(TransportError, match="arrive over HTTP"):
        box.fetch(None, Path("x"))  # type: ignore[arg-type]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.binary(min_size=0, max_size=3000),
    filename=st.from_regex(r"[A-Za-z0-9_-]{1,20}\.(edi|x12|txt)", fullmatch=True),
    compress=st.booleans(),
    content_type=st.sampled_from(["application/octet-stream", "application/edi-x12", "application/EDIFACT"]),
)
def test_round_trip_any_bytes(pki, payload, filename, compress, content_type):
    """Whatever the bytes, they come out of parse exactly as they went into build, and the MIC the
    receiver computes is the one the sender expects."""
    sender = As2Profile.load(
        "amazon-us", acme_config(pki, "http://x/", compress=compress, content_type=content_type)
    )
    built = build_message(sender, filename, payload, "prop@acme")
    inbound = parse_message(built.headers, built.body, profile_lookup([("acme", amazon_config(pki))]))
    assert inbound.ok, inbound.reason
    assert inbound.payload == payload and inbound.filename == filename
    assert inbound.message is not None and inbound.message.mic.decode() == built.mic
