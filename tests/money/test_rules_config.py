"""The ``rules:`` section of a partner profile: defaults, per-partner values, and clear errors for typos."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from gateway.config import ConfigError, load_partners
from gateway.config.rules import PartnerRules
from tests.money.conftest import ROOT, write_partners

BROKEN = """\
    name: amazon-us
    standard: x12
    version: "004010"
    identities: {x12: {isa_qualifier: ZZ, isa_id: AMAZON}}
    our_identity: {x12: {isa_qualifier: ZZ, isa_id: ACMEVENDOR}}
    rules:
      reconcile:
        skip: [price_mismatch, prize_mismatch]
    """


def test_defaults_follow_the_amazon_rules() -> None:
    rules = PartnerRules()
    assert rules.reconcile.total_tolerance == Decimal("0.01") and rules.reconcile.on("price_mismatch")
    assert rules.invoice.po_number_pattern == r"^[A-Za-z0-9]{8}$" and rules.invoice.max_number_length == 22
    assert rules.invoice.allowed_uoms == ["EA", "CA"] and not rules.invoice.require_line_tax
    assert (rules.aging.uninvoiced_days, rules.aging.return_rate_threshold) == (3, 0.10)


def test_the_shipped_profiles_load_with_rules() -> None:
    directory = load_partners(ROOT / "partners")
    assert all(isinstance(p.rules, PartnerRules) for p in directory)


def test_per_partner_values(tmp_path: Path) -> None:
    partners = load_partners(write_partners(tmp_path / "partners"))
    eu = partners.get("amazon-eu").rules.invoice
    assert eu.require_tax_registration and eu.require_line_tax
    assert partners.get("amazon-us").rules.aging.return_rate_min_units == 10


def test_an_unknown_check_is_refused_with_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "partners"
    folder.mkdir()
    (folder / "amazon-us.yaml").write_text(textwrap.dedent(BROKEN), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_partners(folder)
    (problem,) = info.value.problems
    assert problem.file.endswith("amazon-us.yaml") and problem.line == 8
    assert problem.key == "rules.reconcile.skip[1]" and "price_mismatch" in problem.message
