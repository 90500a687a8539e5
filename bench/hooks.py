"""Hooks benchmark: what the hooks after a stored document cost, in a profile of one ``run_once``.

``bench/ingest.py``'s N files (two 850s for each 856, every 856 with SSCCs of its own, so each gets
its automatic 810 and its ship notice with carton labels) are put in the mailboxes of a fresh
SQLite home, and one in-process ``run_once`` takes them all, under cProfile (wall clock; with
``--cpu-clock`` the process-time clock, whose syscall a call inflates every figure). It prints
the CPU seconds of the whole run without the profiler first (a second home), then the cumulative
seconds and calls of the hooks' functions (:data:`FUNCTIONS`), then the top of the profile.

Usage: ``python bench/hooks.py [N] [--top K] [--no-profile]`` (default 150 files). Run it from
two trees (``git archive main | tar -x -C /tmp/base``, copy this file there) to compare.
"""

from __future__ import annotations

import argparse
import cProfile
import logging
import os
import pstats
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from ingest import files, home_for  # noqa: E402

#: (label, file suffix, function name) of the profile rows printed
FUNCTIONS: tuple[tuple[str, str, str], ...] = (
    ("run_once", "service/scheduler.py", "run_once"),
    ("hooks (after.run_hooks)", "pipeline/after.py", "run_hooks"),
    ("reconcile hook", "service/hooks.py", "_reconcile"),
    ("invoice hook", "service/hooks.py", "_invoice"),
    ("ship notice hook", "service/hooks.py", "_ship_notice"),
    ("po ack hook", "service/hooks.py", "_po_ack"),
    ("settlement hook", "service/hooks.py", "_settle"),
    ("auto.on_documents_stored (invoicing)", "invoicing/auto.py", "on_documents_stored"),
    ("state.queue_invoice", "invoicing/state.py", "queue_invoice"),
    ("auto._build_for", "invoicing/auto.py", "_build_for"),
    ("send.send_ship_notice", "shipping/send.py", "send_ship_notice"),
    ("send.label_and_record", "shipping/send.py", "label_and_record"),
    ("labels.carton_labels", "shipping/labels.py", "carton_labels"),
    ("scopes.run_scopes", "reconcile/scopes.py", "run_scopes"),
    ("at_send.prepare_for_send", "invoicing/at_send.py", "prepare_for_send"),
    ("book.load_bundles", "orders/book.py", "load_bundles"),
    ("mailboxes.send_due", "service/mailboxes.py", "send_due"),
)


def cpu_seconds() -> float:
    """User + system CPU seconds of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


#: (label, module, attribute) of the functions :func:`measured` wraps: each hook's entry point as
#: ``gateway.service.hooks`` calls it, and the re-check at send as ``gateway.service.money`` does
MEASURED: tuple[tuple[str, str, str], ...] = (
    ("reconciliation", "gateway.reconcile", "reconcile_documents"),
    ("invoicing", "gateway.invoicing", "on_documents_stored"),
    ("settlement", "gateway.settlement.hooks", "on_documents_stored"),
    ("ship notice", "gateway.shipping.auto", "on_documents_stored"),
    ("po acknowledgement", "gateway.shipping.po_ack", "on_documents_stored"),
    ("re-check at send", "gateway.service.money", "prepare_for_send"),
)


class Tally:
    """CPU seconds and SQL statements by (function label, kind of message)."""

    statements = 0
    cpu: dict[tuple[str, str], float] = {}
    sql: dict[tuple[str, str], int] = {}
    calls: dict[tuple[str, str], int] = {}


def measured() -> None:
    """Wrap the functions of :data:`MEASURED` to tally their CPU time and statements (per ``850``
    or ``856``: the type of the documents a hook is given; ``send`` for the re-check at send)."""
    import importlib

    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    def count(*_args: object, **_kw: object) -> None:
        Tally.statements += 1

    event.listen(Engine, "before_cursor_execute", count)
    for label, module_name, attribute in MEASURED:
        module = importlib.import_module(module_name)
        real = getattr(module, attribute)

        def wrapper(*args: object, _real=real, _label=label, **kw: object) -> object:  # type: ignore[no-untyped-def]
            rows = next((a for a in args if isinstance(a, list | tuple)), ())
            types = {getattr(r, "type", "") for r in rows}
            kind = "856" if "shipment" in types else "850" if "purchase_order" in types else "send"
            key = (_label, kind)
            began, statements = cpu_seconds(), Tally.statements
            try:
                return _real(*args, **kw)
            finally:
                Tally.cpu[key] = Tally.cpu.get(key, 0.0) + cpu_seconds() - began
                Tally.sql[key] = Tally.sql.get(key, 0) + Tally.statements - statements
                Tally.calls[key] = Tally.calls.get(key, 0) + 1

        setattr(module, attribute, wrapper)


def one_run(n: int, profile: cProfile.Profile | None) -> tuple[float, dict[str, int]]:
    """CPU seconds of one ``run_once`` over ``n`` fresh files, and its totals."""
    from gateway.service.runtime import Runtime
    from gateway.service.scheduler import run_once

    payloads = files(n)
    with home_for(None) as home:
        cwd = Path.cwd()
        os.chdir(home)
        try:
            for partner, name, data in payloads:
                inbox = home / "run" / "mailboxes" / partner / "inbox"
                inbox.mkdir(parents=True, exist_ok=True)
                (inbox / name).write_bytes(data)
            runtime = Runtime.open(home / "config.yaml")
            try:
                began = cpu_seconds()
                if profile is not None:
                    profile.enable()
                totals = run_once(runtime)
                if profile is not None:
                    profile.disable()
                return cpu_seconds() - began, totals
            finally:
                runtime.close()
        finally:
            os.chdir(cwd)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=150)
    parser.add_argument("--top", type=int, default=0, help="also print the top K functions by tottime")
    parser.add_argument("--no-profile", action="store_true", help="only the CPU seconds, no profile")
    parser.add_argument("--save", type=Path, help="write the profile's stats to this file (pstats)")
    parser.add_argument(
        "--cpu-clock", action="store_true", help="profile with time.process_time (a syscall a call)"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    cpu, totals = one_run(args.n, None)
    print(f"{ROOT}: {args.n} files, run_once {cpu:.2f} CPU s ({cpu * 1000 / args.n:.1f} ms/msg), {totals}")
    measured()
    cpu, _ = one_run(args.n, None)
    print(f"measured run: {cpu:.2f} CPU s ({cpu * 1000 / args.n:.1f} ms/msg)")
    kinds = {"850": sum(p == "amazon-us" for p, _, _ in files(args.n)), "856": 0, "send": 0}
    kinds["856"] = args.n - kinds["850"]
    for (label, kind), seconds in sorted(Tally.cpu.items()):
        calls = Tally.calls[(label, kind)]
        per = kinds[kind] or calls
        print(
            f"  {label:20s} {kind:4s} {calls:5d} calls {seconds:6.3f} CPU s"
            f" {seconds * 1000 / per:6.2f} ms/{'msg' if kinds[kind] else 'call'}"
            f" {Tally.sql[(label, kind)] / per:6.1f} stmts/{'msg' if kinds[kind] else 'call'}"
        )
    if args.no_profile:
        return
    profile = cProfile.Profile(time.process_time) if args.cpu_clock else cProfile.Profile()
    cpu, _ = one_run(args.n, profile)
    stats = pstats.Stats(profile)
    if args.save:
        stats.dump_stats(args.save)
    print(f"under the profiler: {cpu:.2f} CPU s")
    raw = stats.stats  # type: ignore[attr-defined]
    for label, suffix, name in FUNCTIONS:
        rows = [
            (v[1], v[3]) for (file, _line, func), v in raw.items() if func == name and file.endswith(suffix)
        ]
        calls = sum(r[0] for r in rows)
        cum = sum(r[1] for r in rows)
        print(f"  {label:42s} {calls:6d} calls {cum:7.2f} s")
    if args.top:
        stats.sort_stats("tottime").print_stats(args.top)


if __name__ == "__main__":
    main()
