"""The compiled scanners against the reference reader: same documents, same errors.

The inbound engine reads with generated code (``gateway.mapping.fastpath``) and falls back to
the interpreted reader only to explain a failure. These tests translate every shipped sample,
every contract sample and (when ``../shared/corpus`` is there) every corpus message both ways,
then hypothesis-mutated samples (segments dropped, doubled, elements blanked or replaced by
junk), and require the same document or the same error from both.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from gateway.edi import read_events
from gateway.edi.model import Transaction
from gateway.mapping import MappingRegistry, default_root
from gateway.mapping.errors import MappingError, TranslationError
from gateway.mapping.fastpath import compile_scanner, items_reader
from gateway.mapping.inbound import translate_transaction
from gateway.mapping.loader import Mapping
from gateway.mapping.plan import build_plan

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = sorted((default_root() / "tests").glob("*.edi")) + sorted(
    (ROOT / "tests/data/messages").glob("*.edi")
)
CORPUS = ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="module")
def registry() -> MappingRegistry:
    return MappingRegistry(default_root())


def transactions(data: bytes) -> list[Transaction]:
    try:
        return [e for e in read_events(data) if isinstance(e, Transaction)]
    except Exception:  # a broken sample: the reader's own tests cover it
        return []


def mapping_for(registry: MappingRegistry, tx: Transaction) -> Mapping | None:
    try:
        return registry.select(tx.standard, tx.version, tx.type)
    except MappingError:
        return None


def outcome(mapping: Mapping, tx: Transaction, *, reference: bool) -> tuple[str, object]:
    """``("ok", json)`` or ``("error", message)`` of one translation."""
    assert mapping.model is not None
    try:
        doc = translate_transaction(
            tx,
            mapping.fields,
            mapping.model,
            hierarchy=mapping.hierarchy,
            mapping=mapping.file,
            plan=build_plan(mapping.fields) if reference else mapping.plan,
            reference=reference,
        )
    except TranslationError as exc:
        return "error", str(exc)
    return "ok", doc.to_json_dict()  # type: ignore[attr-defined]


def assert_same(mapping: Mapping, tx: Transaction) -> tuple[str, object]:
    fast = outcome(mapping, tx, reference=False)
    slow = outcome(mapping, tx, reference=True)
    assert fast == slow
    return fast


def sample_transactions(registry: MappingRegistry, files: list[Path]) -> list[tuple[Mapping, Transaction]]:
    pairs = []
    for path in files:
        for tx in transactions(path.read_bytes()):
            mapping = mapping_for(registry, tx)
            if mapping is not None:
                mapping.plan = mapping.plan or build_plan(mapping.fields)
                pairs.append((mapping, tx))
    return pairs


def test_every_sample_translates_the_same_both_ways(registry) -> None:
    pairs = sample_transactions(registry, SAMPLES)
    assert len(pairs) >= 15
    kinds = [assert_same(mapping, tx)[0] for mapping, tx in pairs]
    assert "ok" in kinds and "error" in kinds  # the bad samples are compared too


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not beside the checkout")
def test_every_corpus_message_translates_the_same_both_ways(registry) -> None:
    files = sorted(
        p for p in CORPUS.rglob("*") if p.is_file() and p.suffix.lower() in (".edi", ".x12", ".txt", "")
    )
    pairs = sample_transactions(registry, files)
    for mapping, tx in pairs:
        assert_same(mapping, tx)


JUNK = st.sampled_from(
    ["", " ", "X", "0", "-1", "1,5", "1E+3", "NaN", "20241301", "ST", "BP", "47", "ABC:DEF"]
)


@st.composite
def mutations(draw: st.DrawFn) -> list[tuple[str, int, int, str]]:
    ops = st.tuples(
        st.sampled_from(["drop", "double", "set"]),
        st.integers(0, 10_000),
        st.integers(1, 12),
        JUNK,
    )
    return draw(st.lists(ops, min_size=1, max_size=4))


def mutate(tx: Transaction, ops: list[tuple[str, int, int, str]]) -> Transaction:
    segments = [list(seg) for seg in tx.segments]
    for op, where, element, text in ops:
        body = len(segments) - 2  # keep the header and the trailer
        if body <= 0:
            break
        i = 1 + where % body
        if op == "drop":
            del segments[i]
        elif op == "double":
            segments.insert(i, list(segments[i]))
        elif element < len(segments[i]):
            segments[i][element] = text
    return dataclasses.replace(tx, segments=segments)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(which=st.integers(0, 10_000), ops=mutations())
def test_mutated_samples_translate_the_same_both_ways(registry, which: int, ops) -> None:
    pairs = sample_transactions(registry, sorted((default_root() / "tests").glob("*.edi")))
    mapping, tx = pairs[which % len(pairs)]
    assert_same(mapping, mutate(tx, ops))


def test_a_conversion_failure_is_still_named_by_segment_element_and_field(registry) -> None:
    path = default_root() / "tests" / "x12-850-amazon.edi"
    data = path.read_bytes().replace(b"PO1*1*24*EA*12.50", b"PO1*1*24*EA*12,5x")
    (tx,) = transactions(data)
    mapping = mapping_for(registry, tx)
    assert mapping is not None
    with pytest.raises(TranslationError) as caught:
        mapping.translate(tx)
    assert "'12,5x' is not a number" in str(caught.value)
    assert caught.value.field == "lines[1].unit_price"
    assert caught.value.position is not None
    assert caught.value.position.tag == "PO1" and caught.value.position.element == 4


def test_mapping_text_never_becomes_code(tmp_path: Path) -> None:
    """Tags, codes, keys and defaults reach the scanner as constants, not as source text."""
    from gateway.mapping.paths import compile_path
    from gateway.mapping.specs import ValueSpec

    evil = "x'); import os; os._exit(3) #"
    spec = ValueSpec("note", paths=(compile_path("REF[01=ZZ]02", "x12"),), default=evil)
    plan = build_plan([spec])
    scan = compile_scanner(plan, name=evil)
    assert evil not in scan.source and "ZZ" not in scan.source and "REF" not in scan.source
    segments = [["ST", "850", "1"], ["REF", "ZZ", "hello"], ["SE", "3", "1"]]
    assert scan(segments, 0, 3, lambda tag, a, b: [], None) == {"note": "hello"}
    assert scan([["ST"], ["SE"]], 0, 2, lambda tag, a, b: [], None) == {"note": evil}

    # the same for a loop reader, its nested loop, their until/members tags and list names
    from gateway.mapping.specs import GroupSpec

    inner = GroupSpec(evil + "2", "list", selector=compile_path("MSG", "x12"), members=frozenset({"NTE"}))
    inner.fields = [ValueSpec("text", paths=(compile_path("MSG01", "x12"),), default=evil)]
    loop = GroupSpec(evil, "list", selector=compile_path("REF", "x12"), until=frozenset({"CTT"}))
    loop.fields = [spec, inner]
    read = items_reader(loop, name=evil)
    assert read is not None
    assert not any(text in read.source for text in (evil, "ZZ", "REF", "MSG", "NTE", "CTT"))
    segments = [["ST"], ["REF", "ZZ", "a"], ["MSG", ""], ["NTE"], ["REF", "ZZ", "b"], ["CTT"], ["SE"]]
    table = {"REF": [1, 4], "MSG": [2]}

    def ordinals(tag: str, start: int, end: int) -> list[int]:
        return [i for i in table.get(tag, []) if start <= i < end]

    found = read(segments, 0, len(segments), ordinals, None)
    assert found == [{"note": "a", evil + "2": [{"text": evil}]}, {"note": "b", evil + "2": []}]


# --- the fused list readers on every shape they accept -------------------------------------

FUZZ_MAPPING = """
version: 1
standard: x12
document: "850"
direction: inbound
versions: ["004010"]
canonical: fuzz
codes:
  kinds: {A: alpha, B: beta}
  note_codes: {N1: one, N2: two}
fields:
  lines:
    each: LQ
    until: [CTT]
    fields:
      no: {path: LQ01, required: true}
      qty: {path: ["QTY[01=A]02", "QTY[01=B]02"], convert: decimal}
      kind: {path: LQ02, code: kinds, skip_unknown: true}
      item.id: LIN[id=BP|VN]
      notes:
        each: NTE
        until: [LIN]
        members: [MSG, QTY]
        fields:
          text: {path: NTE02, required: true}
          qty: {path: ["QTY[01=B]02", "QTY[01=A]02"], convert: decimal}
          code: {path: NTE01, code: note_codes, skip_unknown: true}
          message: MSG01
      detail:
        fields:
          refs:
            each: REF
            fields:
              id: {path: REF02, default: none}
  trailer_notes:
    each: NTE
    after: CTT
    fields:
      text: NTE02
  header_refs:
    each: REF
    before: LQ
    until: [LQ]
    fields:
      id: REF02
"""


class FuzzNote(BaseModel):
    text: str | None = None
    qty: Decimal | None = None
    code: str | None = None
    message: str | None = None


class FuzzRef(BaseModel):
    id: str | None = None


class FuzzDetail(BaseModel):
    refs: list[FuzzRef] = []


class FuzzItem(BaseModel):
    id: str | None = None


class FuzzLine(BaseModel):
    no: str
    qty: Decimal | None = None
    kind: str | None = None
    item: FuzzItem | None = None
    notes: list[FuzzNote] = []
    detail: FuzzDetail | None = None


class Fuzz(BaseModel):
    lines: list[FuzzLine] = []
    trailer_notes: list[FuzzNote] = []
    header_refs: list[FuzzRef] = []


FUZZ_SEGMENT = st.one_of(
    st.tuples(st.just("QTY"), st.sampled_from(["A", "B", "C"]), st.sampled_from(["5", "2.5", "", "7"])),
    st.tuples(
        st.just("NTE"), st.sampled_from(["N1", "N2", "N9", ""]), st.sampled_from(["hi", "yo", "ok", " "])
    ),
    st.tuples(st.just("MSG"), st.sampled_from(["m", "w", ""])),
    st.tuples(st.just("LIN"), st.just(""), st.sampled_from(["BP", "VN", "UP"]), st.sampled_from(["B01", ""])),
    st.tuples(st.just("REF"), st.just("ZZ"), st.sampled_from(["r1", "r2", ""])),
    st.tuples(st.just("DTM"), st.just("002")),
)
FUZZ_LINE = st.tuples(
    st.tuples(st.just("LQ"), st.sampled_from(["1", "2", "3"]), st.sampled_from(["A", "B", "C", ""])),
    st.lists(FUZZ_SEGMENT, max_size=8),
)


@st.composite
def fuzz_bodies(draw: st.DrawFn) -> list[tuple[str, ...]]:
    """Header segments, LQ loops of any segments, maybe a CTT and trailer segments; now and
    then a value that does not convert."""
    body: list[tuple[str, ...]] = draw(st.lists(FUZZ_SEGMENT, max_size=4))
    for lx, rest in draw(st.lists(FUZZ_LINE, max_size=5)):
        body += [lx, *rest]
    if draw(st.booleans()):
        body += [("CTT", "1"), *draw(st.lists(FUZZ_SEGMENT, max_size=4))]
    if draw(st.integers(0, 9)) == 0:
        body.append(("QTY", "A", "x"))
    return body


@pytest.fixture(scope="module")
def fuzz_mapping(tmp_path_factory) -> Mapping:
    from gateway.mapping import load_mapping

    path = tmp_path_factory.mktemp("fuzz") / "fuzz.yaml"
    path.write_text(FUZZ_MAPPING)
    mapping = load_mapping(path, models={"fuzz": Fuzz})
    mapping.plan = build_plan(mapping.fields)
    return mapping


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=fuzz_bodies())
def test_the_fused_list_readers_read_what_the_reference_reads(fuzz_mapping, caplog, tx, body) -> None:
    """Nested lists with until and members, ranked slots, skipped items, flattened prefixes,
    after and before: the generated readers find what the interpreter finds, without falling
    back to it."""
    from gateway.mapping.inbound import read_fields

    assert all(items_reader(g, "fuzz") is not None for g, _ in fuzz_mapping.plan.groups)
    segments = [["ST", "850", "0001"], *(list(seg) for seg in body), ["SE", str(len(body) + 2), "0001"]]
    transaction = tx(segments)

    def read(reference: bool) -> tuple[str, object]:
        plan = build_plan(fuzz_mapping.fields) if reference else fuzz_mapping.plan
        try:
            return "ok", read_fields(transaction, plan, mapping="fuzz", reference=reference)
        except TranslationError as exc:
            return "error", str(exc)

    caplog.clear()
    fast = read(reference=False)
    assert fast == read(reference=True)
    if fast[0] == "ok":  # the generated reader did it alone
        assert "compiled scanner failed" not in caplog.text
