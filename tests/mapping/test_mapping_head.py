"""The registry reads what each mapping serves from its head lines alone, as the whole file says it."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.mapping.errors import MappingError
from gateway.mapping.loader import HEAD_KEYS, MAPPINGS_DIR, read_mapping_head, read_mapping_yaml
from gateway.mapping.registry import MappingRegistry, mapping_files


def head_of_whole(path: Path) -> dict[str, object]:
    whole = read_mapping_yaml(path)
    return {key: whole[key] for key in HEAD_KEYS if key in whole}


@pytest.mark.parametrize("path", mapping_files(MAPPINGS_DIR), ids=lambda p: p.name)
def test_every_shipped_mapping_head_is_what_the_whole_file_says(path: Path) -> None:
    head = read_mapping_head(path)
    assert {key: head[key] for key in HEAD_KEYS if key in head} == head_of_whole(path)
    assert head.line is not None and head.file == str(path)  # still marked, for errors


WRITTEN_OTHERWISE = {
    "block list at the margin": 'standard: x12\ndocument: "850"\ndirection: inbound\nversions:\n- "004010"\n- "004060"\n',
    "indented list and comments": (
        "# an 850\nstandard: x12   # X12\n\ndocument: '850'\ndirection: inbound\nversions:\n"
        '  - "004010"  # one\n  - "004050"\ncanonical: purchase_order\nfields:\n  versions: {path: BEG03}\n'
    ),
    "flow list over two lines": 'standard: x12\ndocument: "850"\ndirection: inbound\nversions: ["004010",\n  "004060"]\n',
    "document marker first": '---\nstandard: x12\ndocument: "850"\ndirection: inbound\nversions: ["004010"]\n',
    "a quoted head key": '"standard": x12\ndocument: "850"\ndirection: inbound\nversions: ["004010"]\n',
    "a flow mapping": '{standard: x12, document: "850", direction: inbound, versions: ["004010"]}\n',
    "a block scalar holding a key-like line": (
        'notes: |\n  standard: not this\nstandard: x12\ndocument: "850"\ndirection: inbound\nversions: ["004010"]\n'
    ),
    "an alias to text outside the head": (
        'names: &v ["004010"]\nstandard: x12\ndocument: "850"\ndirection: inbound\nversions: *v\n'
    ),
    "an overlay": "overlay: x12-004010-850-in\nfields:\n  po_number: {path: BEG03}\n",
}


@pytest.mark.parametrize("text", WRITTEN_OTHERWISE.values(), ids=WRITTEN_OTHERWISE.keys())
def test_a_head_written_otherwise_reads_as_the_whole_file_reads_it(tmp_path: Path, text: str) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(text, encoding="utf-8")
    head = read_mapping_head(path)
    assert {key: head[key] for key in HEAD_KEYS if key in head} == head_of_whole(path)


def test_a_broken_file_is_reported_with_its_line_as_before(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(
        'standard: x12\ndocument: "850"\ndirection: [inbound\nversions: ["004010"]\n', encoding="utf-8"
    )
    with pytest.raises(MappingError) as caught:
        read_mapping_head(path)
    assert caught.value.problems[0].file == str(path) and caught.value.problems[0].line is not None
    registry = MappingRegistry(tmp_path)
    assert registry.entries == [] and registry.problems and registry.problems[0].file == str(path)
