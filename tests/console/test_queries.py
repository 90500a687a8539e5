"""The message list against a naive model: every filter, both plans, keyset pages both ways,
on SQLite and PostgreSQL (hypothesis draws the rows, the filter and the page size)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert
from sqlmodel import Session

from gateway.console import queries
from gateway.console.queries import MessageFilter, first_id_from, list_messages
from gateway.store.models import Message

START = datetime(2026, 1, 1, tzinfo=UTC)
PARTNERS = ["amazon-us", "amazon-eu", "warehouse", None]
STATES = ["done", "failed", "duplicate", "queued"]
TYPES = ["850", "856", "810"]

rows_strategy = st.lists(
    st.tuples(
        st.sampled_from(PARTNERS),
        st.sampled_from(STATES),
        st.sampled_from(["in", "out"]),
        st.lists(st.sampled_from(TYPES), max_size=2, unique=True),
        st.integers(min_value=0, max_value=600),  # minutes after the previous message
    ),
    max_size=40,
)
filter_strategy = st.fixed_dictionaries(
    {},
    optional={
        "partner": st.sampled_from(PARTNERS[:3]),
        "state": st.sampled_from(STATES),
        "direction": st.sampled_from(["in", "out"]),
        "document_type": st.sampled_from(TYPES),
        "since": st.integers(min_value=0, max_value=4),
        "until": st.integers(min_value=0, max_value=4),
    },
)


def _load(engine, rows) -> list[dict]:
    at = START
    records = []
    for ident, (partner, state, direction, types, gap) in enumerate(rows, start=1):
        at += timedelta(minutes=gap)
        records.append(
            {
                "id": ident, "direction": direction, "partner": partner, "filename": f"f{ident}.edi",
                "size": 1, "sha256": f"{ident:064x}", "archive_path": "x", "state": state,
                "document_types": types, "group_controls": [], "transaction_controls": [], "attempts": 0,
                "legal_hold": False, "created_at": at, "updated_at": at,
            }
        )  # fmt: skip
    with Session(engine) as session:
        session.execute(delete(Message))
        if records:
            session.execute(insert(Message), records)
        session.commit()
    return records


def _naive(records: list[dict], flt: MessageFilter) -> list[int]:
    out = []
    for r in records:
        if flt.partner and r["partner"] != flt.partner:
            continue
        if flt.state and r["state"] != flt.state:
            continue
        if flt.direction and r["direction"] != flt.direction:
            continue
        if flt.document_type and flt.document_type not in r["document_types"]:
            continue
        if flt.since and r["created_at"] < flt.since:
            continue
        if flt.until and r["created_at"] >= flt.until:
            continue
        out.append(r["id"])
    return sorted(out, reverse=True)


def _filter(spec: dict) -> MessageFilter:
    days = {k: START + timedelta(days=v) for k, v in spec.items() if k in ("since", "until")}
    return MessageFilter(**{**spec, **days})


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=rows_strategy, spec=filter_strategy, page_size=st.integers(1, 7), small_cap=st.booleans())
def test_pages_match_a_naive_filter(store_engine, monkeypatch, rows, spec, page_size, small_cap) -> None:
    monkeypatch.setattr(queries, "COUNT_CAP", 3 if small_cap else 10_000)  # both plans
    records = _load(store_engine, rows)
    flt = _filter(spec)
    expected = _naive(records, flt)
    with Session(store_engine) as session:
        seen, before, pages = [], None, []
        while True:
            page = list_messages(session, flt, before=before, limit=page_size)
            assert len(page.items) <= page_size
            pages.append(page)
            seen += [m.id for m in page.items]
            if page.older is None:
                break
            before = page.older
        assert seen == expected
        first = pages[0]
        if first.total is not None and not first.total_approximate:
            assert first.total == min(len(expected), queries.COUNT_CAP)
            assert first.total_capped == (len(expected) > queries.COUNT_CAP)
        if len(pages) > 1:  # back from the second page to the first
            back = list_messages(session, flt, after=pages[1].newer, limit=page_size)
            assert [m.id for m in back.items] == [m.id for m in first.items]
            assert back.newer is None


def test_unfiltered_total_is_approximated_from_the_ids(store_engine) -> None:
    _load(store_engine, [("amazon-us", "done", "in", ["850"], 1)] * 30)
    with Session(store_engine) as session:
        page = list_messages(session, MessageFilter(), limit=10)
    assert (page.total, page.total_approximate, page.older) == (30, True, 21)


def test_first_id_from_finds_the_first_message_of_a_moment(store_engine) -> None:
    records = _load(store_engine, [("amazon-us", "done", "in", [], 60)] * 50)
    with Session(store_engine) as session:
        bounds = (1, 50)
        for record in records[::7]:
            assert first_id_from(session, record["created_at"], bounds) == record["id"]
        assert first_id_from(session, START, bounds) == 1
        assert first_id_from(session, START + timedelta(days=30), bounds) == 51


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        ({"state": "lost"}, "unknown state"),
        ({"direction": "sideways"}, "unknown direction"),
        ({"type": "8 50"}, "not a document type"),
        ({"since": "last week"}, "not a date"),
    ],
)
def test_bad_filters_say_what_is_wrong(args, problem) -> None:
    with pytest.raises(queries.FilterError, match=problem):
        MessageFilter.from_args(args)


def test_filter_round_trips_through_query_arguments() -> None:
    args = {
        "partner": "amazon-us",
        "state": "failed",
        "type": "850",
        "since": "2026-01-02",
        "until": "2026-01-05",
    }
    flt = MessageFilter.from_args(args)
    assert flt.until == datetime(2026, 1, 6, tzinfo=UTC)
    assert flt.as_args() == args
    assert MessageFilter.from_args(flt.as_args()) == flt


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("paging", [{}, {"after": 0}, {"before": 0}])
def test_a_search_that_finds_nothing_is_an_empty_page_under_any_filter(store_engine, paging) -> None:
    # schemathesis found it: q matching nothing with a type filter and a keyset wrote the page's
    # key on message_types without its join (a cartesian product, a 500 under -W error).
    _load(store_engine, [("amazon-us", "done", "in", ["850"], 1)] * 3)
    flt = MessageFilter(q="no-such-text", document_type="850", direction="in")
    with Session(store_engine) as session:
        page = list_messages(session, flt, **paging)
    assert (page.items, page.older, page.newer, page.total) == ([], None, None, 0)
