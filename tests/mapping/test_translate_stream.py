"""``acorn translate`` as a stream: documents come while the file is still being read.

``iter_translated`` yields the first document after reading the first chunks of a large
file, not after the whole of it; ``--jsonl`` prints one document a line, the same documents
as ``--json``'s array (which is written incrementally too), and both exit 2 on a problem.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

from click.testing import CliRunner

from gateway.cli import cli
from gateway.mapping import MappingRegistry, default_root
from gateway.mapping.translate import Problem, Translated, iter_translated, translate_payload

PO = (
    "ST*850*{n:04d}~BEG*00*NE*PO{n:06d}**20260119~REF*IA*ACMEV01~DTM*064*20260126~"
    "DTM*063*20260202~N1*ST**92*PHX7~PO1*1*{q}*EA*6.40**BP*B09XCRD5T7*VN*ACM-CORD-3M~"
    "CTT*1*{q}~SE*9*{n:04d}~"
)
ISA = (
    "ISA*00*          *00*          *ZZ*AMAZON         *ZZ*ACMEVENDOR     *260120*0702*U*00401"
    "*000004103*0*P*>~GS*PO*AMAZON*ACMEVENDOR*20260120*0702*4103*X*004010~"
)


def mailbag(count: int, bad: set[int] = frozenset()) -> bytes:
    """One interchange of ``count`` 850s; those in ``bad`` have a PO1 quantity that is not a number."""
    body = "".join(PO.format(n=n, q="x" if n in bad else n) for n in range(1, count + 1))
    return (ISA + body + f"GE*{count}*4103~IEA*1*000004103~").encode()


class CountingReader(io.BytesIO):
    """A binary file that remembers how many bytes were read from it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk

    def readinto(self, buffer) -> int:  # type: ignore[override]
        n = super().readinto(buffer)
        self.taken += n
        return n


def test_first_document_comes_before_the_file_is_read() -> None:
    data = mailbag(14_000)  # about 2.5 MB: three of the reader's 1 MiB chunks
    source = CountingReader(data)
    stream = iter_translated(source, MappingRegistry(default_root()))
    first = next(stream)
    assert isinstance(first, Translated) and first.document.po_number == "PO000001"
    assert source.taken < len(data) / 2
    second = next(stream)
    assert isinstance(second, Translated) and second.document.po_number == "PO000002"


def test_stream_and_collected_agree_and_problems_keep_their_place() -> None:
    data = mailbag(40, bad={7, 31})
    registry = MappingRegistry(default_root())
    items = list(iter_translated(data, registry))
    problems = [i for i, item in enumerate(items) if isinstance(item, Problem)]
    assert problems == [6, 30]  # in file order, where their transactions were
    assert "PO1" in items[6].text  # type: ignore[union-attr]
    collected = translate_payload(data, registry)
    assert [d.po_number for _, d in collected.documents] == [  # type: ignore[attr-defined]
        item.document.po_number for item in items if isinstance(item, Translated)
    ]
    assert collected.errors == [item.text for item in items if isinstance(item, Problem)]


def test_jsonl_prints_one_document_a_line_the_same_as_json(tmp_path: Path) -> None:
    path = tmp_path / "bag.edi"
    path.write_bytes(mailbag(25))
    runner = CliRunner()
    as_array = runner.invoke(cli, ["translate", str(path), "--json"])
    as_lines = runner.invoke(cli, ["translate", str(path), "--jsonl"])
    assert as_array.exit_code == 0 and as_lines.exit_code == 0, as_array.output + as_lines.output
    lines = [json.loads(line) for line in as_lines.output.splitlines()]
    assert len(lines) == 25 and lines == json.loads(as_array.output)
    assert lines[24]["type"] == "purchase_order" and lines[24]["po_number"] == "PO000025"


def test_json_of_nothing_is_an_empty_array_and_a_problem_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.edi"
    path.write_bytes(mailbag(3, bad={1, 2, 3}))
    result = CliRunner().invoke(cli, ["translate", str(path), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout) == []
    assert result.stderr.count(f"{path}:") == 3


def test_json_and_jsonl_together_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "bag.edi"
    path.write_bytes(mailbag(1))
    result = CliRunner().invoke(cli, ["translate", str(path), "--json", "--jsonl"])
    assert result.exit_code == 2 and "choose one" in result.output
