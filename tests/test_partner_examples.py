"""The example profiles in partners/examples (Amazon over AS2, the warehouse over SFTP) validate."""

from __future__ import annotations

from gateway.config import load_partners
from tests.conftest import PROJECT_ROOT


def test_the_transport_examples_validate_and_use_their_transport() -> None:
    partners = load_partners(PROJECT_ROOT / "partners" / "examples")
    assert sorted(partners.names()) == ["amazon-us", "warehouse"]
    (as2,) = partners.get("amazon-us").mailboxes
    assert (as2.type, as2.sign, as2.encrypt, as2.sign_algorithm, as2.mdn_mode) == ("as2", True, True, "sha256", "sync")
    (sftp,) = partners.get("warehouse").mailboxes
    assert (sftp.type, sftp.host, sftp.known_hosts.name) == ("sftp", "sftp.acme-3pl.example", "warehouse_known_hosts")
