"""Migration 0010 and the settlement models agree, on each backend; the profile section validates."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import SQLModel

import gateway.store.settlement  # noqa: F401
from gateway.config import load_partners
from gateway.config.errors import ConfigError
from gateway.store import make_engine, upgrade_database
from tests.money.conftest import PROFILES, write_partners

TABLES = {"claims", "claim_events", "erp_events", "reminders"}


def test_migration_0010_matches_the_models(any_db_url: str) -> None:
    engine = make_engine(any_db_url)
    upgrade_database(any_db_url, engine)
    with engine.connect() as conn:
        diffs = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), SQLModel.metadata
        )
    engine.dispose()
    assert [d for d in diffs if any(t in str(d) for t in TABLES)] == []


def test_a_bad_settlement_section_names_file_and_key(tmp_path: Path) -> None:
    body = PROFILES["amazon-us"] + "settlement: {dispute_windows: {shortage: {days: -1}}}\n"
    with pytest.raises(ConfigError, match=r"amazon-us.yaml.*settlement"):
        load_partners(write_partners(tmp_path / "p", extra={"amazon-us": body}))


def test_the_defaults_follow_amazon_rules(tmp_path: Path) -> None:
    profile = load_partners(write_partners(tmp_path / "p")).get("amazon-us")
    s = profile.settlement
    assert (s.window("shortage").days, s.window("shortage").from_) == (30, "due_date")
    assert (s.window("chargeback").days, s.window("chargeback").from_) == (30, "notified")
    assert s.payment_overdue_days == 30 and s.erp is None
