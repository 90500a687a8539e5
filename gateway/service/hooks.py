"""What follows a stored document: the hooks of the pipeline, listed here, owned by the service.

The pipeline (:mod:`gateway.service.pipeline`) stores an inbound message's documents in one
transaction, then runs :data:`STORED_HOOKS` over them in the next, each hook in a savepoint:

1. ``reconciliation`` -- :func:`gateway.reconcile.reconcile_documents`: the POs the documents
   touch are matched again and their discrepancies opened, updated or closed.
2. ``invoicing`` -- :func:`gateway.invoicing.on_documents_stored`: an ASN gets its invoice per PO,
   a PO that arrives after its ASN gets its invoices, an RMA its credit note; checked, and
   queued as an outbound 810/INVOIC for partners in automatic mode.
3. ``settlement`` -- :func:`gateway.settlement.hooks.on_documents_stored`: a remittance opens a claim
   per deduction and applies reversals; a return (and a returns deduction) owes ERP events.
4. ``ship notice`` -- :func:`gateway.shipping.auto.on_documents_stored`: the warehouse's ASN of a PO
   whose partner sends ship notices automatically goes on as our 856 / DESADV, with carton labels.
5. ``po acknowledgement`` -- :func:`gateway.shipping.po_ack.on_documents_stored`: a stored PO of a
   partner with ``rules.po_acknowledgement.enabled`` gets its 855 / ORDRSP, queued or held.

And, when an inbound 997/CONTRL answers an invoice we sent, :func:`on_acknowledged` records the
partner's verdict on the invoice (in the store stage, with the acknowledgement).

Rules every hook keeps:

- **Idempotent.** A hook may run again over the same documents (a crash after the documents were
  stored, a replay) and must then change nothing it already did: reconciliation syncs findings by
  key, invoicing finds the invoice it built. That is what makes owed work survive a crash: the
  message stays ``translated`` until its hooks have committed, and recovery runs it again.
- **A failing hook does not fail the message.** Its writes are rolled back (savepoint) and the
  failure goes on the message's timeline (``invoicing failed: ...``); ``acorn invoices build``
  can redo the work. Except when the database itself is unavailable
  (:class:`~sqlalchemy.exc.OperationalError`): then nothing is wrong with the message, the
  hook's work is owed, and the message is left unfinished to be taken up again.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlmodel import Session

from gateway import invoicing, reconcile
from gateway.edi.model import AckResult
from gateway.service.runtime import Runtime
from gateway.shipping import po_ack
from gateway.store.models import Document, Message


@dataclass(frozen=True, slots=True)
class Hook:
    """One step after the documents are stored; ``run`` returns notes for the message's timeline.
    ``types``: the only document types it acts on (``None``: any), so a batch with none of them
    skips it, and its module is imported the first time it runs (an 850 file never loads settlement
    or ship notices: :func:`runs_on`)."""

    name: str
    run: Callable[[Session, Runtime, Sequence[Document]], list[str]]
    types: frozenset[str] | None = None


def runs_on(hook: Hook, rows: Sequence[Document]) -> bool:
    """Whether ``hook`` has anything to do for ``rows``: one of them is of a type it acts on."""
    return hook.types is None or any(row.type in hook.types for row in rows)


def _reconcile(session: Session, runtime: Runtime, rows: Sequence[Document]) -> list[str]:
    reconcile.reconcile_documents(session, runtime.partners, list(rows))
    return []


def _invoice(session: Session, runtime: Runtime, rows: Sequence[Document]) -> list[str]:
    built = invoicing.on_documents_stored(session, runtime.partners, runtime.mappings, runtime.archive, rows)
    return [f"{document.status} invoice {document.business_key} built" for document in built]


def _settle(session: Session, runtime: Runtime, rows: Sequence[Document]) -> list[str]:
    from gateway.settlement import hooks as settlement  # only for a remittance or a return (Hook.types)

    return settlement.on_documents_stored(session, runtime.partners, rows)


def _ship_notice(session: Session, runtime: Runtime, rows: Sequence[Document]) -> list[str]:
    from gateway.shipping import auto as shipping  # only for a shipment (Hook.types)

    return shipping.on_documents_stored(session, runtime.partners, runtime.mappings, runtime.archive, rows)


def _po_ack(session: Session, runtime: Runtime, rows: Sequence[Document]) -> list[str]:
    notes = po_ack.on_documents_stored(session, runtime.partners, runtime.mappings, runtime.archive, rows)
    return summarised("PO acknowledgements", notes)


#: a hook's notes on one batch: at most this many verbatim, more are summed up (a timeline row each)
NOTE_EACH = 20


def summarised(what: str, notes: list[str]) -> list[str]:
    """``notes`` as they are when few; for a large file's batch, one line counting the plain ones
    by their last word (``PO acknowledgement P1 queued``: queued) and the first :data:`NOTE_EACH`
    that give a reason (``held: availability_missing``, ``not built: ...``), verbatim."""
    if len(notes) <= NOTE_EACH:
        return notes
    plain = Counter(note.rsplit(" ", 1)[-1] for note in notes if ": " not in note)
    told = [note for note in notes if ": " in note]
    counts = ", ".join(f"{n} {word}" for word, n in sorted(plain.items()))
    line = f"{what}: {len(notes)} in this batch" + (f" ({counts})" if counts else "")
    more = [f"... and {len(told) - NOTE_EACH} more with a reason"] if len(told) > NOTE_EACH else []
    return [line, *told[:NOTE_EACH], *more]


#: what follows a stored document, in order
STORED_HOOKS: tuple[Hook, ...] = (
    Hook("reconciliation", _reconcile),
    Hook("invoicing", _invoice),
    Hook("settlement", _settle, frozenset({"remittance", "return_authorization"})),
    Hook("ship notice", _ship_notice, frozenset({"shipment"})),
    Hook("po acknowledgement", _po_ack),
)


def on_acknowledged(session: Session, runtime: Runtime, target: Message, result: AckResult) -> None:
    """A 997/CONTRL answered ``target``: an invoice it carried is accepted or rejected."""
    accepted = result.status in ("accepted", "accepted_with_errors")
    codes = sorted({c for t in result.transactions for c in t.codes} | set(result.codes))
    invoicing.record_invoice_ack(session, int(target.id or 0), accepted, codes, partners=runtime.partners)
