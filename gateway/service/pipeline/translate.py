"""The translate stage: every transaction through today's mapping into a canonical document.

The stage itself opens the file's transactions as a stream, from the message's checkpoint on;
the store stage takes them a batch at a time (:func:`next_batch`), so a file of any size is
held one batch at a time. What the 997/CONTRL rejects is skipped, by the same verdict that
wrote it (:func:`gateway.edi.verdict.judge`): a transaction with an error of its own, and every
transaction of a group or interchange whose envelope (GE/UNE, IEA/UNZ) is broken, unless the
partner's profile says ``acks.store_rejected`` (then only the transactions rejected themselves
are skipped). The envelope errors are reported at the end. A 997/CONTRL is
read, not translated: the store stage applies it to what we sent. A transaction that cannot be
translated is a problem named by file, segment and element; the message's other transactions
still go on, and the message fails at the end with every problem listed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import cast

from sqlmodel import Session

from gateway.canonical import CanonicalDocument
from gateway.edi.model import AckResult, Transaction
from gateway.edi.stream import iter_transactions
from gateway.edi.verdict import judge
from gateway.mapping.errors import MappingError, TranslationError
from gateway.mapping.registry import MappingRegistry
from gateway.outbound.acks import is_acknowledgement, read_acknowledgement
from gateway.service.errors import StageCode, StageError
from gateway.service.pipeline import parse
from gateway.service.pipeline.context import Context, Step, where
from gateway.store.models import Message


def translate(session: Session, message: Message, context: Context) -> Step | None:
    """Open the file's transactions from the checkpoint on (canonical XML is translated already)."""
    if context.parsed is not None and context.path is not None:
        context.verdict = judge(context.parsed)
        context.stream = islice(_transactions(context.path), context.done, None)
    return Step.STORE


@dataclass(slots=True)
class Batch:
    """What the next transactions of the stream gave: documents, acknowledgements read, and
    whether the stream is at its end."""

    documents: list[CanonicalDocument] = field(default_factory=list)
    acks: list[AckResult] = field(default_factory=list)
    end: bool = False


#: segments a batch holds at most: a batch ends at :data:`~gateway.service.pipeline.store.BATCH`
#: transactions or at the first transaction that brings it to this many segments, whichever comes
#: first, so what memory holds follows the documents' size, not their count (2,000: about 45 POs
#: of 20 lines, 125 of 3 lines; docs/performance.md)
SEGMENTS = 2_000


def next_batch(context: Context, size: int, segments: int | None = None) -> Batch:
    """Translate up to ``size`` more transactions of ``context.stream`` (problems to the context),
    fewer when they reach ``segments`` segments (default :data:`SEGMENTS`); at least one."""
    budget = SEGMENTS if segments is None else segments
    batch = Batch()
    registry = context.runtime.mappings  # today's mappings, looked up once per message
    assert context.stream is not None
    held = 0
    for read, tx in enumerate(context.stream, start=1):
        context.done += 1
        held += tx.segment_count
        _one(context, registry, tx, batch)
        if read >= size or held >= budget:
            return batch
    batch.end = True
    return batch


def _one(context: Context, registry: MappingRegistry, tx: Transaction, batch: Batch) -> None:
    if not _accepted(context, tx) or tx.interchange.index in context.skip:
        return
    try:
        if is_acknowledgement(tx):
            batch.acks.append(_read_ack(context, tx))
        else:
            batch.documents.append(_translate_one(context, registry, tx))
            index = tx.interchange.index
            context.per_interchange[index] = context.per_interchange.get(index, 0) + 1
    except StageError as exc:
        context.problems.append(exc)


def _accepted(context: Context, tx: Transaction) -> bool:
    """Whether ``tx`` goes on: the 997/CONTRL accepts it, or only its group or interchange envelope
    is rejected and the partner's profile stores such documents (``acks.store_rejected``)."""
    if any(issue.severity.value == "error" for issue in tx.issues):
        return False
    verdict = context.verdict
    if verdict is None or verdict.accepts(tx):
        return True
    return context.partner.acks.store_rejected and verdict.only_envelope_rejects(tx)


def _transactions(path: Path) -> Iterator[Transaction]:
    return (item for item in iter_transactions(path, parse.CHUNK) if isinstance(item, Transaction))


def _read_ack(context: Context, tx: Transaction) -> AckResult:
    try:
        return read_acknowledgement(tx)
    except ValueError as exc:
        at = tx.position(0)
        raise StageError(
            StageCode.BAD_ACKNOWLEDGEMENT, f"{context.filename}: {at.describe()}: {exc}", where(at)
        ) from None


def _translate_one(context: Context, registry: MappingRegistry, tx: Transaction) -> CanonicalDocument:
    at = tx.position(0)
    try:
        mapping = registry.select(tx.standard, tx.version, tx.type, "inbound", context.partner.mappings)
    except MappingError as exc:
        text = f"{context.filename}: {at.describe()}: {tx.type} {tx.version}: {exc}"
        raise StageError(StageCode.NO_MAPPING, text, where(at)) from None
    try:
        doc = mapping.translate(
            tx, {"partner": context.partner.name, "source_message_id": context.message_id}
        )
    except TranslationError as exc:
        name = Path(exc.mapping or mapping.file).name
        raise StageError(
            StageCode.MAPPING_MISFIT, f"{context.filename}: {exc.describe()} [{name}]", where(exc.position)
        ) from None
    except MappingError as exc:
        raise StageError(StageCode.MAPPING_BROKEN, f"{context.filename}: {exc}", where(at)) from None
    return cast(CanonicalDocument, doc)
