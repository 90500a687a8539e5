"""The messages list tells how many match for every filter: direction, type and dates too."""

from __future__ import annotations

import re

import pytest
from sqlmodel import func, select

from gateway.store import session_scope
from gateway.store.models import Message
from tests.console.conftest import login_as


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("direction=in", 3),
        ("type=850", 2),
        ("since=2020-01-01", None),  # every message of the seed
        ("partner=amazon-us&direction=in", 2),
        ("type=856&direction=in", 1),
    ],
)
def test_each_filter_shows_its_count(client, runtime, seeded, query: str, expected: int | None) -> None:
    login_as(client, runtime, "viewer")
    if expected is None:
        with session_scope(runtime.engine) as session:
            expected = int(session.exec(select(func.count()).select_from(Message)).one())
    page = client.get(f"/messages?{query}").get_data(as_text=True)
    heading = re.search(r"<h1>Messages\s*<small>([^<]*)</small>", page, re.S)
    assert heading, page[:2000]
    assert heading.group(1).strip().startswith(str(expected)), heading.group(1)
