"""Per-partner business rules: what reconciliation checks, what an invoice must pass, when to alert.

A partner profile may carry a ``rules:`` section; every field has a default, so a profile
without one gets the rules of ``../shared/AMAZON-RULES.md``. Checks are named (the
discrepancy kinds of :mod:`gateway.reconcile` and the invoice check codes of
:mod:`gateway.invoicing`) and can be switched off one by one with ``skip:``; a name that is
not a check is refused when the profile is read. Example::

    rules:
      reconcile:
        skip: [fc_mismatch]
        quantity_tolerance: 0          # eaches
        item_ids: any                  # any: one shared id, none conflicting; all: every id of the PO
      invoice:
        po_number_pattern: "^[A-Z0-9]{8}$"
        require_tax_registration: true # EU: VAT numbers of supplier and buyer
        require_line_tax: true         # EU: TAX+7+VAT on every line
      aging:
        uninvoiced_days: 3
        return_rate_threshold: 0.08
      po_acknowledgement:
        automatic: false               # held for an operator to approve in the console
        deadline_hours: 24
        backorder_max_days: 14
      availability:
        source_partner: warehouse      # whose latest availability feed applies to this partner
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

#: Every kind of discrepancy reconciliation can file (``skip`` and ``severity`` name them).
DiscrepancyKind = Literal[
    "over_shipment",
    "invoiced_over_shipped",
    "invoice_quantity_over_asn",
    "returned_over_shipped",
    "invoiced_over_ordered",
    "price_mismatch",
    "uom_mismatch",
    "part_case",
    "item_id_mismatch",
    "item_not_on_po",
    "currency_mismatch",
    "invoice_total_mismatch",
    "invoice_before_po",
    "invoice_before_ship",
    "duplicate_invoice",
    "invoice_number_reused",
    "invoice_without_asn",
    "invoice_without_po",
    "asn_without_po",
    "return_without_po",
    "return_without_shipment",
    "credit_note_missing",
    "carton_mismatch",
    "duplicate_sscc",
    "asn_ship_date_in_future",
    "asn_bol_is_date",
    "fc_mismatch",
    "case_size_missing",
    "not_invoiced",
    "invoice_rejected",
    "po_not_shipped",
    "return_rate_high",
    "sscc_check_digit",
    "sscc_reused",
    "shipped_after_window",
    "shipped_over_confirmed",
    "invoiced_past_received",
    "carton_short_received",
]

#: The checks only an outbound invoice or credit note has; its pre-check also reports the
#: reconciliation kinds above that the draft would create (one name per rule).
InvoiceCheckCode = Literal[
    "number_missing",
    "number_too_long",
    "invoice_number_reused",
    "po_number_format",
    "date_in_future",
    "quantity_not_positive",
    "cost_not_positive",
    "uom_not_allowed",
    "currency_mismatch",
    "vendor_code",
    "remit_to_missing",
    "bill_to_missing",
    "ship_to_differs",
    "terms_missing",
    "tax_registration_missing",
    "line_tax_missing",
    "invoice_without_asn",
    "line_count",
    "credit_note_original_missing",
    "credited_past_billed",
    "credit_note_return_missing",
    "case_size_missing",
    "marketplace_unknown",
    "marketplace_currency",
    "marketplace_bill_to",
    "marketplace_tax_rate",
    "document_unreadable",
]

#: Check codes retired for the one name of the same rule (migration 0007 renames stored ones).
RETIRED_CODES: dict[str, str] = {
    "number_reused": "invoice_number_reused",
    "po_unknown": "invoice_without_po",
    "date_before_po": "invoice_before_po",
    "date_before_ship": "invoice_before_ship",
    "cost_differs_from_po": "price_mismatch",
    "line_not_on_po": "item_not_on_po",
    "item_ids_differ": "item_id_mismatch",
    "currency_differs": "currency_mismatch",
    "invoiced_past_ordered": "invoiced_over_ordered",
    "invoiced_past_shipped": "invoiced_over_shipped",
    "shipment_unknown": "invoice_without_asn",
    "shipment_already_invoiced": "duplicate_invoice",
    "total_mismatch": "invoice_total_mismatch",
}

Severity = Literal["info", "warning", "error"]


class _Rules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ReconciliationRules(_Rules):
    """How PO, ASN, invoice and return are matched for this partner's purchase orders."""

    skip: list[DiscrepancyKind] = []
    severity: dict[DiscrepancyKind, Severity] = {}
    quantity_tolerance: Decimal = Field(default=Decimal(0), ge=0, description="eaches")
    price_tolerance: Decimal = Field(default=Decimal(0), ge=0, description="per each, in the PO currency")
    total_tolerance: Decimal = Field(default=Decimal("0.01"), ge=0)
    item_ids: Literal["any", "all"] = "any"
    credit_note_grace_days: int = Field(default=7, ge=0, description="days an RMA may wait for its credit")

    def on(self, kind: str) -> bool:
        """Whether the check ``kind`` runs for this partner."""
        return kind not in self.skip


class InvoiceRules(_Rules):
    """What an invoice to this partner must satisfy before it is sent (AMAZON-RULES.md, 810 table)."""

    skip: list[InvoiceCheckCode | DiscrepancyKind] = []
    po_number_pattern: str | None = Field(default=r"^[A-Za-z0-9]{8}$", description="Amazon: 8 alphanumerics")
    max_number_length: int = Field(default=22, ge=1, description="X12 BIG02 holds 22 characters")
    allowed_uoms: list[str] = ["EA", "CA"]
    item_ids: Literal["any", "all"] = "all"
    require_shipment: bool = True
    require_tax_registration: bool = False
    require_line_tax: bool = False
    credit_note_requires_return: bool = True

    @field_validator("skip", mode="before")
    @classmethod
    def _current_names(cls, value: object) -> object:
        """A retired check code names its rule's one code (see :data:`RETIRED_CODES`)."""
        return [RETIRED_CODES.get(v, v) for v in value] if isinstance(value, list) else value

    def on(self, code: str) -> bool:
        return code not in self.skip


class AgingRules(_Rules):
    """When an unfinished piece of business becomes an alert; ``None`` turns one off."""

    uninvoiced_days: int | None = Field(default=3, ge=0, description="shipped but not invoiced after N days")
    rejected_days: int | None = Field(default=1, ge=0, description="invoice rejected and not resent")
    delivery_grace_days: int | None = Field(default=0, ge=0, description="PO past its window without ASN")
    return_rate_threshold: float | None = Field(default=0.10, gt=0, le=1)
    return_rate_min_units: int = Field(default=20, ge=1, description="shipped eaches before a rate counts")
    return_rate_window_days: int = Field(default=90, ge=1)


#: The checks only an outbound ship notice has (:mod:`gateway.shipping.checks`); it also
#: reports the reconciliation kinds of an ASN's own rules.
ShipNoticeCheckCode = Literal[
    "po_missing",
    "sscc_used_before",
    "shipment_id_used_before",
    "delivery_outside_window",
    "shipped_over_confirmed",
    "carrier_scac_missing",
    "carton_mixes_pos",
    "one_po_per_desadv",
]


class ShipNoticeRules(_Rules):
    """What a ship notice to this partner must satisfy before it is sent (AMAZON-RULES.md, 856)."""

    skip: list[ShipNoticeCheckCode | DiscrepancyKind] = []
    automatic: bool = Field(
        default=False,
        description="send our ship notice as soon as the warehouse's ASN of this partner's PO is stored",
    )
    unique_days: int = Field(default=365, ge=0, description="days an SSCC and a BSN02 stay unique")
    require_scac: bool = True
    x12_version: Literal["004010", "005010"] = Field(
        default="005010", description="GS08 of an X12 856 (Amazon's retail 856 is 5010; 4010 legacy)"
    )

    def on(self, code: str) -> bool:
        return code not in self.skip


class PoAcknowledgementRules(_Rules):
    """How this partner's POs are acknowledged (855 / ORDRSP, AMAZON-RULES.md)."""

    enabled: bool = Field(default=False, description="build an acknowledgement when a PO is stored")
    automatic: bool = Field(
        default=False,
        description="send the acknowledgement when the PO is stored; false: held for an operator to approve",
    )
    deadline_hours: int = Field(default=24, ge=1, description="Amazon: within 24 hours of the PO")
    backorder_max_days: int = Field(
        default=14, ge=0, description="a line available again within N days is backordered, later rejected"
    )
    split_partial: bool = Field(
        default=True, description="accept what is available now and backorder the rest (two lines)"
    )
    reject_unknown_items: bool = Field(
        default=True,
        description="an item not in the feed is rejected (invalid product identifier); else held",
    )
    reject_statuses: list[str] = Field(
        default=["discontinued", "obsolete"], description="feed statuses rejected as an obsolete product"
    )
    x12_version: Literal["004010"] = "004010"


class AvailabilityRules(_Rules):
    """Whose availability feed counts for this partner (the PO acknowledgement, the 846)."""

    source_partner: str | None = Field(
        default=None,
        description="the partner (ERP or warehouse) whose latest feed applies; none: this partner's own",
    )


InventoryCheckCode = Literal[
    "item_id_missing",
    "cost_missing",
    "currency_missing",
    "currencies_differ",
    "currency_not_partners",
    "quantity_not_whole",
    "feed_stale",
    "feed_superseded",
]


class InventoryFeedRules(_Rules):
    """When this partner gets an inventory and cost feed (846) and what it must pass."""

    enabled: bool = Field(default=False, description="send the 846 on a schedule")
    every_hours: int = Field(default=24, ge=1, le=168, description="one 846 per slot of this many hours")
    skip: list[InventoryCheckCode] = []
    require_cost: bool = True
    max_age_hours: int = Field(default=48, ge=1, description="a feed older than this is not sent")


class PartnerRules(_Rules):
    """The ``rules:`` section of a partner profile."""

    reconcile: ReconciliationRules = ReconciliationRules()
    invoice: InvoiceRules = InvoiceRules()
    aging: AgingRules = AgingRules()
    ship_notice: ShipNoticeRules = ShipNoticeRules()
    po_acknowledgement: PoAcknowledgementRules = PoAcknowledgementRules()
    availability: AvailabilityRules = AvailabilityRules()
    inventory_feed: InventoryFeedRules = InventoryFeedRules()
