"""Translate benchmark: what the mapping engine adds to parsing, as a ratio.

Builds N copies of two realistic messages, each copy its own transaction in one interchange:
the sample X12 850 of ``mappings/tests/x12-850-amazon.edi`` padded to 20 PO1 lines (with
their CTP and PID, CTT counting 20) and the EDIFACT INVOIC of
``mappings/tests/edifact-invoic-credit.edi`` padded to 20 LIN groups (CNT counting 20).
For each it times, side by side in one run:

- ``parse``: the gateway's streaming reader (``gateway.edi.read_events``), every
  transaction built and envelope-checked;
- ``parse+translate``: the same plus the inbound mapping of every transaction into its
  canonical document (``Mapping.translate``), pydantic validation included.

It prints transactions per second, the ratio (parse+translate) / parse (target: at most
2x) and, to show where translation time goes, the microseconds per transaction spent in the
mapping engine and in the canonical model's pydantic validation (measured by validating the
same documents again from their dumped dicts). Timings are the process's CPU time (``time.process_time``, so other programs on the
machine do not skew the ratio), best of ``--repeat`` runs, the garbage collector running
as usual.

Usage: ``python bench/translate.py [--count 2000] [--repeat 3] [--profile]``.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gateway.edi import read_events  # noqa: E402
from gateway.edi.model import Transaction  # noqa: E402
from gateway.mapping import MappingRegistry  # noqa: E402

SAMPLES = ROOT / "mappings" / "tests"
LINES = 20


def x12_file(count: int) -> bytes:
    text = (SAMPLES / "x12-850-amazon.edi").read_text().strip()
    segs = text.split("~")
    isa, gs = segs[0], segs[1]
    st_i = next(i for i, s in enumerate(segs) if s.startswith("ST*"))
    se_i = next(i for i, s in enumerate(segs) if s.startswith("SE*"))
    body = segs[st_i + 1 : se_i]
    first = next(i for i, s in enumerate(body) if s.startswith("PO1*"))
    ctt = next(i for i, s in enumerate(body) if s.startswith("CTT*"))
    line_groups: list[list[str]] = []
    for seg in body[first:ctt]:
        if seg.startswith("PO1*"):
            line_groups.append([])
        line_groups[-1].append(seg)
    lines = []
    for n in range(LINES):
        group = line_groups[n % len(line_groups)]
        po1 = group[0].split("*")
        po1[1] = str(n + 1)
        lines += ["*".join(po1), *group[1:]]
    padded = body[:first] + lines + [f"CTT*{LINES}"]
    out = [isa, gs]
    for n in range(1, count + 1):
        tx = [f"ST*850*{n:04d}", *padded]
        out.extend(tx)
        out.append(f"SE*{len(tx) + 1}*{n:04d}")
    out += [f"GE*{count}*101", "IEA*1*000000101", ""]
    return "~".join(out).encode()


def edifact_file(count: int) -> bytes:
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
    lines = []
    for n in range(LINES):
        lines += [f"LIN+{n + 1}" + line[0][line[0].index("+", 4) :], *line[1:]]
    summary = [f"CNT+2:{LINES}" if s.startswith("CNT+2") else s for s in body[uns_i:]]
    padded = body[:lin_i] + lines + summary
    out = [una + unb]
    for n in range(1, count + 1):
        out.append(f"UNH+{n}+INVOIC:D:96A:UN:EAN008")
        out.extend(padded)
        out.append(f"UNT+{len(padded) + 2}+{n}")
    out += [f"UNZ+{count}+EU000301", ""]
    return "'".join(out).encode()


def transactions(data: bytes) -> Iterator[Transaction]:
    for event in read_events(data):
        if isinstance(event, Transaction):
            yield event


def timed(fn: Callable[[], int], repeat: int) -> tuple[float, int]:
    best = float("inf")
    n = 0
    for _ in range(repeat):
        gc.collect()
        t0 = time.process_time()
        n = fn()
        best = min(best, time.process_time() - t0)
    return best, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--profile", action="store_true", help="print a cProfile of parse+translate")
    args = ap.parse_args()
    registry = MappingRegistry()
    print(f"{args.count} transactions of {LINES} lines per file, best of {args.repeat}")
    print(
        f"{'document':<16}{'parse tx/s':>12}{'parse+translate tx/s':>22}{'ratio':>7}"
        f"{'engine us/tx':>14}{'validation us/tx':>18}"
    )
    for label, data in (("X12 850", x12_file(args.count)), ("EDIFACT INVOIC", edifact_file(args.count))):
        first = next(transactions(data))
        mapping = registry.select(first.standard, first.version, first.type)

        def parse_only(data: bytes = data) -> int:
            return sum(1 for _ in transactions(data))

        def parse_translate(data: bytes = data, translate=mapping.translate) -> int:
            n = 0
            for tx in transactions(data):
                translate(tx)
                n += 1
            return n

        parse_translate()  # warm-up: the mapping is compiled once per process
        dumped = [mapping.translate(tx).model_dump() for tx in transactions(data)]
        model = mapping.model

        def validate_only(dumped: list = dumped, validate=model.model_validate) -> int:  # type: ignore[union-attr]
            for doc in dumped:
                validate(doc)
            return len(dumped)

        t_parse, n = timed(parse_only, args.repeat)
        t_both, _ = timed(parse_translate, args.repeat)
        t_valid, _ = timed(validate_only, args.repeat)
        per_tx = 1e6 / n
        print(
            f"{label:<16}{n / t_parse:>12,.0f}{n / t_both:>22,.0f}{t_both / t_parse:>7.2f}"
            f"{(t_both - t_parse - t_valid) * per_tx:>14,.0f}{t_valid * per_tx:>18,.0f}"
        )
        if args.profile:
            profile = cProfile.Profile()
            profile.runcall(parse_translate)
            pstats.Stats(profile).sort_stats("tottime").print_stats(18)


if __name__ == "__main__":
    main()
