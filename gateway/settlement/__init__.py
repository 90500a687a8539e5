"""Settlement: what happens to the money after the invoice (issue 18).

- :mod:`.deductions` tells payments from deductions in a remittance, by the partner's patterns.
- :mod:`gateway.reconcile.received` (below this layer, so reconciliation files it too) compares what was
  invoiced with what Amazon received: the shortage it will claim.
- :mod:`.payments` gives each invoice its payment state: open, partially paid, paid, short-paid, overdue.
- :mod:`.claims` turns every deduction into a claim with its evidence, deadline and status.
- :mod:`.evidence` gathers a claim's evidence and exports the dispute pack (a ZIP with an index).
- :mod:`.ledger` writes returns to the vendor's ERP (inventory and cost adjustments) and keeps the
  refund ledger (return -> credit note -> deduction).
- :mod:`.erp_delivery` delivers those events exactly once each, over a folder, SFTP or a signed webhook.
- :mod:`.reminders` warns before a deadline lapses, once per deadline.
- :mod:`.hooks` is what the pipeline runs after a remittance or a return is stored.
"""
