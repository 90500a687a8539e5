"""Parse benchmark: our X12 and EDIFACT readers side by side with baselines, in one run.

Generates X12 850 and EDIFACT ORDERS files of about 1, 10 and 100 MB, then for each file
measures throughput (MiB/s) and peak resident memory of:

- ``ours``: the full streaming reader with envelope validation (``gateway.edi.read_events``);
- ``naive split``: decode + ``[s.split(e) for s in text.split(t)]`` with the garbage
  collector paused, the fastest pure-Python split (no validation, everything in memory);
- ``pydifact``: pydifact's parser (EDIFACT; skipped above 10 MB, where it takes minutes);
- ``pyx12``: pyx12's ``X12Reader`` (X12, where installed: ``pip install '.[bench]'``).

Each measurement runs in a fresh interpreter so peak RSS is its own. Prints a table and
the ratios the issue sets as targets. Usage: ``python bench/parse.py [--sizes 1,10,100]``.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

MiB = 1024 * 1024


def x12_850(n: int) -> str:
    """One 850 transaction set, control number ``n``; about 1.3 KB."""
    body = [
        f"ST*850*{n:04d}",
        f"BEG*00*NE*PO{n:06d}**20261123",
        "CUR*BY*USD",
        "DTM*064*20261201",
        "DTM*063*20261208",
        "N1*ST*AMAZON.COM SERVICES*92*PHX7",
    ]
    for line in range(1, 21):
        body.append(
            f"PO1*{line}*{line * 3}*EA*{line}.25**BP*B0{n % 10000:04d}{line:04d}*EN*4006381333931*VN*SKU-{line}"
        )
        body.append("CTP**RTL*19.99")
    body.append("CTT*20")
    body.append(f"SE*{len(body) + 1}*{n:04d}")
    return "~".join(body) + "~"


def make_x12(path: Path, size: int, groups: int = 10, per_group: int = 50) -> None:
    isa = "ISA*00*          *00*          *ZZ*AMAZON         *ZZ*ACMEVENDOR     *261123*1200*U*00401*{:09d}*0*P*>~"
    with path.open("w", newline="") as out:
        written, n, ic = 0, 0, 0
        while written < size:
            ic += 1
            parts = [isa.format(ic)]
            for g in range(1, groups + 1):
                parts.append(f"GS*PO*AMAZON*ACMEVENDOR*20261123*1200*{g}*X*004010~")
                for _ in range(per_group):
                    n += 1
                    parts.append(x12_850(n))
                parts.append(f"GE*{per_group}*{g}~")
            parts.append(f"IEA*{groups}*{ic:09d}~\n")
            chunk = "".join(parts)
            out.write(chunk)
            written += len(chunk)


def edifact_orders(n: int) -> str:
    body = [
        f"UNH+{n}+ORDERS:D:96A:UN",
        f"BGM+220+PO{n:06d}+9",
        "DTM+137:20261123:102",
        "DTM+64:20261201:102",
        "NAD+BY+5450534000000::9",
        "NAD+SU+4012345000009::9",
        "NAD+DP+5450534000017::9",
        "CUX+2:EUR:9",
    ]
    for line in range(1, 21):
        body += [
            f"LIN+{line}++400638133393{line % 10}:EN",
            f"PIA+5+B0{n % 10000:04d}{line:04d}:BP",
            f"QTY+21:{line * 3}",
            f"PRI+AAA:{line}.25",
        ]
    body += ["UNS+S", "CNT+2:20"]
    body.append(f"UNT+{len(body) + 1}+{n}")
    return "'".join(body) + "'"


def make_edifact(path: Path, size: int, per_interchange: int = 500) -> None:
    with path.open("w", newline="") as out:
        written, n, ic = 0, 0, 0
        while written < size:
            ic += 1
            parts = [f"UNA:+.? 'UNB+UNOA:3+5450534000000:14+4012345000009:14+261123:1200+{ic}'"]
            for _ in range(per_interchange):
                n += 1
                parts.append(edifact_orders(n))
            parts.append(f"UNZ+{per_interchange}+{ic}'\n")
            chunk = "".join(parts)
            out.write(chunk)
            written += len(chunk)


# --- the contenders (each runs in its own interpreter) ---------------------------


def run_ours(path: str) -> int:
    from gateway.edi import read_events
    from gateway.edi.model import Transaction

    count = 0
    for event in read_events(path):
        if isinstance(event, Transaction):
            count += 1
    return count


def run_naive(path: str, element: str, terminator: str) -> int:
    gc.disable()
    text = Path(path).read_bytes().decode("utf-8")
    segments = [s.split(element) for s in text.split(terminator)]
    count = len(segments)
    gc.enable()
    return count


def run_pydifact(path: str) -> int:
    import warnings

    from pydifact.parser import Parser

    warnings.simplefilter("ignore")
    text = Path(path).read_text()
    count = 0
    # pydifact takes one interchange per string: feed each interchange separately.
    for chunk in text.split("UNA")[1:]:
        for _segment in Parser().parse("UNA" + chunk):
            count += 1
    return count


def run_pyx12(path: str) -> int:
    from pyx12.x12file import X12Reader

    count = 0
    with open(path) as fd:
        for _seg in X12Reader(fd):
            count += 1
    return count


CONTENDERS = {
    "ours": run_ours,
    "naive split": run_naive,
    "pydifact": run_pydifact,
    "pyx12": run_pyx12,
}


def _child(name: str, args: tuple, queue: mp.Queue) -> None:
    start = time.perf_counter()
    try:
        result = CONTENDERS[name](*args)
        error = None
    except Exception as exc:  # a peer library failing is a result to show, not a crash
        result, error = 0, f"{type(exc).__name__}: {exc}"[:80]
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    queue.put((elapsed, peak_kib, result, error))


def measure(name: str, *args: object) -> tuple[float, float, int, str | None]:
    """(seconds, peak RSS MiB, items counted, error) for one contender in a fresh interpreter."""
    ctx = mp.get_context("spawn")
    queue: mp.Queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(name, args, queue))
    proc.start()
    elapsed, peak_kib, result, error = queue.get()
    proc.join()
    return elapsed, peak_kib / 1024, result, error


def have(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100", help="file sizes in MB, comma separated")
    parser.add_argument("--pydifact-max", type=float, default=10, help="largest size (MB) given to pydifact")
    opts = parser.parse_args()
    sizes = [float(s) for s in opts.sizes.split(",")]

    rows: list[tuple[str, float, str, float, float, str]] = []
    ratios: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for mb in sizes:
            for standard in ("x12", "edifact"):
                path = Path(tmp) / f"{standard}-{mb:g}MB.edi"
                (make_x12 if standard == "x12" else make_edifact)(path, int(mb * 1_000_000))
                size_mib = path.stat().st_size / MiB
                sep = ("*", "~") if standard == "x12" else ("+", "'")
                runs: dict[str, tuple] = {
                    "ours": ("ours", str(path)),
                    "naive split": ("naive split", str(path), *sep),
                }
                if standard == "edifact" and have("pydifact") and mb <= opts.pydifact_max:
                    runs["pydifact"] = ("pydifact", str(path))
                if standard == "x12" and have("pyx12"):
                    runs["pyx12"] = ("pyx12", str(path))
                speeds: dict[str, float] = {}
                for label, spec in runs.items():
                    elapsed, peak, _count, error = measure(*spec)
                    speed = size_mib / elapsed if elapsed and not error else 0.0
                    speeds[label] = speed
                    rows.append((standard, size_mib, label, speed, peak, error or ""))
                    print(
                        f"{standard:8} {size_mib:7.1f} MiB  {label:12} {speed:8.1f} MiB/s  peak {peak:7.1f} MiB"
                        + (f"  ERROR {error}" if error else ""),
                        flush=True,
                    )
                base = speeds["naive split"]
                ratios.append(f"{standard} {size_mib:.0f} MiB: ours/naive = {speeds['ours'] / base:.2f}")
                if speeds.get("pydifact"):
                    ratios.append(
                        f"{standard} {size_mib:.0f} MiB: ours/pydifact = {speeds['ours'] / speeds['pydifact']:.1f}x"
                    )
                if speeds.get("pyx12"):
                    ratios.append(
                        f"{standard} {size_mib:.0f} MiB: ours/pyx12 = {speeds['ours'] / speeds['pyx12']:.1f}x"
                    )
                path.unlink()

    print("\n| standard | file MiB | reader | MiB/s | peak RSS MiB | note |")
    print("|---|---:|---|---:|---:|---|")
    for standard, size_mib, label, speed, peak, error in rows:
        print(f"| {standard} | {size_mib:.1f} | {label} | {speed:.1f} | {peak:.1f} | {error} |")
    print("\nRatios (targets: X12 ours/naive >= 0.70; EDIFACT ours/pydifact >= 10x; ours peak < 64 MiB):")
    for line in ratios:
        print("  " + line)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
