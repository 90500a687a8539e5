"""Processing received messages, claimed one by one by any worker: the second of two claims.

Receiving and processing are separate claims (issue 16). A poller holds one mailbox's lease
only while it *receives* (archive fsynced, row ``received`` committed, remote copy deleted);
processing is claimed per message, here, by whichever worker asks, so N workers share one
mailbox's work. :func:`claim_next` picks the oldest ``received`` inbound message nobody holds and
takes its lease in the same transaction: on PostgreSQL with ``SELECT ... FOR UPDATE SKIP LOCKED``
(two workers never wait on, nor take, the same row), on SQLite with the conditional lease
``UPDATE`` of :func:`gateway.store.leases.claim` (the database has one writer; a lost race
tries the next candidate). :func:`drain` processes claimed messages until none is left: small
ones a batch at a time (:mod:`gateway.service.pipeline.batch`, the claim inside the batch's one
transaction), a large one alone through :func:`claim_next`.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterator

from sqlalchemy import or_
from sqlmodel import col, select

from gateway.service.pipeline.batch import BATCH, process_batch
from gateway.service.pipeline.context import ProcessSummary
from gateway.service.pipeline.run import LEASE, process
from gateway.service.runtime import Runtime
from gateway.store import leases, session_scope
from gateway.store.models import Direction, Message, MessageState, utcnow

log = logging.getLogger(__name__)

#: candidates read at once on SQLite, where a lost race moves on to the next one
CANDIDATES = 8


def claim_next(runtime: Runtime, among: Collection[int] | None = None) -> int | None:
    """Take the lease on the oldest received inbound message nobody holds (only ``among`` these
    ids when given); its id, or ``None`` when there is none to take."""
    holder = runtime.lease_holder()
    now = utcnow()
    query = (
        select(Message.id)
        .where(
            col(Message.direction) == Direction.IN.value,
            col(Message.state) == MessageState.RECEIVED.value,
            or_(col(Message.lease_until).is_(None), col(Message.lease_until) < now),
        )
        .order_by(col(Message.id))
    )
    if among is not None:
        if not among:
            return None
        query = query.where(col(Message.id).in_(list(among)))
    if runtime.engine.dialect.name == "postgresql":  # a row another worker is claiming is skipped
        query = query.with_for_update(skip_locked=True).limit(1)
    else:  # SQLite: one writer; a candidate lost to another worker's claim moves on to the next
        query = query.limit(CANDIDATES)
    with session_scope(runtime.engine) as session:
        for found in session.exec(query).all():
            where = [col(Message.id) == found, col(Message.state) == MessageState.RECEIVED.value]
            if leases.claim(session, Message, where, holder, LEASE):
                return int(found or 0)
    return None


def drain(
    runtime: Runtime, among: Collection[int] | None = None, limit: int | None = None
) -> Iterator[ProcessSummary]:
    """Process received messages (only ``among`` these ids when given) until none is left to take
    or ``limit`` were processed; yields each one's summary. Small messages are claimed and
    processed a batch at a time (:func:`~gateway.service.pipeline.batch.process_batch`: one
    transaction, a savepoint each); a large one, or one a batch did not take, alone."""
    count = 0
    while limit is None or count < limit:
        room = BATCH if limit is None else min(BATCH, limit - count)
        summaries = process_batch(runtime, among, room)
        if not summaries:
            message_id = claim_next(runtime, among)
            if message_id is None:
                return
            summaries = [process(runtime, message_id)]
        for summary in summaries:
            count += 1
            yield summary
        if all(s.state == "busy" for s in summaries):  # the database refuses: left to the retry
            return
