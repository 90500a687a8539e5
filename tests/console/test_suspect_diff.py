"""The suspect diff compares the suspect interchange with the earlier one it resembles, not file
with file: in a mailbag only what changed shows. The splitter as a property (any mailbag cuts into
its interchanges), and the message page on a real SQLite file and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.console.rawview import raw_lines
from gateway.console.suspectdiff import interchange_diff, interchanges
from gateway.service import pipeline
from gateway.service.runtime import Runtime
from gateway.store import session_scope
from gateway.store.models import Message
from tests.conftest import BACKENDS
from tests.console.conftest import login_as, make_home, open_runtime, pg_schema
from tests.pipeline.conftest import numbered_po
from tests.pipeline.test_ack_agrees import edifact


@pytest.fixture(params=BACKENDS)
def runtime(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Runtime]:
    if request.param == "sqlite":
        rt = open_runtime(make_home(tmp_path / "gw"))
        yield rt
        rt.close()
        return
    with pg_schema() as url:
        rt = open_runtime(make_home(tmp_path / "gw", url))
        yield rt
        rt.close()


def _changed(n: int) -> bytes:
    return numbered_po(n).replace(b"PO1*1*24*EA", b"PO1*1*25*EA")


def _lines(data: bytes) -> list[str]:
    found = [line.text for line in raw_lines(data).lines]
    found[-1] = found[-1].rstrip(" \t\r\n\u240a\u240d")
    return found


@settings(max_examples=40, deadline=None)
@given(
    order=st.lists(st.sampled_from([1, 2, 3]), min_size=1, max_size=4),
    pads=st.lists(st.sampled_from(["", "\n", "\r\n", "\n\n  "]), min_size=4, max_size=4),
)
def test_a_mailbag_cuts_into_its_interchanges(order: list[int], pads: list[str]) -> None:
    bag = b"".join(numbered_po(n) + pad.encode() for n, pad in zip(order, pads, strict=False))
    assert interchanges(bag) == [_lines(numbered_po(n)) for n in order]


def test_edifact_interchanges_are_cut_at_una_or_unb() -> None:
    one, two = edifact("EU91", ["H91A"]), edifact("EU92", ["H92A"])
    una = b"UNA:+.? '" + two
    assert interchanges(one + b"\n" + una) == [_lines(one), _lines(una)]
    assert interchanges(una)[0][0] == "UNA:+.? '"


def test_the_diff_shows_only_the_changed_interchange() -> None:
    earlier = numbered_po(1) + numbered_po(2)
    this = numbered_po(3) + _changed(2)
    diff = interchange_diff(earlier, 2, this, 2, "message 1", "message 2")
    assert diff[0].text == "message 2, interchange 2 against message 1, interchange 2"
    changed = [(d.kind, d.text) for d in diff if d.kind in ("add", "remove")]
    assert changed == [("remove", "-PO1*1*24*EA" + _po1_tail()), ("add", "+PO1*1*25*EA" + _po1_tail())]
    assert not any("P0000001" in d.text or "P0000003" in d.text for d in diff)
    whole = interchange_diff(earlier, None, this, None, "message 1", "message 2")
    assert any("P0000003" in d.text for d in whole)  # without places: the whole files


def test_line_breaks_alone_are_said_to_be_the_difference() -> None:
    crlf = numbered_po(4).replace(b"~\n", b"~\r\n")
    assert crlf != numbered_po(4)
    diff = interchange_diff(numbered_po(4), 1, crlf, 1, "message 1", "message 2")
    assert [d.kind for d in diff] == ["hunk", "hunk"] and "only in the line breaks" in diff[1].text


def _po1_tail() -> str:
    line = next(line for line in _lines(numbered_po(1)) if line.startswith("PO1*1*24*EA"))
    return line[len("PO1*1*24*EA") :]


def test_the_page_diffs_the_mailbag_interchange_against_the_earlier_one(client, runtime, accounts) -> None:
    first = pipeline.ingest(runtime, numbered_po(11) + b"\n" + numbered_po(12), "bag.edi")
    held = pipeline.ingest(runtime, numbered_po(13) + b"\n" + _changed(12), "bag-changed.edi")
    assert held.state == "suspect_duplicate"
    with session_scope(runtime.engine) as session:
        message = session.get(Message, held.message_id)
        assert message is not None and message.interchanges is not None
        assert message.interchanges[1]["duplicate_of_interchange"] == 2
    login_as(client, runtime, "viewer")
    page = client.get(f"/messages/{held.message_id}").get_data(as_text=True)
    diff = re.search(r'<pre class="raw" id="suspect-diff">(.*?)</pre>', page, re.S)
    assert diff is not None
    text = diff.group(1)
    assert (
        f"message {held.message_id}, interchange 2 against message {first.message_id}, interchange 2" in text
    )
    assert "+PO1*1*25*EA" in text and "-PO1*1*24*EA" in text
    assert "P0000011" not in text and "P0000013" not in text  # the other interchanges are not shown
