"""What the partner profile's parts share: the strict base model and the party printed on invoices."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ProfileParty(Part):
    """A party printed on invoices (remit-to, bill-to); ``id`` with its qualifier (e.g. ``92``)."""

    id: str | None = None
    id_qualifier: str | None = None
    name: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country: str | None = Field(default=None, min_length=2, max_length=2)
    tax_id: str | None = None
