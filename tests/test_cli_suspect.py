"""``acorn messages suspect ID --as duplicate|new --reason ...`` through click's runner: the same
decision as the console's, audited; a wrong id or state exits 2 with one line. SQLite file and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import select

from gateway.cli import cli
from gateway.service import pipeline
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import AuditEntry, Document, Message
from tests.conftest import BACKENDS, pg_schema
from tests.pipeline.conftest import make_home, numbered_po


@pytest.fixture(params=BACKENDS)
def config(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Path]:
    if request.param == "sqlite":
        yield make_home(tmp_path / "gw")
        return
    with pg_schema("clisus") as url:
        yield make_home(tmp_path / "gw", url)


def _held(config: Path) -> tuple[int, int]:
    """An order, then the same control numbers with one quantity changed: held."""
    runtime = Runtime.open(config)
    try:
        first = pipeline.ingest(runtime, numbered_po(71), "po.edi")
        changed = numbered_po(71).replace(b"PO1*1*24*EA", b"PO1*1*25*EA")
        held = pipeline.ingest(runtime, changed, "po-changed.edi")
        assert held.state == "suspect_duplicate"
        return first.message_id, held.message_id
    finally:
        runtime.close()


def _run(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), "messages", "suspect", *args], obj={})


def _look(config: Path, message_id: int) -> tuple[Message, list[AuditEntry], list[Document]]:
    runtime = Runtime.open(config)
    try:
        with session_scope(runtime.engine) as session:
            message = session.get(Message, message_id)
            assert message is not None
            audit = session.exec(select(AuditEntry).where(AuditEntry.target_id == str(message_id))).all()
            return message, list(audit), list(session.exec(select(Document)).all())
    finally:
        runtime.close()


def test_filed_as_duplicate_and_audited(config: Path) -> None:
    first, held = _held(config)
    result = _run(config, str(held), "--as", "duplicate", "--reason", "a resend", "--actor", "ops")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"message {held}: duplicate"
    message, audit, documents = _look(config, held)
    assert (message.state, message.duplicate_of_id) == ("duplicate", first)
    assert [(a.actor, a.action, a.reason) for a in audit] == [
        ("ops", "suspect_duplicate_duplicate", "a resend")
    ]
    assert [d.source_message_id for d in documents] == [first]
    again = _run(config, str(held), "--as", "new", "--reason", "changed my mind")
    assert again.exit_code == 2
    assert (
        again.stderr.strip().splitlines()[-1] == f"acorn: message {held} is not held as a suspect duplicate"
    )
    assert again.stdout == ""


def test_processed_as_new_and_audited(config: Path) -> None:
    _first, held = _held(config)
    result = _run(config, str(held), "--as", "new", "--reason", "a real change", "--actor", "ops")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"message {held}: done"
    message, audit, documents = _look(config, held)
    assert message.state == "done"
    assert [(a.actor, a.action) for a in audit] == [("ops", "suspect_duplicate_new")]
    assert [d.source_message_id for d in documents] == [held]


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (
            ["999999", "--as", "new", "--reason", "x"],
            "acorn: message 999999 is not held as a suspect duplicate",
        ),
        (
            ["{first}", "--as", "duplicate", "--reason", "x"],
            "acorn: message {first} is not held as a suspect duplicate",
        ),
        (["{held}", "--as", "new", "--reason", "  "], "acorn: a reason is required"),
    ],
)
def test_a_wrong_id_state_or_reason_exits_2_with_one_line(config: Path, args: list[str], line: str) -> None:
    first, held = _held(config)
    result = _run(config, *[a.format(first=first, held=held) for a in args])
    assert result.exit_code == 2
    assert result.stderr.strip() == line.format(first=first, held=held)
    assert result.stdout == ""
    message, audit, _documents = _look(config, held)
    assert message.state == "suspect_duplicate" and audit == []


def test_a_wrong_decision_is_a_usage_error(config: Path) -> None:
    _first, held = _held(config)
    result = _run(config, str(held), "--as", "maybe", "--reason", "x")
    assert result.exit_code == 2 and "'maybe' is not one of 'duplicate', 'new'" in result.output
    assert _look(config, held)[0].state == "suspect_duplicate"


def test_the_listing_still_works_and_help_names_the_subcommand(config: Path) -> None:
    _first, held = _held(config)
    listing = CliRunner().invoke(
        cli, ["messages", "--state", "suspect_duplicate", f"--config={config}"], obj={}
    )
    assert listing.exit_code == 0, listing.output
    assert [int(line.split()[0]) for line in listing.stdout.splitlines()] == [held]
    helped = CliRunner().invoke(cli, ["messages", "--help"], obj={})
    assert helped.exit_code == 0 and "suspect" in helped.output
