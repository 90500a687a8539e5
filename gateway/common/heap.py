"""The garbage collector while a message is processed: fewer young collections, so fewer full ones.

A gateway process holds a large heap from start-up (the imports, the mappings, the profiles:
about 150,000 objects), and processing a file makes objects that live for one batch of
transactions (the translated documents, their rows, the session's state). With CPython's default
thresholds (700, 10, 10) those objects outlive two young collections, are moved to the oldest
generation, and every ~66,000 of them trigger a *full* collection that walks the whole heap
again: on a 20,000-PO interchange 17 of them, about a third of the CPU time of ``acorn ingest``
(docs/performance.md, "Ingest speed, late session"). A young generation of :data:`YOUNG`
objects lets most of a batch's objects die (by reference counting) before they are promoted, so
full collections become rare; cyclic garbage is still collected, by the young collections.

:func:`roomy_heap` raises the first threshold for the time of a block and puts back what was
there when the last of any overlapping blocks (threads of one worker) ends.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: allocations (net) between young collections while a message is processed (CPython's default: 700)
YOUNG = 10_000

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, int, int] | None = None


@contextmanager
def roomy_heap(young: int = YOUNG) -> Iterator[None]:
    """Within the block, collect the young generation every ``young`` allocations (never fewer
    than the threshold already set); the thresholds before are restored when the last block ends."""
    global _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            first, second, third = _saved
            if first:  # 0: automatic collection is off, and stays so
                gc.set_threshold(max(first, young), second, third)
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
