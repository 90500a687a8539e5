"""Path grammar: tags, filters, components, repetitions, product id pairs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.edi.model import EDIFACT_DEFAULT, X12_DEFAULT
from gateway.mapping.paths import Index, PathSyntaxError, compile_path


@pytest.mark.parametrize(
    ("text", "tag", "element"),
    [("BEG03", "BEG", 3), ("N104", "N1", 4), ("PO101", "PO1", 1), ("TD503", "TD5", 3), ("IT102", "IT1", 2)],
)
def test_two_digit_elements_split_tag_and_number(text: str, tag: str, element: int) -> None:
    path = compile_path(text, "x12")
    assert (path.tag, path.element) == (tag, element)


def test_component_and_repetition() -> None:
    seg = ["REF", "ZZ", "", "", "A>B^C>D"]
    assert compile_path("REF04-2", "x12").extract(seg, X12_DEFAULT) == ("B", 4)
    assert compile_path("REF04#2-1", "x12").extract(seg, X12_DEFAULT) == ("C", 4)
    assert compile_path("REF04#3", "x12").extract(seg, X12_DEFAULT) == ("", 4)
    assert compile_path("REF09", "x12").extract(seg, X12_DEFAULT) == ("", 9)


def test_filter_on_element_and_component() -> None:
    x12 = compile_path("N1[01=ST|BT]04", "x12")
    assert x12.matches(["N1", "BT", "n", "92", "X"], X12_DEFAULT)
    assert not x12.matches(["N1", "SF", "n"], X12_DEFAULT)
    dtm = compile_path("DTM[01-1=137]01-2", "edifact")
    seg = ["DTM", ["137", "20240131", "102"]]
    assert dtm.matches(seg, EDIFACT_DEFAULT)
    assert dtm.extract(seg, EDIFACT_DEFAULT) == ("20240131", 1)
    assert not dtm.matches(["DTM", ["2", "20240131", "102"]], EDIFACT_DEFAULT)


def test_x12_id_pairs_pick_the_qualified_id() -> None:
    seg = ["PO1", "1", "5", "EA", "2.5", "", "EN", "0123", "BP", "B0ASIN", "VN", "SKU"]
    assert compile_path("PO1[id=BP]", "x12").extract(seg, X12_DEFAULT) == ("B0ASIN", 9)
    assert compile_path("PO1[id=UP|VN]", "x12").extract(seg, X12_DEFAULT) == ("SKU", 11)
    assert not compile_path("PO1[id=UP]", "x12").matches(seg, X12_DEFAULT)


def test_edifact_pia_composites() -> None:
    seg = ["PIA", "5", ["B0ASIN", "BP"], ["SKU9", "SA"]]
    assert compile_path("PIA[id=SA]", "edifact").extract(seg, EDIFACT_DEFAULT) == ("SKU9", 3)
    lin = ["LIN", "1", "", ["5012345678900", "EN"]]
    assert compile_path("LIN[id=EN]", "edifact").extract(lin, EDIFACT_DEFAULT) == ("5012345678900", 3)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("beg03", "not a path"),
        ("BEG3", "not a path"),
        ("BEG00", "start at 1"),
        ("N1[01]04", "must look like"),
        ("N1[x=ST]04", "must name an element"),
        ("DTM[id=BP]", "no product id pairs"),
        ("PO1[id=BP]02", "drop the element"),
        ("REF04-0", "start at 1"),
    ],
)
def test_bad_paths_say_why(text: str, reason: str) -> None:
    with pytest.raises(PathSyntaxError, match=reason):
        compile_path(text, "x12")


def test_index_finds_within_a_range() -> None:
    segs = [["ST"], ["REF", "VR", "1"], ["PO1"], ["REF", "VR", "2"], ["REF", "IA", "3"], ["SE"]]
    index = Index(segs, X12_DEFAULT)
    path = compile_path("REF[01=VR]02", "x12")
    assert list(index.find(path, 0, 6)) == [1, 3]
    assert index.first(path, 2, 6) == 3
    assert index.first(path, 4, 6) is None


@given(st.lists(st.sampled_from(["A", "B", "C"]), max_size=30), st.integers(0, 30), st.integers(0, 30))
def test_index_ordinals_match_a_scan(tags: list[str], start: int, end: int) -> None:
    segs = [[t] for t in tags]
    index = Index(segs, X12_DEFAULT)
    for tag in "ABC":
        assert index.ordinals(tag, start, end) == [
            i for i in range(start, min(end, len(segs))) if tags[i] == tag
        ]
