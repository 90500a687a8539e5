"""AS2 interoperability with an independent peer built on the OpenSSL command line (not pyas2lib).

Inbound: ``openssl cms -sign``/``-encrypt`` (and CompressedData made with ``asn1parse -genconf``,
as this OpenSSL has no zlib) build messages that our endpoint must accept; ``openssl cms -verify``
checks the MDN we return and ``openssl dgst`` the Received-content-MIC in it.
Outbound: our As2Mailbox sends to a peer that unwraps with ``openssl cms -decrypt``/``-verify``,
computes the MIC with ``openssl dgst`` and answers with an MDN signed by ``openssl cms -sign``,
synchronously or posted asynchronously to our endpoint.
Matrix: {plain, signed, encrypted, signed+encrypted, compressed} x {sync, async}, plus RSA-OAEP.
"""

from __future__ import annotations

import base64
import itertools
import re
import shutil
import subprocess
import threading
import urllib.request
import zlib
from collections.abc import Mapping
from email import message_from_bytes
from email.message import Message
from pathlib import Path

import pytest
from flask import Flask, Response, request

from gateway.config.partners import As2Mailbox as As2Config
from gateway.transports.as2 import As2Mailbox, verify_async_mdn
from gateway.transports.as2_http import make_as2_app
from gateway.transports.as2_mdn import MdnResult, SentMessage
from gateway.transports.as2_profile import profile_lookup

from .test_as2 import X12, Endpoint, acme_config

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl command line not installed")

COMPRESSED_DATA = "1.2.840.113549.1.9.16.1.9"
ZLIB = "1.2.840.113549.1.9.16.3.8"
DATA = "1.2.840.113549.1.7.1"
_ids = itertools.count(1)


class OpenSsl:
    """The OpenSSL command line, working in one folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    def run(self, *args: str, data: bytes | None = None) -> bytes:
        result = subprocess.run(["openssl", *args], input=data, capture_output=True, check=False)
        if result.returncode != 0:
            raise AssertionError(f"openssl {' '.join(args)} failed: {result.stderr.decode(errors='replace')}")
        return result.stdout

    def file(self, data: bytes) -> str:
        path = self.folder / f"f{next(_ids)}"
        path.write_bytes(data)
        return str(path)

    def mic(self, data: bytes, algorithm: str = "sha256") -> str:
        return base64.b64encode(self.run("dgst", f"-{algorithm}", "-binary", data=data)).decode()

    def sign(self, entity: bytes, cert: Path, key: Path) -> bytes:
        return self.run("cms", "-sign", "-binary", "-crlfeol", "-md", "sha256", "-signer", str(cert),
                        "-inkey", str(key), "-in", self.file(entity))  # fmt: skip

    def verify(self, smime: bytes, signer: Path) -> bytes:
        """Verify S/MIME multipart/signed; returns the exact signed content."""
        return self.run(
            "cms", "-verify", "-binary", "-crlfeol", "-CAfile", str(signer), "-in", self.file(smime)
        )

    def encrypt(self, entity: bytes, recipient: Path, oaep: bool = False) -> bytes:
        extra = ["-keyopt", "rsa_padding_mode:oaep"] if oaep else []
        return self.run("cms", "-encrypt", "-aes-128-cbc", "-binary", "-outform", "DER", "-in", self.file(entity),
                        "-recip", str(recipient), *extra)  # fmt: skip

    def decrypt(self, der: bytes, cert: Path, key: Path) -> bytes:
        return self.run("cms", "-decrypt", "-binary", "-inform", "DER", "-in", self.file(der),
                        "-recip", str(cert), "-inkey", str(key))  # fmt: skip

    def compress(self, entity: bytes) -> bytes:
        """RFC 3274 CompressedData (zlib), assembled by ``asn1parse -genconf``."""
        conf = "\n".join([
            "asn1=SEQUENCE:ci", "[ci]", f"ct=OID:{COMPRESSED_DATA}", "content=EXPLICIT:0,SEQUENCE:cd",
            "[cd]", "version=INTEGER:0", "alg=SEQUENCE:alg", "ec=SEQUENCE:ec",
            "[alg]", f"oid=OID:{ZLIB}",
            "[ec]", f"ct=OID:{DATA}", f"content=EXPLICIT:0,FORMAT:HEX,OCTETSTRING:{zlib.compress(entity).hex()}", "",
        ])  # fmt: skip
        out = self.folder / f"c{next(_ids)}.der"
        self.run("asn1parse", "-genconf", self.file(conf.encode()), "-noout", "-out", str(out))
        return out.read_bytes()

    def uncompress(self, der: bytes) -> bytes:
        """Cut the compressed OCTET STRING out of CompressedData with asn1parse, then inflate."""
        listing = self.run("asn1parse", "-inform", "DER", "-in", self.file(der)).decode()
        assert COMPRESSED_DATA in listing or "id-smime-ct-compressedData" in listing, listing
        offset, header, length = next(
            (int(m[1]), int(m[2]), int(m[3]))
            for m in reversed(
                list(re.finditer(r"(\d+):d=\d+\s+hl=(\d+)\s+l=\s*(\d+)\s+prim: OCTET STRING", listing))
            )
        )
        return zlib.decompress(der[offset + header : offset + header + length])


def mime(headers: Mapping[str, str], body: bytes) -> bytes:
    return "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode() + b"\r\n" + body


def split_mime(entity: bytes) -> tuple[dict[str, str], bytes]:
    head, _, body = entity.partition(b"\r\n\r\n")
    parsed = message_from_bytes(head + b"\r\n\r\n")
    return {k: str(v) for k, v in parsed.items()}, body


KINDS = ["plain", "signed", "encrypted", "signed+encrypted", "compressed", "signed+encrypted+oaep"]


# -- inbound: the OpenSSL peer sends, we receive -------------------------------------------------


def peer_message(ssl: OpenSsl, pki, kind: str, async_url: str | None) -> tuple[dict[str, str], bytes, str]:
    """An AS2 message from AMAZON to ACME made with openssl; returns headers, body, expected MIC."""
    entity = (
        b'Content-Type: application/edi-x12\r\nContent-Disposition: attachment; filename="po850.edi"\r\n'
        b"Content-Transfer-Encoding: binary\r\n\r\n" + X12
    )
    if "compressed" in kind:
        entity = (
            b"Content-Type: application/pkcs7-mime; smime-type=compressed-data; name=smime.p7z\r\n"
            b"Content-Transfer-Encoding: binary\r\n\r\n" + ssl.compress(entity)
        )
    mic = None
    if "signed" in kind:
        mic = ssl.mic(entity)
        entity = ssl.sign(entity, pki.amazon[1], pki.amazon[0])
        entity = entity.removeprefix(b"MIME-Version: 1.0\r\n")
    if "encrypted" in kind:
        mic = mic or ssl.mic(entity)
        envelope = ssl.encrypt(entity, pki.acme[1], oaep="oaep" in kind)
        entity = (
            b"Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\r\n"
            b"Content-Transfer-Encoding: binary\r\n\r\n" + envelope
        )
    headers, body = split_mime(entity)
    mic = mic or ssl.mic(body)
    headers.update({
        "AS2-Version": "1.2", "AS2-From": "AMAZON", "AS2-To": "ACME", "MIME-Version": "1.0",
        "Message-ID": f"<openssl-{next(_ids)}@peer.example>", "Disposition-Notification-To": "edi@peer.example",
        "Disposition-Notification-Options":
            "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha256",
    })  # fmt: skip
    if async_url:
        headers["Receipt-Delivery-Option"] = async_url
    return headers, body, mic


def our_receiving_config(pki, **overrides: object) -> As2Config:
    settings = {
        "name": "as2", "type": "as2", "as2_id": "ACME", "partner_as2_id": "AMAZON", "url": "http://127.0.0.1:9/",
        "our_private_key": str(pki.acme[0]), "our_certificate": str(pki.acme[1]),
        "partner_certificate": str(pki.amazon[1]),
    }  # fmt: skip
    settings.update(overrides)
    return As2Config.model_validate(settings)


def demands(kind: str) -> dict[str, object]:
    return {"require_signed": "signed" in kind, "require_encrypted": "encrypted" in kind}


def check_mdn_with_openssl(
    ssl: OpenSsl, pki, headers: Mapping[str, str], body: bytes, expected_mic: str
) -> str:
    content_type = next(v for k, v in headers.items() if k.lower() == "content-type")
    report = ssl.verify(mime({"MIME-Version": "1.0", "Content-Type": content_type}, body), pki.acme[1])
    text = report.decode()
    assert re.search(r"Disposition: automatic-action/MDN-sent-automatically; processed\r?\n", text), text
    mic = re.search(r"Received-content-MIC: ([^,\r\n]+), *(\S+)", text)
    assert mic is not None, text
    assert (mic[1], mic[2]) == (expected_mic, "sha256")
    return text


@pytest.mark.parametrize("kind", KINDS)
def test_openssl_peer_to_us_sync(tmp_path, pki, http_server, kind):
    ssl = OpenSsl(tmp_path / "ssl")
    ours = Endpoint()
    app = make_as2_app(
        profile_lookup([("amazon-us", our_receiving_config(pki, **demands(kind)))]), ours.deliver
    )
    url = http_server(app).url + "/as2"
    headers, body, mic = peer_message(ssl, pki, kind, None)
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as response:
        answer_headers, answer = dict(response.headers.items()), response.read()
    check_mdn_with_openssl(ssl, pki, answer_headers, answer, mic)
    [(partner, _mailbox, filename, payload, message_id)] = ours.delivered
    assert (partner, filename, payload) == ("amazon-us", "po850.edi", X12)
    assert f"<{message_id}>" == headers["Message-ID"]


@pytest.mark.parametrize("kind", KINDS)
def test_openssl_peer_to_us_async(tmp_path, pki, http_server, kind):
    ssl = OpenSsl(tmp_path / "ssl")
    arrived: list[tuple[dict[str, str], bytes]] = []
    done = threading.Event()
    listener = Flask("peer-mdn-listener")

    @listener.post("/mdn")
    def take() -> str:
        arrived.append((dict(request.headers.items()), request.get_data()))
        done.set()
        return "ok"

    mdn_url = http_server(listener).url + "/mdn"
    ours = Endpoint()
    app = make_as2_app(
        profile_lookup([("amazon-us", our_receiving_config(pki, **demands(kind)))]), ours.deliver
    )
    url = http_server(app).url + "/as2"
    headers, body, mic = peer_message(ssl, pki, kind, mdn_url)
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as response:
        assert response.status == 200
    assert done.wait(30), "no async MDN posted"
    mdn_headers, mdn_body = arrived[0]
    assert mdn_headers["As2-From"] == "ACME" and mdn_headers["As2-To"] == "AMAZON"
    text = check_mdn_with_openssl(ssl, pki, mdn_headers, mdn_body, mic)
    assert headers["Message-ID"] in text
    assert ours.delivered[0][3] == X12


def test_openssl_peer_with_wrong_signer_gets_an_error_mdn(tmp_path, pki, http_server):
    ssl = OpenSsl(tmp_path / "ssl")
    ours = Endpoint()
    rejected = []
    app = make_as2_app(
        profile_lookup([("amazon-us", our_receiving_config(pki, partner_certificate=str(pki.stranger[1])))]),
        ours.deliver,
        on_rejected=rejected.append,
    )
    url = http_server(app).url + "/as2"
    headers, body, _mic = peer_message(ssl, pki, "signed+encrypted", None)
    req = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as response:
        answer_headers, answer = dict(response.headers.items()), response.read()
    content_type = answer_headers["Content-Type"]
    report = ssl.verify(
        mime({"MIME-Version": "1.0", "Content-Type": content_type}, answer), pki.acme[1]
    ).decode()
    assert "processed/Error: authentication-failed" in report
    assert "Received-content-MIC" not in report
    assert ours.delivered == [] and rejected[0].detail == "authentication-failed"


# -- outbound: we send, the OpenSSL peer receives -------------------------------------------------


class Peer:
    """AMAZON as an OpenSSL peer: unwraps what we send and answers with an openssl-signed MDN."""

    def __init__(self, ssl: OpenSsl, pki) -> None:
        self.ssl, self.pki = ssl, pki
        self.received: list[bytes] = []
        self.layers: list[list[str]] = []

    def unwrap(self, headers: Mapping[str, str], body: bytes) -> tuple[bytes, str]:
        """Payload and the MIC per RFC 4130 7.3.1, computed with openssl."""
        entity, layers, mic = mime(headers, body), [], None
        while True:
            part: Message = message_from_bytes(entity)
            kind = part.get_content_type()
            smime_type = str(part.get_param("smime-type") or "")
            content = part.get_payload(decode=True)
            if kind == "application/pkcs7-mime" and smime_type == "enveloped-data":
                layers.append("encrypted")
                entity = self.ssl.decrypt(content, self.pki.amazon[1], self.pki.amazon[0])
                mic = mic or self.ssl.mic(entity)
            elif kind == "multipart/signed":
                layers.append("signed")
                signed = self.ssl.verify(entity, self.pki.acme[1])
                mic = self.ssl.mic(signed)
                entity = signed
            elif kind == "application/pkcs7-mime" and smime_type == "compressed-data":
                layers.append("compressed")
                entity = self.ssl.uncompress(content)
            else:
                self.layers.append(layers)
                return content, mic or self.ssl.mic(content)

    def mdn(self, message_id: str, mic: str) -> tuple[dict[str, str], bytes]:
        boundary = f"report-{next(_ids)}"
        report = (
            f'Content-Type: multipart/report; report-type=disposition-notification; boundary="{boundary}"\r\n\r\n'
            f"--{boundary}\r\nContent-Type: text/plain\r\n\r\nReceived.\r\n"
            f"--{boundary}\r\nContent-Type: message/disposition-notification\r\n\r\n"
            "Reporting-UA: openssl-peer\r\nOriginal-Recipient: rfc822; AMAZON\r\nFinal-Recipient: rfc822; AMAZON\r\n"
            f"Original-Message-ID: {message_id}\r\n"
            "Disposition: automatic-action/MDN-sent-automatically; processed\r\n"
            f"Received-content-MIC: {mic}, sha256\r\n\r\n"
            f"--{boundary}--\r\n"
        ).encode()
        signed = self.ssl.sign(report, self.pki.amazon[1], self.pki.amazon[0])
        headers, body = split_mime(signed)
        headers.update({"AS2-Version": "1.2", "AS2-From": "AMAZON", "AS2-To": "ACME",
                        "Message-ID": f"<mdn-{next(_ids)}@peer.example>"})  # fmt: skip
        return headers, body

    def app(self) -> Flask:
        app = Flask("openssl-peer")

        @app.post("/as2")
        def receive() -> Response:
            headers = dict(request.headers.items())
            payload, mic = self.unwrap(headers, request.get_data())
            self.received.append(payload)
            mdn_headers, mdn_body = self.mdn(headers["Message-Id"], mic)
            target = headers.get("Receipt-Delivery-Option")
            if target:
                answer = Response("ok", 200)
                answer.call_on_close(
                    lambda: urllib.request.urlopen(
                        urllib.request.Request(target, data=mdn_body, headers=mdn_headers, method="POST"),
                        timeout=30,
                    ).close()
                )
                return answer
            return Response(mdn_body, 200, headers=mdn_headers)

        return app


SEND_OPTIONS = {
    "plain": {"sign": False, "encrypt": False},
    "signed": {"sign": True, "encrypt": False},
    "encrypted": {"sign": False, "encrypt": True},
    "signed+encrypted": {"sign": True, "encrypt": True},
    "compressed": {"sign": True, "encrypt": True, "compress": True},
    "signed+encrypted+oaep": {"sign": True, "encrypt": True, "key_encryption": "rsaes_oaep"},
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("mode", ["sync", "async"])
def test_us_to_openssl_peer(tmp_path, pki, http_server, kind, mode):
    peer = Peer(OpenSsl(tmp_path / "ssl"), pki)
    url = http_server(peer.app()).url + "/as2"
    options: dict[str, object] = dict(SEND_OPTIONS[kind])
    results: list[MdnResult] = []
    sent: list[tuple[SentMessage, As2Config]] = []
    arrived = threading.Event()
    if mode == "async":

        def on_mdn(headers: Mapping[str, str], body: bytes) -> None:
            results.append(
                verify_async_mdn(
                    headers, body, lambda mid: next((s for s in sent if s[0].message_id == mid), None)
                )
            )
            arrived.set()

        ours = http_server(make_as2_app(profile_lookup([]), Endpoint().deliver, on_mdn=on_mdn)).url + "/as2"
        options.update(mdn_mode="async", async_mdn_url=ours)
    config = acme_config(pki, url, **options)
    box = As2Mailbox("amazon-us", config)
    box.on_sent = lambda message: sent.append((message, config))
    receipt = box.send("INV9.edi", X12)
    assert peer.received == [X12]
    expected_layers = [layer for layer in ("encrypted", "signed", "compressed") if layer in kind or
                       (layer == "compressed" and options.get("compress"))]  # fmt: skip
    if kind == "compressed":
        expected_layers = ["encrypted", "signed", "compressed"]
    assert peer.layers == [expected_layers]
    if mode == "sync":
        assert receipt.delivered, receipt.detail
        assert "MIC verified" in (receipt.detail or "")
    else:
        assert receipt.delivered is False
        assert arrived.wait(30)
        assert results[0].delivered, results[0].reason
        assert results[0].mic == sent[0][0].mic
