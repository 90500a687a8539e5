"""The inbound message pipeline: one module a stage, composed by :mod:`~gateway.service.pipeline.run`.

The flow (DESIGN.md) for every file, whatever mailbox it came from; each stage commits before the
next begins, and the state each leaves the message in is written by the state machine
(:mod:`gateway.store.messages`)::

    take(bytes)                                      the one front door (transports, acorn ingest)
      receive      archive (fsync, sha256) + message row            [received]     receive.py
      parse        EDI envelopes validated, or canonical XML read                  parse.py
      identify     the sending partner, by the envelope's sender id  [parsed]      identify.py
      dedupe       same interchange or same bytes as an earlier one  [duplicate]   dedupe.py
      acknowledge  997/CONTRL queued (partner policy), once                        acknowledge.py
      translate    each transaction through today's mapping                        translate.py
      store        documents by business key, acks applied           [translated]  store.py
      hooks        the service's hooks: reconciliation, invoicing                  after.py
      finish       every problem listed                              [done|failed] after.py

A stage is ``stage(session, message, context)`` returning the next stage, or raising
:class:`~gateway.service.errors.StageError` with a :class:`~gateway.service.errors.StageCode` (or
the syntax layer's :class:`~gateway.edi.errors.IssueCode`), a readable message naming the file,
segment and element, and the position. The hooks that follow a stored document are the
service's (:data:`gateway.service.hooks.STORED_HOOKS`): an inbound 856 builds, checks and queues
our 810 there. They are idempotent, and a crash or an unavailable database before they commit
leaves the message ``translated``: :func:`recover` runs it again and the owed work is done once.

Rules that keep messages safe:

- :func:`receive` archives and commits *before* the caller may delete the file at the mailbox;
  a file fetched again after a crash is recognised by its receipt key, never ingested twice.
- Receiving and processing are separate claims: a poller receives under the mailbox's lease;
  any worker then claims received messages (:func:`drain`, ``FOR UPDATE SKIP LOCKED`` on
  PostgreSQL), whoever received them: small ones a batch in one transaction, a savepoint each
  (:mod:`~gateway.service.pipeline.batch`), a large one alone.
- :func:`process` claims the message with a lease of this worker and this thread, so no other
  worker and no sibling thread processes it at the same time. The archive is never touched.
- Storing is idempotent (partner + type + business key): re-processing after a crash or a replay
  replaces what the earlier attempt produced instead of duplicating it.
- :func:`replay` re-runs messages from their archived bytes with today's mappings and partner
  profiles, and writes who and why to the audit log.
"""

from __future__ import annotations

from pathlib import Path
from typing import Unpack

from gateway.service.errors import StageCode, StageError
from gateway.service.pipeline.context import Context, ProcessSummary, Stage
from gateway.service.pipeline.receive import (
    Incoming,
    Origin,
    Receipt,
    receipt_key,
    receive,
    receive_batch,
    release_receipt,
    release_receipts,
)
from gateway.service.pipeline.replay import ReplayOutcome, failed_message_ids, replay, resend
from gateway.service.pipeline.resolve import Resolution, ResolveError, correct, reassign, settle
from gateway.service.pipeline.run import LEASE, claim, process, recover, run_stages, take
from gateway.service.pipeline.work import claim_next, drain
from gateway.service.runtime import Runtime
from gateway.store.leases import owner_is_dead
from gateway.store.messages import UNFINISHED


def ingest(runtime: Runtime, source: bytes | Path, filename: str, **origin: Unpack[Origin]) -> Receipt:
    """Receive and process one file (:func:`take` with the file name first, for ``acorn ingest``)."""
    return take(runtime, source, filename=filename, **origin)


__all__ = [
    "LEASE",
    "UNFINISHED",
    "Context",
    "Incoming",
    "Origin",
    "ProcessSummary",
    "Receipt",
    "ReplayOutcome",
    "Resolution",
    "ResolveError",
    "Stage",
    "StageCode",
    "StageError",
    "claim",
    "claim_next",
    "correct",
    "drain",
    "failed_message_ids",
    "ingest",
    "owner_is_dead",
    "process",
    "reassign",
    "receipt_key",
    "receive",
    "receive_batch",
    "recover",
    "release_receipt",
    "release_receipts",
    "replay",
    "resend",
    "run_stages",
    "settle",
    "take",
]
