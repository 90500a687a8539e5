"""Partner profiles and mapping files are read once per message, and again only when a file changed."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.service import mailboxes, pipeline
from gateway.service import runtime as runtime_module
from gateway.service.runtime import Runtime
from tests.pipeline.conftest import numbered_po, sample

MESSAGES = 5


@pytest.fixture
def looks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per look at the files (a glob and a stat of every partner or mapping file)."""
    seen: list[int] = []
    real = runtime_module._fingerprint

    def counted(paths: list[Path]) -> tuple[tuple[str, int, int], ...]:
        seen.append(len(paths))
        return real(paths)

    monkeypatch.setattr(runtime_module, "_fingerprint", counted)
    return seen


def test_one_look_at_the_files_per_message(runtime: Runtime, looks: list[int]) -> None:
    pipeline.ingest(runtime, numbered_po(1), "warm.edi")  # the first message reads the mappings
    looks.clear()
    for n in range(2, 2 + MESSAGES):
        assert pipeline.ingest(runtime, numbered_po(n), f"po_{n}.edi").state == "done"
    assert pipeline.ingest(runtime, sample("x12_4010_856_partial_shipment.edi"), "asn.edi").state == "done"
    # one refresh a message: the partner profiles and the mapping files, each looked at once
    assert len(looks) <= 2 * (MESSAGES + 1), looks


def test_a_poll_looks_once_and_a_changed_profile_applies_to_the_next_message(
    runtime: Runtime, home: Path, looks: list[int]
) -> None:
    inbox = home / "run" / "mailboxes" / "amazon-us" / "inbox"
    inbox.mkdir(parents=True)
    (inbox / "po.edi").write_bytes(numbered_po(9))
    first = runtime.partners
    assert mailboxes.poll_mailbox(runtime, "amazon-us", "local").done == 1
    assert runtime.partners is first  # nothing changed: nothing read again
    profile = home / "partners" / "amazon-us.yaml"
    profile.write_text(profile.read_text(encoding="utf-8").replace("Amazon.com retail", "Amazon US"), "utf-8")
    runtime.refresh()
    assert runtime.partners is not first
    assert runtime.partners.get("amazon-us").description.startswith("Amazon US")
