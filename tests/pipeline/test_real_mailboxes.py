"""The pipeline over real transports: a real OpenSSH sshd (SFTP) and real HTTP (AS2) on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import yaml
from flask import Flask
from sqlmodel import select

from gateway.edi import parse
from gateway.service import mailboxes
from gateway.service.as2_inbound import make_app, make_blueprint
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Document, Message
from gateway.transports.as2 import As2Mailbox
from gateway.transports.as2_http import Outcome, make_as2_app
from gateway.transports.as2_profile import profile_lookup
from tests.pipeline.conftest import sample
from tests.pipeline.test_mailboxes import _queue_probe
from tests.transports.conftest import http_server, pki, sftp_box, sshd  # noqa: F401 - fixtures
from tests.transports.test_as2 import amazon_config


def _with_mailboxes(home: Path, partner: str, boxes: list[dict[str, object]]) -> None:
    path = home / "partners" / f"{partner}.yaml"
    profile = yaml.safe_load(path.read_text(encoding="utf-8"))
    profile["mailboxes"] = boxes
    path.write_text(yaml.safe_dump(profile), encoding="utf-8")


def _messages(runtime: Runtime) -> list[Message]:
    with session_scope(runtime.engine) as session:
        return list(session.exec(select(Message).order_by(Message.id)).all())


def test_a_po_over_sftp_is_processed_and_its_997_uploaded(home: Path, sshd, sftp_box) -> None:  # noqa: F811
    config = sftp_box()
    _with_mailboxes(home, "amazon-us", [config.model_dump(mode="json", exclude_none=True)])
    remote = sshd.root / config.inbox
    (remote / "po.edi").write_bytes(sample("x12_4010_850_new_po.edi"))
    runtime = Runtime.open(home / "config.yaml")
    try:
        summary = mailboxes.poll_mailbox(runtime, "amazon-us", "sftp")
        assert (summary.taken, summary.done) == (1, 1)
        assert list(remote.iterdir()) == []  # taken from the server only once it was safe
        assert mailboxes.send_due(runtime).sent == 1
        (uploaded,) = list((sshd.root / config.outbox).iterdir())
        assert parse(uploaded.read_bytes()).transactions[0].type == "997"
        assert [(m.direction, m.state) for m in _messages(runtime)] == [("in", "done"), ("out", "sent")]
    finally:
        runtime.close()


def test_a_po_over_as2_is_archived_processed_and_a_repeat_is_a_duplicate(
    home: Path,
    pki,  # noqa: F811
    http_server,  # noqa: F811
) -> None:
    ours = {
        "name": "as2", "type": "as2", "as2_id": "ACME", "partner_as2_id": "AMAZON", "url": "http://127.0.0.1:9/as2",
        "our_private_key": str(pki.acme[0]), "our_certificate": str(pki.acme[1]),
        "partner_certificate": str(pki.amazon[1]),
    }  # fmt: skip
    _with_mailboxes(home, "amazon-us", [ours])
    runtime = Runtime.open(home / "config.yaml")
    try:
        endpoint = http_server(make_app(runtime)).url + "/as2"
        amazon = As2Mailbox("acme", amazon_config(pki, url=endpoint))  # Amazon's side, sending to us
        first = amazon.send("po.edi", sample("x12_4010_850_new_po.edi"))
        assert first.delivered and "duplicate" not in (first.detail or "")
        (message,) = [m for m in _messages(runtime) if m.direction == "in"]
        assert (message.partner, message.mailbox, message.state) == ("amazon-us", "as2", "done")
        assert message.remote_ref == first.ref.strip("<>")
        again = amazon.send("po.edi", sample("x12_4010_850_new_po.edi"))  # same Message-ID again
        assert again.ref == first.ref and "duplicate-document" in (again.detail or "")
        assert len([m for m in _messages(runtime) if m.direction == "in"]) == 1
        with session_scope(runtime.engine) as session:
            assert len(session.exec(select(Document)).all()) == 1
    finally:
        runtime.close()


def test_an_invoice_sent_by_as2_with_an_async_mdn_becomes_delivered(
    home: Path,
    pki,  # noqa: F811
    http_server,  # noqa: F811
) -> None:
    # our gateway's own endpoint receives the async MDN
    runtime = Runtime.open(home / "config.yaml")
    app = Flask("ours")
    app.register_blueprint(make_blueprint(runtime))
    ours_url = http_server(app).url + "/as2"
    # Amazon's endpoint (our code playing the partner) answers asynchronously
    got = threading.Event()

    def deliver(*_args: object) -> Outcome:
        got.set()
        return Outcome.accepted()

    amazon_url = (
        http_server(make_as2_app(profile_lookup([("acme", amazon_config(pki))]), deliver)).url + "/as2"
    )
    ours = {
        "name": "as2", "type": "as2", "as2_id": "ACME", "partner_as2_id": "AMAZON", "url": amazon_url,
        "our_private_key": str(pki.acme[0]), "our_certificate": str(pki.acme[1]),
        "partner_certificate": str(pki.amazon[1]), "mdn_mode": "async", "async_mdn_url": ours_url,
    }  # fmt: skip
    _with_mailboxes(home, "amazon-us", [ours])
    try:
        message_id = _queue_probe_as2(runtime)
        assert mailboxes.send_due(runtime).sent == 1
        assert got.wait(10)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            with session_scope(runtime.engine) as session:
                row = session.get(Message, message_id)
                if row is not None and row.completed_at is not None:
                    break
            time.sleep(0.2)
        assert row is not None and row.state == "sent" and row.completed_at is not None, row
    finally:
        runtime.close()


def _queue_probe_as2(runtime: Runtime) -> int:
    message_id = _queue_probe(runtime)
    with session_scope(runtime.engine) as session:
        row = session.get(Message, message_id)
        row.mailbox = "as2"
        session.add(row)
    return message_id
