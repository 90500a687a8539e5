"""Translate benchmark: what the mapping engine adds to parsing, as a ratio.

Builds N copies of two realistic messages, the sample X12 850 from
``mappings/tests/x12-850-amazon.edi`` (padded to 20 lines) and the EDIFACT INVOIC sample
(padded to 20 lines), each copy its own transaction in one interchange. For each it times,
side by side in one run:

- ``parse``: the gateway's reader (``gateway.edi.read_events``) when it is built, otherwise
  a naive ``str.split`` stand-in (labelled ``split``, which is faster than a real reader and so
  makes the ratio look worse, never better);
- ``parse+translate``: the same plus the mapping of every transaction into its canonical
  document, with pydantic validation.

It prints transactions per second and the ratio (parse+translate) / parse. Target: at most 2x.
The canonical models are the real ones when ``gateway.canonical`` exists, else the
contract-shaped models of ``tests/mapping/conftest.py``.

Usage: ``python bench/translate.py [--count 2000] [--repeat 3]``.
"""

from __future__ import annotations

import argparse
import gc
import importlib.util
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.edi.errors import Position  # noqa: E402
from gateway.edi.model import EDIFACT_DEFAULT, X12_DEFAULT, GroupHeader, InterchangeHeader, Transaction  # noqa: E402
from gateway.mapping import MappingRegistry  # noqa: E402

SAMPLES = ROOT / "mappings" / "tests"


def models() -> tuple[dict | None, str]:
    try:
        from gateway.canonical import DOCUMENT_TYPES

        return dict(DOCUMENT_TYPES), "gateway.canonical"
    except ImportError:
        spec = importlib.util.spec_from_file_location("mapping_conftest", ROOT / "tests/mapping/conftest.py")
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        sys.modules["mapping_conftest"] = module
        spec.loader.exec_module(module)  # type: ignore[union-attr]
        return module.CONTRACT_MODELS, "contract models (tests/mapping/conftest.py)"


def x12_file(count: int) -> str:
    text = (SAMPLES / "x12-850-amazon.edi").read_text().strip()
    segs = text.split("~")
    isa, gs = segs[0], segs[1]
    st_i = next(i for i, s in enumerate(segs) if s.startswith("ST*"))
    se_i = next(i for i, s in enumerate(segs) if s.startswith("SE*"))
    body = segs[st_i + 1 : se_i]
    lines = [s for s in body if s.startswith(("PO1*", "CTP*", "PID*"))]
    head = [s for s in body if not s.startswith(("PO1*", "CTP*", "PID*", "CTT*"))]
    padded = head + (lines * 10)[: len(lines) * 10] + ["CTT*20"]
    out = [isa, gs]
    for n in range(1, count + 1):
        tx = [f"ST*850*{n:04d}", *padded]
        out.extend(tx)
        out.append(f"SE*{len(tx) + 1}*{n:04d}")
    out += [f"GE*{count}*101", "IEA*1*000000101", ""]
    return "~".join(out)


def edifact_file(count: int) -> str:
    text = (SAMPLES / "edifact-invoic-credit.edi").read_text().strip()
    una, rest = text[:9], text[9:]
    segs = rest.split("'")
    unb = segs[0]
    unh_i = next(i for i, s in enumerate(segs) if s.startswith("UNH+"))
    unt_i = next(i for i, s in enumerate(segs) if s.startswith("UNT+"))
    body = segs[unh_i + 1 : unt_i]
    lin_i = next(i for i, s in enumerate(body) if s.startswith("LIN+"))
    uns_i = next(i for i, s in enumerate(body) if s.startswith("UNS+"))
    line = body[lin_i:uns_i]
    padded = body[:lin_i] + line * 20 + body[uns_i:]
    out = [una + unb]
    for n in range(1, count + 1):
        out.append(f"UNH+{n}+INVOIC:D:96A:UN:EAN008")
        out.extend(padded)
        out.append(f"UNT+{len(padded) + 2}+{n}")
    out += [f"UNZ+{count}+EU000301", ""]
    return "'".join(out)


def naive_split(text: str, standard: str) -> Iterator[Transaction]:
    """A stand-in parser: split on the default separators, no validation."""
    delimiters = X12_DEFAULT if standard == "x12" else EDIFACT_DEFAULT
    ic = InterchangeHeader(standard, 1, "", "", "", "", "1", "", "", "", False, delimiters, [], Position())
    group = GroupHeader(
        1, "", "", "", "1", "004010" if standard == "x12" else "D96A", "", "", None, Position()
    )
    if standard == "x12":
        segs = [s.split("*") for s in text.split("~") if s]
        start, end = "ST", "SE"
    else:
        segs = []
        for raw in text[9:].split("'"):
            if raw:
                parts = raw.split("+")
                segs.append([parts[0], *[p.split(":") if ":" in p else p for p in parts[1:]]])
        start, end = "UNH", "UNT"
    current: list | None = None
    index = 0
    for seg in segs:
        if seg[0] == start:
            current = [seg]
        elif current is not None:
            current.append(seg)
            if seg[0] == end:
                index += 1
                tx_type = current[0][1] if standard == "x12" else current[0][2][0]
                yield Transaction(tx_type, str(index), group.version, current, ic, group, index, 3)
                current = None


def parser() -> tuple[Callable[[str, str], Iterator[Transaction]], str]:
    if importlib.util.find_spec("gateway.edi.x12.reader") and importlib.util.find_spec(
        "gateway.edi.edifact.reader"
    ):
        from gateway.edi import read_events

        def real(text: str, standard: str) -> Iterator[Transaction]:
            for event in read_events(text.encode()):
                if isinstance(event, Transaction):
                    yield event

        return real, "gateway reader"
    return naive_split, "naive split (readers not built yet)"


def timed(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    best = float("inf")
    n = 0
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        n = fn()
        best = min(best, time.perf_counter() - t0)
    return best, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    model_map, model_label = models()
    registry = MappingRegistry(models=model_map)
    parse, parse_label = parser()
    print(
        f"parser: {parse_label}; models: {model_label}; {args.count} transactions per file, best of {args.repeat}"
    )
    print(f"{'document':<16}{'parse tx/s':>14}{'parse+translate tx/s':>24}{'ratio':>8}")
    for label, standard, text in (
        ("X12 850", "x12", x12_file(args.count)),
        ("EDIFACT INVOIC", "edifact", edifact_file(args.count)),
    ):

        def parse_only(text: str = text, standard: str = standard) -> int:
            return sum(1 for _ in parse(text, standard))

        def parse_translate(text: str = text, standard: str = standard) -> int:
            n = 0
            for tx in parse(text, standard):
                registry.translate(tx)
                n += 1
            return n

        parse_translate()  # warm the mapping cache (compiled once per process)
        t_parse, n = timed(parse_only, args.repeat)
        t_both, _ = timed(parse_translate, args.repeat)
        print(f"{label:<16}{n / t_parse:>14,.0f}{n / t_both:>24,.0f}{t_both / t_parse:>8.2f}")


if __name__ == "__main__":
    main()
