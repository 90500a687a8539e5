"""The collector's thresholds while a message is processed (gateway.common.heap)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from sqlmodel import Session

from gateway.common.heap import YOUNG, roomy_heap
from gateway.service import pipeline
from gateway.service.hooks import STORED_HOOKS, Hook
from gateway.service.pipeline import run
from gateway.service.runtime import Runtime
from gateway.store.models import Document
from tests.pipeline.conftest import make_home, numbered_po


@pytest.fixture(autouse=True)
def default_thresholds() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_the_block_raises_the_first_threshold_and_puts_it_back() -> None:
    with roomy_heap():
        assert gc.get_threshold() == (YOUNG, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_higher_threshold_set_before_is_kept_and_zero_stays_off() -> None:
    gc.set_threshold(50_000, 5, 5)
    with roomy_heap():
        assert gc.get_threshold() == (50_000, 5, 5)
    gc.set_threshold(0, 10, 10)
    with roomy_heap():
        assert gc.get_threshold()[0] == 0


def test_overlapping_blocks_restore_when_the_last_ends() -> None:
    entered, leave = threading.Event(), threading.Event()

    def other() -> None:
        with roomy_heap():
            entered.set()
            leave.wait(5)

    thread = threading.Thread(target=other)
    thread.start()
    entered.wait(5)
    with roomy_heap():
        pass
    assert gc.get_threshold() == (YOUNG, 10, 10)  # the other thread's block still runs
    leave.set()
    thread.join(5)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_message_is_processed_under_it_and_the_thresholds_come_back(tmp_path: Path) -> None:
    runtime = Runtime.open(make_home(tmp_path / "gw"))
    seen: list[tuple[int, int, int]] = []

    def probe(session: Session, rt: Runtime, rows: Sequence[Document]) -> list[str]:
        seen.append(gc.get_threshold())
        return []

    try:
        receipt = pipeline.receive(runtime, numbered_po(7301), filename="po.edi", partner="amazon-us")
        summary = run.process(runtime, receipt.message_id, hooks=(Hook("probe", probe), *STORED_HOOKS))
    finally:
        runtime.close()
    assert summary.state == "done", summary
    assert seen == [(YOUNG, 10, 10)]
    assert gc.get_threshold() == (700, 10, 10)
