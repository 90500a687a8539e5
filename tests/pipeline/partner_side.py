"""The partner's side of a local-folder mailbox, for crash tests: the inbound files we give the
gateway, and a collector that takes every file the gateway delivers and says what it carries.

The inbound files are the sample 850 and 856 with their own control numbers, PO numbers and
shipment ids: ASN ``i`` ships part of PO ``i`` (so automatic invoicing answers it with an 810).
The collector polls the outbox as Amazon would, takes each delivered file (reads it, then
removes it: a second delivery under the same name is seen as a second file) and keeps what
identifies it: the ISA13 of the interchange, and the business fact it answers — the inbound
group a 997 acknowledges (AK102) or the PO an 810 bills (BIG04) — so a double is found whether
it was re-sent or re-built.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.pipeline.conftest import numbered_po, sample

log = logging.getLogger(__name__)


def po_file(n: int) -> bytes:
    """Amazon's 850 for PO ``P{n:07d}``, interchange ``n``, group ``n``."""
    return numbered_po(n)


def asn_file(n: int) -> bytes:
    """The warehouse's 856 shipping part of PO ``P{n:07d}``: interchange and group ``n``,
    shipment ``ACME-ASN-{n:09d}``."""
    return (
        sample("x12_4010_856_partial_shipment.edi")
        .replace(b"000007001", f"{n:09d}".encode())
        .replace(b"*7001*X*", f"*{n}*X*".encode())
        .replace(b"GE*1*7001~", f"GE*1*{n}~".encode())
        .replace(b"ACME-ASN-260115-01", f"ACME-ASN-{n:09d}".encode())
        .replace(b"4TQ8ZK2M", f"P{n:07d}".encode())
    )


@dataclass(frozen=True, slots=True)
class Delivery:
    """One file the partner found in its mailbox."""

    name: str
    isa13: str
    kind: str  # "997", "810" or what the ST says
    answers: str  # AK102 (the group acknowledged) or BIG04 (the PO billed)


def read_delivery(name: str, data: bytes) -> Delivery:
    """What a delivered X12 file carries (our outbound separators: ``*`` and ``~``)."""
    segments = [s.strip().split("*") for s in data.decode("ascii").split("~") if s.strip()]
    isa13 = next(s[13] for s in segments if s[0] == "ISA")
    kind = next(s[1] for s in segments if s[0] == "ST")
    answers = ""
    for seg in segments:
        if kind == "997" and seg[0] == "AK1":
            answers = seg[2]
        elif kind == "810" and seg[0] == "BIG":
            answers = seg[4]
    return Delivery(name, isa13, kind, answers)


@dataclass
class Collector:
    """A thread taking every file delivered in ``outbox`` (dot-files are the gateway's own
    reservations and temporary names: never taken)."""

    outbox: Path
    interval: float = 0.05
    deliveries: list[Delivery] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        self.outbox.mkdir(parents=True, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name="partner-collector", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self.collect()  # whatever arrived after the last look

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.collect()

    def collect(self) -> None:
        for entry in sorted(os.scandir(self.outbox), key=lambda e: e.name):
            if entry.name.startswith(".") or not entry.is_file():
                continue
            path = Path(entry.path)
            data = path.read_bytes()  # delivered by a rename: always whole
            path.unlink()
            self.deliveries.append(read_delivery(entry.name, data))

    def count(self, kind: str) -> Counter[str]:
        """How many times each fact of ``kind`` was delivered."""
        return Counter(d.answers for d in self.deliveries if d.kind == kind)
