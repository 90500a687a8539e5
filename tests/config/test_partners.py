"""Partner profiles: the shipped examples, lookups by identity, secrets by reference, errors with lines."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.config import (
    As2Mailbox,
    ConfigError,
    LocalMailbox,
    PartnerDirectory,
    PartnerProfile,
    SftpMailbox,
    load_partners,
    read_secret,
)

SHIPPED = Path(__file__).resolve().parents[2] / "partners"

MINIMAL = """\
name: {name}
standard: x12
version: "004010"
identities:
  x12: {{isa_qualifier: ZZ, isa_id: {isa_id}}}
our_identity:
  x12: {{isa_qualifier: ZZ, isa_id: US}}
"""


def profile_dir(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "partners"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def one_problem(folder: Path) -> tuple[str, int | None, str, str]:
    with pytest.raises(ConfigError) as info:
        load_partners(folder)
    assert len(info.value.problems) == 1, info.value.problems
    p = info.value.problems[0]
    return Path(p.file).name, p.line, p.key, p.message


def test_shipped_profiles_load() -> None:
    directory = load_partners(SHIPPED)
    assert directory.names() == ["amazon-eu", "amazon-us", "warehouse", "warehouse-eu"]
    us, eu, wh = directory.get("amazon-us"), directory.get("amazon-eu"), directory.get("warehouse")
    assert (us.standard, us.version, eu.standard, eu.version) == ("x12", "004010", "edifact", "D96A")
    assert wh.acks.send is False and us.acks.send is True
    for profile in directory:
        box = profile.mailboxes[0]
        assert isinstance(box, LocalMailbox)
        assert box.inbox == SHIPPED.parent / "run" / "mailboxes" / profile.name / "inbox"
        assert box.processed.parent == box.inbox.parent
    assert us.invoice is not None and us.invoice.invoice_number(42, 2024) == "ACME-2024-000042"
    assert eu.translation_defaults == {"currency": "EUR"} and us.translation_defaults == {}


def test_lookup_by_identity() -> None:
    directory = load_partners(SHIPPED)
    assert directory.maybe_by_x12("ZZ", "AMAZON         ").name == "amazon-us"
    assert directory.maybe_by_x12("zz", "acme3pl").name == "warehouse"
    assert directory.maybe_by_x12("01", "AMAZON") is None
    assert directory.maybe_by_edifact("5450534000000", "14").name == "amazon-eu"
    assert directory.maybe_by_edifact("5450534000000", None).name == "amazon-eu"
    assert directory.maybe_by_edifact("5450534000000", "ZZZ") is None
    assert directory.maybe_by_sender("edifact", "14", "5450534000000").name == "amazon-eu"
    assert directory.maybe_by_sender("x12", "ZZ", "NOBODY") is None


def test_unknown_partner_name() -> None:
    with pytest.raises(KeyError, match="known: amazon-eu, amazon-us, warehouse"):
        load_partners(SHIPPED).get("ebay")


@given(isa_id=st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=15))
def test_x12_lookup_ignores_padding_and_case(isa_id: str) -> None:
    profile = PartnerProfile.model_validate(
        {
            "name": "p",
            "standard": "x12",
            "version": "004010",
            "identities": {"x12": {"isa_qualifier": "ZZ", "isa_id": isa_id}},
            "our_identity": {"x12": {"isa_qualifier": "ZZ", "isa_id": "US"}},
        }
    )
    directory = PartnerDirectory([profile])
    assert directory.maybe_by_x12("ZZ", isa_id.lower().ljust(15)) is profile


def test_missing_folder_is_empty(tmp_path: Path) -> None:
    assert len(load_partners(tmp_path / "none")) == 0


def test_inline_password_is_refused(tmp_path: Path) -> None:
    folder = profile_dir(
        tmp_path,
        wh=MINIMAL.format(name="wh", isa_id="WH")
        + "mailboxes:\n  - name: s\n    type: sftp\n    host: h\n    username: u\n    password: hunter2\n"
        "    known_hosts: kh\n",
    )
    file, line, key, message = one_problem(folder)
    assert (file, line, key) == ("wh.yaml", 13, "mailboxes[0].password")
    assert "password_env" in message and "hunter2" not in message


@pytest.mark.parametrize(
    ("extra", "line", "key", "words"),
    [
        ("mailboxes:\n  - name: a\n    type: ftp\n", 9, "mailboxes[0]", "type"),
        (
            "mailboxes:\n  - name: a\n    type: local\n    inbox: i\n    outbox: o\n",
            9,
            "mailboxes[0].processed",
            "required",
        ),
        (
            "mailboxes:\n  - name: a\n    type: local\n    inbox: i\n    outbox: o\n    processed: p\n    interval: -1\n",
            14,
            "mailboxes[0].interval",
            "greater",
        ),
        (
            "mailboxes:\n  - name: s\n    type: sftp\n    host: h\n    username: u\n    known_hosts: k\n",
            9,
            "mailboxes[0]",
            "key_file",
        ),
        (
            "mailboxes:\n  - name: s\n    type: as2\n    as2_id: A\n    partner_as2_id: B\n    url: ftp://x\n    our_certificate: c\n    our_private_key: k\n    partner_certificate: p\n",
            13,
            "mailboxes[0].url",
            "http",
        ),
        ("acks:\n  send: maybe\n", 9, "acks.send", "bool"),
        ("delimiters:\n  element: '*'\n  segment: '*'\n", 8, "delimiters", "differ"),
        ("colour: blue\n", 8, "colour", "unknown setting"),
        ("default_currency: euro\n", 8, "default_currency", "pattern"),
        (
            "invoice:\n  vendor_code: V\n  remit_to: {}\n  bill_to: {}\n  numbering: 'INV-{year}'\n",
            12,
            "invoice.numbering",
            "{seq}",
        ),
    ],
)
def test_profile_errors_have_file_line_key(
    tmp_path: Path, extra: str, line: int, key: str, words: str
) -> None:
    folder = profile_dir(tmp_path, p=MINIMAL.format(name="p", isa_id="P") + extra)
    file, got_line, got_key, message = one_problem(folder)
    assert (file, got_line, got_key) == ("p.yaml", line, key)
    assert words in message


def test_version_must_fit_standard(tmp_path: Path) -> None:
    folder = profile_dir(tmp_path, p=MINIMAL.format(name="p", isa_id="P").replace('"004010"', "D96A"))
    _, _, _, message = one_problem(folder)
    assert "D96A" in message


def test_name_must_match_file(tmp_path: Path) -> None:
    folder = profile_dir(tmp_path, p=MINIMAL.format(name="other", isa_id="P"))
    assert one_problem(folder)[1:3] == (1, "name")


def test_two_partners_cannot_share_an_identity(tmp_path: Path) -> None:
    folder = profile_dir(
        tmp_path, a=MINIMAL.format(name="a", isa_id="SAME"), b=MINIMAL.format(name="b", isa_id="SAME")
    )
    file, _, key, message = one_problem(folder)
    assert (file, key) == ("b.yaml", "identities")
    assert "already a's" in message


def test_problems_of_every_file_are_collected(tmp_path: Path) -> None:
    folder = profile_dir(tmp_path, a="name: a\n", b="name: [\n")
    with pytest.raises(ConfigError) as info:
        load_partners(folder)
    assert {Path(p.file).name for p in info.value.problems} == {"a.yaml", "b.yaml"}


def sftp(**kw: object) -> SftpMailbox:
    return SftpMailbox.model_validate(
        {"name": "s", "type": "sftp", "host": "h", "username": "u", "known_hosts": "k", **kw}
    )


def test_secret_references(tmp_path: Path) -> None:
    box = sftp(password_env="WH_PASS")
    assert box.password({"WH_PASS": "pw"}).get_secret_value() == "pw"
    with pytest.raises(LookupError, match="WH_PASS is not set"):
        box.password({})
    (tmp_path / "pw").write_text("from-file\n", encoding="utf-8")
    assert sftp(password_file=tmp_path / "pw").password({}).get_secret_value() == "from-file"
    secret = box.password({"WH_PASS": "s3cr3t-value"})
    assert "s3cr3t-value" not in repr(secret) + str(secret)
    assert read_secret(None, None, {}) is None
    with pytest.raises(LookupError, match="cannot read secret file"):
        read_secret(None, tmp_path / "missing", {})


def test_as2_async_needs_url() -> None:
    base = {
        "name": "a",
        "type": "as2",
        "as2_id": "US",
        "partner_as2_id": "THEM",
        "url": "https://x",
        "our_certificate": "c",
        "our_private_key": "k",
        "partner_certificate": "p",
    }
    assert As2Mailbox.model_validate(base).mdn_mode == "sync"
    with pytest.raises(ValueError, match="async_mdn_url"):
        As2Mailbox.model_validate({**base, "mdn_mode": "async"})


def test_outbound_delimiters_default_by_standard() -> None:
    directory = load_partners(SHIPPED)
    assert directory.get("warehouse").outbound_delimiters.element == "*"
    assert directory.get("amazon-eu").outbound_delimiters.segment == "'"
