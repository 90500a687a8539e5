"""The segment dictionary, and mapping files that point at segments or elements that cannot exist.

Each impossible path is written into a copy of a shipped mapping, at one known line, and
``check_all`` (what ``acorn mappings check`` runs) must report exactly that problem with
the file, the line and the key. The shipped mappings themselves must check clean, and
every segment and element they use must be in the dictionary.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from gateway.cli import cli
from gateway.edi.dictionary import STANDARDS, address_problem, dictionary, segment
from gateway.mapping import MappingError, MappingRegistry, checks, load_mapping
from gateway.mapping.paths import ID_PAIRS, TAG_RE

SHIPPED = Path(__file__).resolve().parents[2] / "mappings"

X12_850 = "x12-004010-850-in.yaml"
X12_810_OUT = "x12-004010-810-out.yaml"
ORDERS = "edifact-d96a-orders-in.yaml"
INVOIC_OUT = "edifact-d96a-invoic-out.yaml"


def broken_copy(tmp_path: Path, name: str, old: str, new: str) -> tuple[Path, int]:
    """A copy of the shipped mappings with ``old`` replaced by ``new`` in ``name``; the line."""
    root = tmp_path / "mappings"
    shutil.copytree(SHIPPED, root)
    path = root / name
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not a unique line of {name}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return root, text[: text.index(old)].count("\n") + 1


def only_problem(root: Path) -> Any:
    problems = MappingRegistry(root).check_all()
    assert len(problems) == 1, problems
    return problems[0]


# --- the data files --------------------------------------------------------------------------


@pytest.mark.parametrize("standard", STANDARDS)
def test_the_data_file_loads_and_every_entry_is_a_segment(standard) -> None:
    found = dictionary(standard)
    assert found is not None and found.standard == standard and found.versions
    assert len(found.segments) > 40
    for tag, seg in found.segments.items():
        assert TAG_RE.fullmatch(tag), tag
        assert seg.elements >= 1
        assert all(1 <= pos <= seg.elements and count >= 2 for pos, count in seg.composites.items()), tag


def test_an_unknown_standard_has_nothing_to_check() -> None:
    assert dictionary("tradacoms") is None
    assert address_problem("tradacoms", "XYZ", 99, 9) is None


@pytest.mark.parametrize(
    ("standard", "tag", "elements"),
    [
        ("x12", "BEG", 12),
        ("x12", "BIG", 11),  # BIG11 is 005010
        ("x12", "N4", 7),  # N407 is 005010
        ("x12", "PO1", 25),
        ("x12", "LIN", 31),
        ("x12", "SAC", 16),
        ("x12", "ST", 3),
        ("x12", "LX", 1),
        ("edifact", "NAD", 9),
        ("edifact", "BGM", 4),
        ("edifact", "UNB", 11),
        ("edifact", "PIA", 6),
        ("edifact", "TAX", 7),
    ],
)
def test_counts_are_the_largest_over_the_supported_versions(standard, tag, elements) -> None:
    found = segment(standard, tag)
    assert found is not None and found.elements == elements


def test_composites_and_simple_elements() -> None:
    ref = segment("x12", "REF")
    assert ref is not None and ref.components(4) == 6 and ref.components(2) is None
    nad = segment("edifact", "NAD")
    assert nad is not None and nad.components(2) == 3 and nad.components(6) is None
    assert segment("edifact", "BEG") is None and segment("x12", "BGM") is None


@pytest.mark.parametrize("standard", sorted(ID_PAIRS))
def test_every_product_id_position_the_paths_search_exists(standard) -> None:
    for tag, (first, last, layout) in ID_PAIRS[standard].items():
        seg = segment(standard, tag)
        assert seg is not None, tag
        if layout == "pair":  # the qualifier at q, the id at q + 1
            assert last + 1 <= seg.elements, tag
        else:
            assert all(seg.components(q) for q in range(first, last + 1)), tag


# --- inbound paths ---------------------------------------------------------------------------

VENDOR_CODE = 'vendor_code: "REF[01=IA]02"'


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("BEG99", "BEG has 12 elements in X12 (BEG01 to BEG12), so there is no BEG99"),
        ("PO199", "PO1 has 25 elements in X12 (PO101 to PO125), so there is no PO199"),
        ("REF[01=IA]99", "REF has 4 elements in X12 (REF01 to REF04), so there is no REF99"),
        ("XYZ02", "XYZ is not an X12 segment (gateway/edi/dictionary/x12.yaml lists the known ones)"),
        ("REF[05=IA]02", "so there is no REF05"),  # the filter's element
        ("REF[01-1=IA]02", "REF01 is a simple element in X12"),  # the filter's component
        ("REF04-7", "REF04 has 6 components in X12, so there is no REF04-7"),
        ("BEG03-1", "BEG03 is a simple element in X12 (it has no components), so there is no BEG03-1"),
        ("BGM02", "BGM is not an X12 segment"),
    ],
)
def test_an_impossible_x12_path_is_reported_with_file_line_and_key(tmp_path, path, message) -> None:
    root, line = broken_copy(tmp_path, X12_850, VENDOR_CODE, f'vendor_code: "{path}"')
    problem = only_problem(root)
    assert (Path(problem.file).name, problem.line, problem.key) == (X12_850, line, "vendor_code")
    assert problem.message.startswith(f"{path!r}: ") and message in problem.message


def test_an_impossible_loop_selector_is_reported(tmp_path) -> None:
    root, line = broken_copy(tmp_path, X12_850, "    each: PO1\n", "    each: PO9\n")
    problem = only_problem(root)
    assert (problem.line, problem.key) == (line, "lines")
    assert "PO9 is not an X12 segment" in problem.message


@pytest.mark.parametrize(
    ("name", "old", "new", "key"),
    [
        (X12_850, "    members: [N2, N3, N4, REF, PER]\n", "    members: [N2, N3, N9X, REF, PER]\n", "parties"),
        (X12_850, "    until: [CTT, AMT, SE]\n", "    until: [CTT, AMX, SE]\n", "lines"),
        ("x12-004010-810-in.yaml", "    after: TDS                                        # the summary TXI, not the lines' ones\n",
         "    after: TDZ\n", "taxes"),
    ],
)  # fmt: skip
def test_an_unknown_segment_in_a_loop_bound_is_reported(tmp_path, name, old, new, key) -> None:
    root, line = broken_copy(tmp_path, name, old, new)
    problem = only_problem(root)
    assert (problem.line, problem.key) == (line, key)
    assert "is not an X12 segment" in problem.message


@pytest.mark.parametrize(
    ("old", "new", "key", "message"),
    [
        (
            "{path: BGM02, required: true}",
            "{path: BGM05, required: true}",
            "po_number",
            "BGM has 4 elements in EDIFACT (BGM01 to BGM04), so there is no BGM05",
        ),
        (
            "id_qualifier: NAD02-3",
            "id_qualifier: NAD02-4",
            "parties.id_qualifier",
            "NAD02 has 3 components in EDIFACT, so there is no NAD02-4",
        ),
        ("city: NAD06", "city: NAD06-1", "parties.city", "NAD06 is a simple element in EDIFACT"),
        (
            '"RFF[01-1=IA]01-2"',
            '"RFF[01-5=IA]01-2"',
            "vendor_code",
            "RFF01 has 4 components in EDIFACT, so there is no RFF01-5",
        ),
        (
            "{path: BGM02, required: true}",
            "{path: BEG03, required: true}",
            "po_number",
            "BEG is not an EDIFACT segment (gateway/edi/dictionary/edifact.yaml lists the known ones)",
        ),
    ],
)
def test_an_impossible_edifact_path_is_reported_with_file_line_and_key(
    tmp_path, old, new, key, message
) -> None:
    root, line = broken_copy(tmp_path, ORDERS, old, new)
    problem = only_problem(root)
    assert (Path(problem.file).name, problem.line, problem.key) == (ORDERS, line, key)
    assert message in problem.message


# --- outbound element keys -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "key_end", "message"),
    [
        (
            "      BIG02:",
            "      BIG99:",
            ".BIG.BIG99",
            "BIG has 11 elements in X12 (BIG01 to BIG11), so there is no BIG99",
        ),
        ("REF02: vendor_code}", "REF05: vendor_code}", ".REF.REF05", "REF has 4 elements in X12"),
        ("REF02: vendor_code}", "REF04-7: vendor_code}", ".REF.REF04-7", "REF04 has 6 components in X12"),
        (
            "ITD12: terms.description",
            "ITD12-2: terms.description",
            ".ITD.ITD12-2",
            "ITD12 is a simple element",
        ),
        ("  - TDS: {TDS01:", "  - XYZ: {XYZ01:", ".XYZ", "XYZ is not an X12 segment"),
    ],
)
def test_an_impossible_x12_element_key_is_reported_with_file_line_and_key(
    tmp_path, old, new, key_end, message
) -> None:
    root, line = broken_copy(tmp_path, X12_810_OUT, old, new)
    problem = only_problem(root)
    assert (Path(problem.file).name, problem.line) == (X12_810_OUT, line)
    assert problem.key.startswith("segments[") and problem.key.endswith(key_end), problem.key
    assert message in problem.message


@pytest.mark.parametrize(
    ("old", "new", "key_end", "message"),
    [
        (
            "UNS: {UNS01:",
            "UNS: {UNS02:",
            ".UNS.UNS02",
            "UNS has 1 element in EDIFACT (UNS01), so there is no UNS02",
        ),
        (
            "MOA01-2: {field: total,",
            "MOA01-6: {field: total,",
            ".MOA.MOA01-6",
            "MOA01 has 5 components in EDIFACT",
        ),
        (
            "          NAD06: city",
            "          NAD06-1: city",
            ".NAD.NAD06-1",
            "NAD06 is a simple element in EDIFACT",
        ),
        ("  - CUX: {CUX01-1:", "  - CUR: {CUX01-1:", ".CUR", "CUR is not an EDIFACT segment"),
    ],
)
def test_an_impossible_edifact_element_key_is_reported_with_file_line_and_key(
    tmp_path, old, new, key_end, message
) -> None:
    root, line = broken_copy(tmp_path, INVOIC_OUT, old, new)
    problem = only_problem(root)
    assert (Path(problem.file).name, problem.line) == (INVOIC_OUT, line)
    assert problem.key.endswith(key_end), problem.key
    assert message in problem.message


def test_a_mapping_with_an_impossible_element_does_not_load(tmp_path) -> None:
    root, _ = broken_copy(tmp_path, X12_810_OUT, "      BIG02:", "      BIG99:")
    with pytest.raises(MappingError, match="so there is no BIG99"):
        load_mapping(root / X12_810_OUT, root=root)


def test_the_check_command_prints_file_line_key_and_exits_2(tmp_path) -> None:
    root, line = broken_copy(tmp_path, X12_850, VENDOR_CODE, 'vendor_code: "BEG99"')
    result = CliRunner().invoke(cli, ["mappings", "check", "--mappings", str(root)])
    assert result.exit_code == 2, result.output
    assert f"{X12_850}:{line}: vendor_code: 'BEG99': BEG has 12 elements in X12" in result.output


# --- the shipped mappings --------------------------------------------------------------------


def test_every_shipped_mapping_checks_clean() -> None:
    assert MappingRegistry(SHIPPED).check_all() == []
    result = CliRunner().invoke(cli, ["mappings", "check", "--mappings", str(SHIPPED)])
    assert result.exit_code == 0, result.output


def test_every_segment_and_element_the_shipped_mappings_use_is_in_the_dictionary(monkeypatch) -> None:
    used: set[tuple[str, str, int | None, int | None]] = set()
    compile_path = checks.compile_path

    def recording_compile_path(text: str, standard: str) -> Any:
        path = compile_path(text, standard)
        used.add((standard, path.tag, path.element, path.component))
        used.update((standard, path.tag, c.element, c.component) for c in path.conditions)
        return path

    exists = checks.Checker.exists

    def recording_exists(self, node, key, loc, tag, number=None, component=None) -> bool:  # type: ignore[no-untyped-def]
        used.add((self.standard, tag, number, component))
        return exists(self, node, key, loc, tag, number, component)

    monkeypatch.setattr(checks, "compile_path", recording_compile_path)
    monkeypatch.setattr(checks.Checker, "exists", recording_exists)
    MappingRegistry(SHIPPED).check_all()

    unknown = sorted(a for a in used if address_problem(*a) is not None)
    assert unknown == []
    tags = {(standard, tag) for standard, tag, _, _ in used}
    for tag in ("BEG", "PO1", "BSN", "HL", "SN1", "BIG", "IT1", "TDS", "BLI", "RDR"):
        assert ("x12", tag) in tags, tag  # every X12 mapping was read
    for tag in ("BGM", "NAD", "LIN", "PIA", "CPS", "GIN", "MOA", "UNS", "CNT", "FTX"):
        assert ("edifact", tag) in tags, tag  # every EDIFACT mapping was read


def _loop_bounds(node: Any) -> list[str]:
    """Every tag named by a loop bound (members, until, after, before) anywhere in a tree."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("members", "until") and isinstance(value, list):
                found.extend(str(v) for v in value)
            elif key in ("after", "before") and isinstance(value, str):
                found.append(value)
            else:
                found.extend(_loop_bounds(value))
    elif isinstance(node, list):
        for item in node:
            found.extend(_loop_bounds(item))
    return found


def test_every_loop_bound_of_the_shipped_mappings_is_a_segment_of_its_standard() -> None:
    files = sorted(SHIPPED.glob("*.yaml"))
    assert files
    for file in files:
        tree = yaml.safe_load(file.read_text(encoding="utf-8"))
        standard = tree.get("standard", "x12")
        tags = _loop_bounds(tree.get("fields") or tree.get("segments"))
        hierarchy = tree.get("hierarchy") or {}
        tags += [hierarchy["segment"]] if "segment" in hierarchy else []
        assert [t for t in tags if segment(standard, t) is None] == [], file.name
