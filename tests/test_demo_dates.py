"""``acorn demo`` dates its samples today: the dates move, nothing else does, the files still parse,
and the demo pipeline opens with no time-based aging alert."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.cli.runtime_cmds import DEMO_FILES
from gateway.edi import parse
from gateway.service.demo import redate
from tests.test_cli_errors import home, run

DATA = Path(__file__).resolve().parent / "data" / "messages"
DEMO = sorted({name for names in DEMO_FILES.values() for name in names if not name.endswith(".csv")})  # EDI
#: the aging checks that measure time; the return rate is a ratio the samples really have
TIME_BASED = {"not_invoiced", "invoice_rejected", "po_not_shipped"}


def test_an_x12_po_is_dated_today_with_its_windows_kept() -> None:
    data = (DATA / "x12_4010_850_case_pack.edi").read_bytes()  # ISA 260114, DTM*063 20260204
    moved = redate(data, date(2027, 5, 1)).decode()
    assert "*270501*" in moved and "GS*PO*AMAZON*ACMEVENDOR*20270501*" in moved
    assert "BEG*00*NE*7HW3PX9D**20270501" in moved and "DTM*063*20270522" in moved  # 21 days later still
    assert len(moved) == len(data) and "000004102" in moved  # control numbers untouched


def test_an_edifact_order_is_dated_today() -> None:
    data = (DATA / "edifact_d96a_orders_po.edi").read_bytes()  # UNB 260210, DTM+63 20260220
    moved = redate(data, date(2027, 5, 1)).decode()
    assert "+270501:0700+" in moved and "DTM+137:20270501:102'" in moved and "DTM+63:20270511:102'" in moved


@settings(max_examples=30, deadline=None)
@given(name=st.sampled_from(DEMO), days=st.integers(min_value=-3000, max_value=3000))
def test_any_demo_file_still_parses_the_same_after_redating(name: str, days: int) -> None:
    data = (DATA / name).read_bytes()
    moved = redate(data, date(2026, 6, 1) + timedelta(days=days))
    assert len(moved) == len(data)
    before, after = parse(data), parse(moved)
    assert [i.code for i in before.issues] == [i.code for i in after.issues]
    assert len(before.transactions) == len(after.transactions)


def test_other_bytes_are_left_alone() -> None:
    for data in (b"", b"\x00\x01binary", b"<?xml version='1.0'?><a>20260101</a>"):
        assert redate(data, date(2027, 1, 1)) == data


def test_the_demo_opens_without_time_based_aging_alerts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = home(tmp_path, demo=True)  # the shipped profiles as the demo runs them
    monkeypatch.chdir(tmp_path)
    for args in (("db", "upgrade"), ("demo",), ("run", "--once")):
        result = run("--config", str(config), *args)
        assert result.exit_code == 0, result.output
    result = run("--config", str(config), "alerts", "check", "--no-notify", "--json")
    assert result.exit_code == 0, result.output
    alerts = json.loads(result.stdout)
    assert [a for a in alerts if a["kind"] in TIME_BASED] == []
    assert "day(s)" not in result.stdout
    listed = run("--config", str(config), "discrepancies")
    assert "day(s)" not in listed.output  # no "after 273 day(s)"
    sent = run("--config", str(config), "inventory", "list", "--partner", "amazon-us")
    assert (
        sent.exit_code == 0 and "feed" in sent.output and " queued message " in sent.output
    )  # the demo's 846
