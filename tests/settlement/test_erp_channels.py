"""ERP events reach the vendor's ERP exactly once each over every channel kind: a folder (XML, CSV) and
SFTP against a real OpenSSH sshd (the transport tests' server), including a crash between writing the
file and recording it; a channel that cannot be reached retries, then fails; a profile naming a mailbox
that is not SFTP is refused when read."""

from __future__ import annotations

import csv
import io
import textwrap
from decimal import Decimal
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlmodel import Session, select

from gateway.config import ConfigError, PartnerDirectory, load_partners
from gateway.settlement import erp_delivery, ledger
from gateway.store.settlement import ErpEvent
from tests.money.conftest import PROFILES, rma, store, write_partners
from tests.transports.conftest import Sshd, sftp_config


def _partners(tmp_path: Path, erp: str, erp_profile: str | None = None) -> PartnerDirectory:
    extra = {"amazon-us": PROFILES["amazon-us"] + f"settlement:\n          erp: {erp}\n"}
    if erp_profile is not None:
        extra["erp"] = erp_profile
    return load_partners(write_partners(tmp_path / "partners", extra=extra))


def _returned(session: Session) -> list[ErpEvent]:
    """RMA-7 returns 2 lamps and 1 bulb: two inventory adjustments and one cost adjustment."""
    ledger.on_return(session, store(session, "amazon-us", rma("RMA-7", {"1": 2, "2": 1})))
    session.commit()
    return list(session.exec(select(ErpEvent).order_by(ErpEvent.id)).all())  # type: ignore[arg-type]


def _crash_after_writing(session: Session, event: ErpEvent) -> None:
    """As if the process died after the file was renamed into place but before 'delivered' was committed."""
    event.state, event.delivered_at = "pending", None
    session.add(event)
    session.commit()


def test_folder_channel_writes_one_xml_file_per_event_once_even_after_a_crash(
    session: Session, tmp_path: Path
) -> None:
    out = tmp_path / "erp-in"
    partners = _partners(tmp_path, f"{{type: folder, path: {out}}}")
    events = _returned(session)
    assert erp_delivery.deliver_pending(session, partners).delivered == 3
    files = sorted(p.name for p in out.iterdir())
    assert files == sorted(erp_delivery.render(e, "xml")[0] for e in events)  # no temporary file left
    lamp = ElementTree.fromstring((out / erp_delivery.render(events[0], "xml")[0]).read_text())
    assert (
        lamp.findtext("kind"),
        Decimal(lamp.findtext("quantity") or ""),
        lamp.findtext("disposition"),
    ) == (
        "inventory_adjustment",
        2,
        "return_to_vendor",
    )
    cost = ElementTree.fromstring((out / erp_delivery.render(events[2], "xml")[0]).read_text())
    assert (cost.findtext("kind"), Decimal(cost.findtext("amount") or ""), cost.findtext("currency")) == (
        "cost_adjustment",
        Decimal("29.75"),  # 2 x 12.50 + 1 x 4.75
        "USD",
    )

    _crash_after_writing(session, events[2])
    again = erp_delivery.deliver_pending(session, partners)
    assert (again.delivered, again.retrying, again.failed) == (1, 0, 0)
    assert sorted(p.name for p in out.iterdir()) == files  # recognised, not written twice
    assert erp_delivery.deliver_pending(session, partners).delivered == 0


def test_folder_channel_writes_csv(session: Session, tmp_path: Path) -> None:
    out = tmp_path / "erp-csv"
    partners = _partners(tmp_path, f"{{type: folder, path: {out}, format: csv}}")
    events = _returned(session)
    erp_delivery.deliver_pending(session, partners)
    [row] = list(csv.DictReader(io.StringIO((out / erp_delivery.render(events[1], "csv")[0]).read_text())))
    assert (row["id"], row["kind"], row["item"], Decimal(row["quantity"]), row["rma_number"]) == (
        events[1].key,
        "inventory_adjustment",
        "B0D2BLB6K8",
        1,
        "RMA-7",
    )


def _sftp_erp(sshd: Sshd, tmp_path: Path, folder: str, **overrides: object) -> str:
    """The ERP's profile with an SFTP mailbox on the test sshd (``<root>/<folder>/out`` is its inbound)."""
    box = sftp_config(sshd, folder, tmp_path, **overrides)
    return (
        PROFILES["erp"]
        + textwrap.indent(
            textwrap.dedent(
                f"""\
            mailboxes:
              - name: sftp
                type: sftp
                host: {box.host}
                port: {box.port}
                username: {box.username}
                key_file: {box.key_file}
                known_hosts: {box.known_hosts}
                inbox: {box.inbox}
                outbox: {box.outbox}
                timeout_seconds: 10
            """
            ),
            "        ",
        ).lstrip()
    )


def test_sftp_channel_uploads_each_event_once_over_the_erp_profiles_mailbox(
    session: Session, tmp_path: Path, sshd: Sshd
) -> None:
    partners = _partners(
        tmp_path, "{type: sftp, partner: erp, mailbox: sftp, format: csv}", _sftp_erp(sshd, tmp_path, "erp1")
    )
    events = _returned(session)
    counts = erp_delivery.deliver_pending(session, partners)
    assert (counts.delivered, counts.retrying, counts.failed) == (3, 0, 0)
    out = sshd.root / "erp1" / "out"
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(erp_delivery.render(e, "csv")[0] for e in events)
    [row] = list(csv.DictReader(io.StringIO((out / erp_delivery.render(events[2], "csv")[0]).read_text())))
    assert (row["kind"], Decimal(row["amount"]), row["reason"]) == (
        "cost_adjustment",
        Decimal("29.75"),
        "customer return",
    )
    assert all(e.delivery_ref and e.delivery_ref.endswith(".csv") for e in events)

    _crash_after_writing(session, events[0])
    assert erp_delivery.deliver_pending(session, partners).delivered == 1
    assert sorted(p.name for p in out.iterdir()) == names  # the server's file is recognised
    (out / names[0]).unlink()  # the ERP took it; a later run must not bring it back
    assert erp_delivery.deliver_pending(session, partners).delivered == 0
    assert len(list(out.iterdir())) == 2


def test_an_unreachable_sftp_server_retries_then_fails(session: Session, tmp_path: Path, sshd: Sshd) -> None:
    from tests.transports.conftest import free_port

    erp = _sftp_erp(sshd, tmp_path, "erp2").replace(f"port: {sshd.port}", f"port: {free_port()}")
    partners = _partners(tmp_path, "{type: sftp, partner: erp, mailbox: sftp, max_attempts: 2}", erp)
    _returned(session)
    first = erp_delivery.deliver_pending(session, partners)
    assert (first.delivered, first.retrying, first.failed) == (0, 3, 0)
    second = erp_delivery.deliver_pending(session, partners)
    assert (second.delivered, second.retrying, second.failed) == (0, 0, 3)
    rows = session.exec(select(ErpEvent)).all()
    assert {(e.state, e.attempts) for e in rows} == {("failed", 2)}
    assert all(e.last_error and "TransportError" in e.last_error for e in rows)
    assert not any("client_key" in (e.last_error or "") and "PRIVATE" in (e.last_error or "") for e in rows)


@pytest.mark.parametrize(
    ("erp", "problem"),
    [
        ("{type: sftp, partner: erp, mailbox: nope}", "names mailbox 'nope' of profile 'erp'"),
        ("{type: sftp, partner: nobody, mailbox: sftp}", "no profile 'nobody'"),
    ],
)
def test_an_sftp_channel_must_name_an_sftp_mailbox(tmp_path: Path, erp: str, problem: str) -> None:
    with pytest.raises(ConfigError, match=problem):
        _partners(tmp_path, erp)
