"""Large-file benchmark: ``acorn parse``, ``acorn translate --jsonl`` and ``acorn ingest`` on big
mailbags, beside a naive split (and pyx12, where installed) on the same files, in one run.

Generates X12 850 mailbags and EDIFACT ORDERS files of about 1, 10 and 100 MB (the generators of
``bench/parse.py``: 500 POs of 20 lines per interchange), then runs each contender in a fresh
process and reads its peak resident memory from the kernel (``os.wait4``):

- ``bare python``: an interpreter that does nothing (the floor every figure is measured over);
- ``naive split``: read the whole file, ``split`` it into segments and elements (no validation,
  everything in memory: what memory looks like when nothing streams);
- ``acorn parse FILE``, ``acorn translate --jsonl FILE`` (output to /dev/null) and, up to
  ``--ingest-max`` MB, ``acorn ingest FILE`` into a fresh gateway home on SQLite;
- ``pyx12``'s reader on X12 up to 10 MB, when ``pip install '.[bench]'`` installed it.

Prints seconds, MiB/s, POs/s, peak RSS and RSS above the bare interpreter, then the issue's
targets (peak RSS < 64 MB above the interpreter at every size; parse >= 70% of the naive split's
speed at the largest size; ingest >= 2,000 POs/s). Usage: ``python bench/large.py [--sizes
1,10,100] [--ingest-max 10] [--quick] [--only parse] [--kinds edifact] [--single 20000
[--baseline CHECKOUT] [--feed]]``: ``--single`` also ingests one interchange of that many short POs (the
issue's 20,000-PO file), and prints CPU seconds beside wall time (steadier on a shared machine);
``--baseline`` runs another checkout's ``acorn ingest`` on the same file beside it, for
before/after figures from one run; ``--feed`` takes the demo's availability feed first, so the
855s are queued for sending rather than held.

``acorn ingest`` runs up to 10 MB by default (a 100 MB file takes some minutes: about 200 s for the
X12 one on the 2-core bench machine). The figures of docs/performance.md at 100 MB came from
``python bench/large.py --sizes 1,10,100 --ingest-max 100 --kinds x12,edifact``; ``--only ingest
--kinds x12`` runs the X12 ingests alone. Each ingest is into a fresh home whose database is
already at head (:func:`gateway_home`).

The bare interpreter's peak is read the same way as the others' (``wait4``), and Linux counts a
child's peak from its parent's at the fork, so it comes out at this process's own size (about
16 MiB, where ``python -c pass`` alone peaks at about 10.5): every "above the interpreter"
figure is measured over that, the same way before and after.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MiB = 1024 * 1024
RSS_TARGET_MIB = 64


def _generators():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("bench_parse", ROOT / "bench" / "parse.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.make_x12, module.make_edifact


NAIVE = (  # the garbage collector paused, as in bench/parse.py: the fastest pure-Python split
    "import gc, sys\ngc.disable()\ndata = open(sys.argv[1], encoding='latin-1').read()\n"
    "t, e = ('~', '*') if data.startswith('ISA') else (\"'\", '+')\n"
    "segments = [s.split(e) for s in data.split(t)]\n"
    "print(sum(1 for s in segments if s and s[0].strip() in ('ST', 'UNH')))\n"
)
PYX12 = (
    "import sys\nimport pyx12.x12file\n"
    "print(sum(1 for seg in pyx12.x12file.X12Reader(sys.argv[1]) if seg.get_seg_id() == 'ST'))\n"
)


_KEYS = {  # contender -> its name for --only
    "naive split": "naive",
    "acorn parse": "parse",
    "acorn translate --jsonl": "translate",
    "pyx12": "pyx12",
    "acorn ingest": "ingest",
}


@dataclass(slots=True)
class Run:
    seconds: float
    peak_mib: float
    #: CPU seconds (user + system) of the child: steadier than wall time on a shared machine
    cpu: float
    ok: bool
    note: str = ""


def run(command: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> Run:
    """Run ``command``, output to /dev/null; its wall time and peak RSS (its own, from wait4)."""
    start = time.perf_counter()
    with open(os.devnull, "wb") as sink, tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=sink, stderr=errors)
        _pid, status, usage = os.wait4(child.pid, 0)
        elapsed = time.perf_counter() - start
        errors.seek(0)
        tail = errors.read()[-300:].decode(errors="replace").strip().splitlines()
    code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(
        elapsed, usage.ru_maxrss / 1024, cpu, code == 0, "" if code == 0 else f"exit {code}: {tail[-1:]}"
    )


def gateway_home(root: Path, tree: Path = ROOT) -> Path:
    """A fresh gateway home (config, partners, mappings, SQLite) for ``acorn ingest``, its database
    upgraded by ``acorn db upgrade`` of ``tree`` first, as a deployed gateway's is: the ingest
    measured is the daily one, not the first start of a new installation (that one also runs
    the migrations, and imports Alembic for them: about 11 MiB more)."""
    root.mkdir(parents=True)
    shutil.copytree(ROOT / "partners", root / "partners")
    shutil.copytree(ROOT / "mappings", root / "mappings")
    config = root / "config.yaml"
    config.write_text(
        "database_url: sqlite:///acorn.sqlite3\narchive_dir: archive\npartners_dir: partners\n"
        "mappings_dir: mappings\nlogging:\n  level: WARNING\n",
        encoding="utf-8",
    )
    subprocess.run(
        [sys.executable, "-m", "gateway", "--config", str(config), "db", "upgrade"],
        cwd=root, env={**os.environ, "PYTHONPATH": str(tree)}, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    return config


SAMPLE_850 = ROOT / "tests" / "data" / "messages" / "x12_4010_850_new_po.edi"


def make_single(path: Path, count: int) -> None:
    """One interchange of ``count`` short 850s (the sample PO of three lines, renumbered), in one
    group: the issue's "one 20,000-PO interchange" (about 7.5 MB at 20,000)."""
    text = SAMPLE_850.read_text(encoding="latin-1").replace("\n", "")
    head, rest = text.split("ST*850*0001~", 1)
    body, _tail = rest.split("GE*1*4101~", 1)
    with path.open("w", encoding="latin-1", newline="") as out:
        out.write(head)
        for n in range(1, count + 1):
            out.write(
                f"ST*850*{n:04d}~"
                + body.replace("4TQ8ZK2M", f"P{n:07d}").replace("SE*16*0001~", f"SE*16*{n:04d}~")
            )
        out.write(f"GE*{count}*4101~IEA*1*000004101~\n")


def count_pos(path: Path) -> int:
    """POs in ``path``, read a line (one interchange) at a time: this process must stay small,
    for a child's peak RSS (from wait4) starts from what its parent held when it was forked."""
    with path.open("rb") as src:
        return sum(line.count(b"ST*850*") + line.count(b"UNH+") for line in src)


#: the shipped amazon-us profile's automatic 855 (the demo's), and the same switched off
NO_855 = ("po_acknowledgement: {enabled: true, automatic: true}", "po_acknowledgement: {enabled: false}")


#: the demo's availability feed (the warehouse's, which counts for amazon-us): with it, the 855s are queued
FEED = ROOT / "tests" / "data" / "messages" / "availability_feed.csv"


def single_interchange(
    count: int, baseline: Path | None, bare: float, work: Path, feed: bool = False
) -> list[str]:
    """``acorn ingest`` of one interchange of ``count`` POs on SQLite (the issue's 20,000-PO file),
    by this tree and, given ``baseline`` (another checkout, e.g. main's), by that one beside it,
    on the same file in the same run; each with the shipped profiles (amazon-us acknowledges
    every PO with an automatic 855, for the demo) and with that 855 off (``(no 855)``: storing,
    reconciliation and invoicing only). With ``feed`` the demo's availability feed is taken first
    (as ``acorn demo`` does), so every PO's 855 is decided from it and queued for sending; without
    it each is held (``availability_missing``). Prints a row each; returns the verdicts."""
    path = work / f"single-{count}.edi"
    make_single(path, count)
    mib = path.stat().st_size / MiB
    label = f"x12 1 ISA {count} POs"
    trees = [("acorn ingest", ROOT)] + ([("  baseline", baseline)] if baseline is not None else [])
    runs = [(name, tree, False) for name, tree in trees] + [(f"{n} (no 855)", t, True) for n, t in trees]
    verdicts = []
    for name, tree, quiet in runs:
        config = gateway_home(work / f"home-single-{name.strip().replace(' ', '-').replace('(', '')}", tree)
        if quiet:  # the shipped profiles acknowledge every PO with an 855 (demo-only): storing alone
            profile = config.parent / "partners" / "amazon-us.yaml"
            text = profile.read_text(encoding="utf-8")
            if NO_855[0] not in text:
                print(f"note: {profile.name} has no {NO_855[0]!r}: the (no 855) run is the shipped profile")
            profile.write_text(text.replace(NO_855[0], NO_855[1]), encoding="utf-8")
        env = {**os.environ, "PYTHONPATH": str(tree)}
        if feed and not quiet:
            take = ["--config", str(config), "ingest", "--partner", "warehouse", str(FEED)]
            subprocess.run(
                [sys.executable, "-m", "gateway", *take], cwd=config.parent, env=env, check=True,
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        command = [sys.executable, "-m", "gateway", "--config", str(config), "ingest", str(path)]
        result = run(command, cwd=config.parent, env=env)
        print(
            f"{label:22.22} {name:24} {result.seconds:8.2f} {mib / result.seconds:8.1f} "
            f"{count / result.seconds:9.0f} {result.peak_mib:9.1f} {result.peak_mib - bare:7.1f}  "
            f"CPU {result.cpu:.2f} s = {count / result.cpu:.0f} POs per CPU-s ({tree}) {result.note}"
        )
        verdicts.append(
            f"{label} ({name.strip()}): ingest {count / result.seconds:.0f} POs/s, {count / result.cpu:.0f} "
            f"POs per CPU second, peak RSS +{result.peak_mib - bare:.1f} MiB (target >= 2,000 POs/s)"
        )
    print()
    return verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,100", help="file sizes in MB, comma-separated")
    parser.add_argument("--ingest-max", type=float, default=10, help="largest size (MB) to ingest")
    parser.add_argument("--quick", action="store_true", help="one small file of each kind (for tests)")
    parser.add_argument(
        "--only",
        default="",
        help="run only these contenders, comma-separated: naive,parse,translate,ingest,pyx12 "
        "(`--only parse` = the naive split and `acorn parse`; the naive split always runs)",
    )
    parser.add_argument("--kinds", default="x12,edifact", help="file kinds, comma-separated: x12,edifact")
    parser.add_argument(
        "--single", type=int, default=0, help="also ingest one interchange of this many POs (e.g. 20000)"
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another checkout (e.g. main's) whose acorn ingests the --single file too",
    )
    parser.add_argument(
        "--feed",
        action="store_true",
        help="--single: take the demo's availability feed first, so each PO's 855 is queued (not held)",
    )
    args = parser.parse_args()
    only = {"naive", *args.only.split(",")} if args.only else None
    kinds = args.kinds.split(",")
    sizes = [0.01] if args.quick else [float(s) for s in args.sizes.split(",")]
    ingest_max = min(args.ingest_max, 0.01) if args.quick else args.ingest_max
    make_x12, make_edifact = _generators()
    python = sys.executable
    acorn = [python, "-m", "gateway"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    have_pyx12 = importlib.util.find_spec("pyx12") is not None
    bare = run([python, "-c", "pass"]).peak_mib
    print(f"bare interpreter: peak RSS {bare:.1f} MiB\n")
    print(
        f"{'file':22} {'contender':24} {'s':>8} {'MiB/s':>8} {'POs/s':>9} {'peak MiB':>9} {'+bare':>7}  note"
    )
    worst_over, verdicts = 0.0, []
    with tempfile.TemporaryDirectory(prefix="acorn-large-") as tmp:
        work = Path(tmp)
        if args.single:
            verdicts += single_interchange(args.single, args.baseline, bare, work, args.feed)
        for kind, make in (("x12", make_x12), ("edifact", make_edifact)):
            if kind not in kinds:
                continue
            for size in sizes:
                path = work / f"{kind}-{size:g}MB.edi"
                if args.quick:  # one interchange of 20 POs
                    make(
                        path,
                        1,
                        **({"groups": 1, "per_group": 20} if kind == "x12" else {"per_interchange": 20}),
                    )
                else:
                    make(path, int(size * 1_000_000))
                mib, pos = path.stat().st_size / MiB, count_pos(path)
                label = f"{kind} {mib:.1f} MiB {pos} POs"
                contenders: list[tuple[str, list[str], Path | None]] = [
                    ("naive split", [python, "-c", NAIVE, str(path)], None),
                    ("acorn parse", [*acorn, "parse", str(path)], None),
                    ("acorn translate --jsonl", [*acorn, "translate", "--jsonl", str(path)], None),
                ]
                if kind == "x12" and have_pyx12 and size <= 10:
                    contenders.append(("pyx12", [python, "-c", PYX12, str(path)], None))
                if size <= ingest_max:
                    config = gateway_home(work / f"home-{kind}-{size:g}")
                    command = [*acorn, "--config", str(config), "ingest", str(path)]
                    contenders.append(("acorn ingest", command, config.parent))
                if only is not None:
                    contenders = [c for c in contenders if _KEYS[c[0]] in only]
                results: dict[str, Run] = {}
                for name, command, cwd in contenders:
                    result = results[name] = run(command, cwd=cwd, env=env)
                    over = result.peak_mib - bare
                    if name.startswith("acorn"):
                        worst_over = max(worst_over, over)
                    print(
                        f"{label:22.22} {name:24} {result.seconds:8.2f} {mib / result.seconds:8.1f} "
                        f"{pos / result.seconds:9.0f} {result.peak_mib:9.1f} {over:7.1f}  {result.note}"
                    )
                if "acorn parse" in results:
                    naive, parsed = results["naive split"], results["acorn parse"]
                    verdicts.append(
                        f"{label}: parse at {naive.seconds / parsed.seconds:.0%} of the naive split's speed"
                    )
                if "acorn ingest" in results:
                    verdicts.append(f"{label}: ingest {pos / results['acorn ingest'].seconds:.0f} POs/s")
                print()
    print(f"worst acorn peak RSS above the interpreter: {worst_over:.1f} MiB (target < {RSS_TARGET_MIB})")
    for line in verdicts:
        print(line)


if __name__ == "__main__":
    main()
