"""Outbound invoicing: build, check, approve, send; and what the partner's acknowledgement says.

States of an invoice or credit note we build (``Document.status``)::

    draft --check fails--> blocked --check passes--> draft
    draft --send (automatic, or approved in manual mode)--> queued --put in the mailbox--> sent
    queued|sent --997/CONTRL accepts--> accepted      queued|sent --rejects--> rejected --send--> queued

- :func:`check_invoice` runs every compliance pre-check (:mod:`gateway.invoicing.checks`)
  and stores the reasons (``invoice_checks`` table); a failing invoice is ``blocked`` and is
  never sent: :func:`queue_invoice` re-checks right before rendering (unless its caller
  has just checked it in the same transaction).
- :func:`queue_invoice` renders through the partner's outbound mapping (X12 810 or EDIFACT
  INVOIC, per ``invoice.format`` or the partner's standard) or as canonical XML, wraps it in
  an interchange with the partner's control numbers and queues it in the outbox, linked to
  the invoice document (role ``sent``). Manual-mode partners need :func:`approve_and_queue`.
- :func:`record_invoice_sent` and :func:`record_invoice_ack` are for the pipeline: the sender
  calls the first once the file is in the mailbox, the 997/CONTRL handler the second.
- :mod:`gateway.invoicing.at_send` re-checks a queued invoice right before it is sent (queued --check
  fails--> blocked); :mod:`gateway.invoicing.supersede` cancels our unsent one when an ERP invoice
  bills the shipment (draft|blocked|queued --> cancelled); :mod:`gateway.invoicing.credit_job`
  builds credit notes once their return is creditable.
- :func:`on_documents_stored` is the automatic mode: after the pipeline stores an ASN (or a
  late PO, or an RMA) it builds the invoice (credit note) and, for ``mode: automatic``
  partners, sends it when it passes.

Every function here takes a ``session`` and leaves the commit to the caller; the ones that run
their own transaction (send, approve, the periodic sender) are the service's:
:mod:`gateway.service.money`.
"""

from __future__ import annotations

from gateway.invoicing.auto import invoiceable_drafts, on_documents_stored
from gateway.invoicing.build import build_invoices
from gateway.invoicing.checks import Reason
from gateway.invoicing.credit import build_credit_note
from gateway.invoicing.parts import InvoicingError
from gateway.invoicing.render import render_payload
from gateway.invoicing.state import (
    SENDABLE,
    STATES,
    InvoiceBlocked,
    approve_and_queue,
    check_invoice,
    queue_invoice,
    record_invoice_ack,
    record_invoice_sent,
    record_invoices_sent,
)
from gateway.invoicing.views import InvoiceView, invoice_json, list_invoices

__all__ = [
    "SENDABLE",
    "STATES",
    "InvoiceBlocked",
    "InvoiceView",
    "InvoicingError",
    "Reason",
    "approve_and_queue",
    "build_credit_note",
    "build_invoices",
    "check_invoice",
    "invoice_json",
    "invoiceable_drafts",
    "list_invoices",
    "on_documents_stored",
    "queue_invoice",
    "record_invoice_ack",
    "record_invoice_sent",
    "record_invoices_sent",
    "render_payload",
]
