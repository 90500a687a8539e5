"""Start-up benchmark: how long an ``acorn`` command takes before it does anything.

Times, side by side in one run, a bare interpreter (``python -c pass``, the floor), ``python
-c "import gateway.cli"``, ``acorn --help``, ``acorn parse`` and ``acorn translate`` of one
small 850, and ``acorn messages --help`` (a database command, whose module loads sqlalchemy
only when it runs). Each is run ``--repeat`` times in a fresh interpreter; the median wall time
is printed beside its ratio to the bare interpreter and the heavy libraries it imported
(sqlalchemy, flask, paramiko, lxml), and the median CPU time (user + system, steadier than the
wall time on a busy machine). Issue 16's target: ``--help``, ``parse`` and ``translate`` under
0.2 s. The children run with their bytecode cached, as an installed package's are
(``PYTHONDONTWRITEBYTECODE`` is dropped from their environment, so the warm-up run writes the
``.pyc`` files): without them every run compiles ~70 modules again, about 0.07 s more. Usage:
``python bench/startup.py [--repeat 15]``.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "messages" / "x12_4010_850_new_po.edi"
HEAVY = ("sqlalchemy", "flask", "paramiko", "lxml", "pydantic", "yaml")
TARGET_S = 0.2

# name -> Python source run with ``python -c`` (the acorn ones call the console script's entry)
CASES: dict[str, str] = {
    "bare interpreter": "pass",
    "import gateway.cli": "import gateway.cli",
    "acorn --help": "import sys; sys.argv=['acorn','--help']; from gateway.cli import main; main()",
    "acorn parse FILE": f"import sys; sys.argv=['acorn','parse',{str(SAMPLE)!r}]; "
    "from gateway.cli import main; main()",
    "acorn translate FILE": f"import sys; sys.argv=['acorn','translate',{str(SAMPLE)!r}]; "
    "from gateway.cli import main; main()",
    "acorn messages --help": "import sys; sys.argv=['acorn','messages','--help']; "
    "from gateway.cli import main; main()",
}
REPORT = "import atexit, sys; atexit.register(lambda: print('\\nLOADED', *sorted(m for m in {heavy} if m in sys.modules), file=sys.stderr)); "


#: the children's environment: bytecode written and read, as an installed package's
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_once(source: str) -> tuple[float, float, str]:
    """Wall and CPU seconds of one fresh interpreter running ``source``, and the heavy modules it
    loaded."""
    code = REPORT.format(heavy=HEAVY) + source
    start, cpu = time.perf_counter(), _children_cpu()
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=ENV, capture_output=True, text=True, check=False
    )
    elapsed, cpu = time.perf_counter() - start, _children_cpu() - cpu
    if done.returncode not in (0,):
        raise SystemExit(f"{source!r} failed ({done.returncode}): {done.stderr[-400:]}")
    loaded = done.stderr.rsplit("LOADED", 1)[-1].strip()
    return elapsed, cpu, loaded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15, help="runs per case (median is printed)")
    args = parser.parse_args()
    rows = []
    for name, source in CASES.items():
        run_once(source)  # warm the file cache and write the .pyc files
        times, cpus = [], []
        loaded = ""
        for _ in range(args.repeat):
            elapsed, cpu, loaded = run_once(source)
            times.append(elapsed)
            cpus.append(cpu)
        rows.append((name, statistics.median(times), statistics.median(cpus), loaded))
    floor = rows[0][1]
    print(f"{'command':24} {'median s':>9} {'x bare':>7} {'CPU s':>7}  heavy modules loaded")
    for name, median, cpu, loaded in rows:
        print(f"{name:24} {median:9.3f} {median / floor:7.1f} {cpu:7.3f}  {loaded or '-'}")
    targets = [row for row in rows if row[0] in ("acorn --help", "acorn parse FILE", "acorn translate FILE")]
    verdict = ", ".join(f"{name} {'meets' if t < TARGET_S else 'misses'}" for name, t, _, _ in targets)
    print(f"\ntarget under {TARGET_S} s: {verdict}")


if __name__ == "__main__":
    main()
