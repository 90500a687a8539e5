"""The availability feed's CSV reader: headers by name, every problem listed, and what it reads back."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.canonical.availability_csv import AvailabilityCsvError, availability_from_csv

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def test_headers_are_matched_without_case_or_separators_and_semicolons_work() -> None:
    text = "\ufeffVENDOR-SKU;Qty Available;UNIT_COST;currency;AS OF\nSKU-1;5;1.5;EUR;2026-12-03T08:00:00\n"
    feed = availability_from_csv(text, "f1", NOW, "warehouse")
    (line,) = feed.lines
    assert (line.item.vendor_sku, line.quantity_available, line.cost, line.currency) == (
        "SKU-1",
        Decimal(5),
        Decimal("1.5"),
        "EUR",
    )
    assert feed.as_of == datetime(2026, 12, 3, 8, 0)
    assert (feed.feed_id, feed.partner) == ("f1", "warehouse")


def test_the_moment_received_stands_when_the_feed_has_no_as_of() -> None:
    assert availability_from_csv("upc,available\n012345678905,3\n", "f", NOW).as_of == NOW


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "the feed is empty"),
        ("asin,cost\nB0,1\n", "no quantity_available column"),
        ("cost,quantity_available\n1,1\n", "no item id column"),
        ("asin,quantity_available\n", "no item rows"),
        ("asin,quantity_available,available_on\nB0,1,tomorrow\n", "row 2: column available_on: 'tomorrow'"),
        ("asin,quantity_available,currency\nB0,1,dollars\n", "row 2: currency: Value error"),
        ("asin,quantity_available\nB0,\n", "row 2: column quantity_available: empty"),
    ],
)
def test_bad_feeds_name_the_row_and_column(text: str, problem: str) -> None:
    with pytest.raises(AvailabilityCsvError) as caught:
        availability_from_csv(text, "f", NOW)
    assert problem in str(caught.value)


_id = st.text(st.characters(codec="ascii", categories=("Lu", "Nd")), min_size=1, max_size=10)
_rows = st.lists(
    st.tuples(
        _id,
        st.decimals(min_value=0, max_value=10**6, places=0),
        st.none() | st.decimals(min_value=0, max_value=10**4, places=2),
        st.none() | st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)),
    ),
    min_size=1,
    max_size=8,
)


@given(rows=_rows, sep=st.sampled_from([",", ";", "\t"]))
def test_what_is_written_is_read_back(rows, sep: str) -> None:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep)
    writer.writerow(["ASIN", "Quantity Available", "Cost", "Currency", "Available On"])
    for asin, qty, cost, when in rows:
        writer.writerow(
            [asin, qty, "" if cost is None else cost, "USD", "" if when is None else when.isoformat()]
        )
    feed = availability_from_csv(out.getvalue(), "f", NOW)
    assert [(ln.item.asin, ln.quantity_available, ln.cost, ln.available_on) for ln in feed.lines] == [
        (asin, qty, cost, when) for asin, qty, cost, when in rows
    ]
