"""Partner profiles (``partners/<name>.yaml``): who a partner is and how we trade with it.

A profile says which envelope identities are the partner's (X12 ISA qualifier + id and GS
id; EDIFACT UNB id + qualifier), which are ours, the standard and version, the delimiters
of what we send, whether we send functional acknowledgements, its mailboxes, its mapping
overlays and how we invoice it.

Mailboxes are a discriminated union on ``type`` (``local``, ``sftp``, ``as2``), each with
its own settings written flat next to ``type``. Secrets are only ever *references*: an
environment variable name (``*_env``) or a file path (``*_file``); an inline ``password``
is refused when the file is read (see :mod:`gateway.config.source`). :func:`read_secret`
turns a reference into a :class:`pydantic.SecretStr` at the moment it is needed.
"""

from __future__ import annotations

import os
import re
import string
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator

from gateway.config.marketplaces import Marketplace, marketplace_for
from gateway.config.parties import Part as _Part
from gateway.config.parties import ProfileParty
from gateway.config.rules import PartnerRules
from gateway.config.settlement import SettlementSettings

Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]


def read_secret(
    env_name: str | None, file: Path | None, env: Mapping[str, str] | None = None
) -> SecretStr | None:
    """The secret named by an environment variable or held in a file (``None`` when neither is set).

    Raises :class:`LookupError` when the variable is unset or the file unreadable; the
    message names the reference, never the secret.
    """
    env = os.environ if env is None else env
    if env_name:
        if env_name not in env:
            raise LookupError(f"environment variable {env_name} is not set")
        return SecretStr(env[env_name])
    if file is not None:
        try:
            return SecretStr(file.read_text(encoding="utf-8").strip())
        except OSError as exc:
            raise LookupError(f"cannot read secret file {file}: {exc.strerror}") from None
    return None


class X12Identity(_Part):
    """An X12 identity: ISA05/07 qualifier, ISA06/08 id, GS02/03 application id."""

    isa_qualifier: str = Field(min_length=2, max_length=2)
    isa_id: str = Field(min_length=1, max_length=15)
    gs_id: str | None = Field(default=None, min_length=2, max_length=15)

    @property
    def application_id(self) -> str:
        return self.gs_id or self.isa_id


class EdifactIdentity(_Part):
    """An EDIFACT identity: UNB02/03 id and its code qualifier (e.g. ``14`` for EAN/GLN, ``ZZZ``)."""

    id: str = Field(min_length=1, max_length=35)
    qualifier: str | None = Field(default=None, max_length=4)


class Identities(_Part):
    """The envelope identities of one side; at least one standard."""

    x12: X12Identity | None = None
    edifact: EdifactIdentity | None = None

    @model_validator(mode="after")
    def _at_least_one(self) -> Self:
        if self.x12 is None and self.edifact is None:
            raise ValueError("give an x12 and/or an edifact identity")
        return self


class Delimiters(_Part):
    """Delimiters of what we send (X12 defaults; EDIFACT partners get UNA defaults below)."""

    element: str = Field(default="*", min_length=1, max_length=1)
    component: str = Field(default=">", min_length=1, max_length=1)
    segment: str = Field(default="~", min_length=1, max_length=1)
    repetition: str | None = Field(default="^", max_length=1)
    release: str | None = Field(default=None, max_length=1)
    decimal: Literal[".", ","] = "."
    segment_suffix: str = Field(default="\n", max_length=2)

    @model_validator(mode="after")
    def _distinct(self) -> Self:
        used = [c for c in (self.element, self.component, self.segment, self.repetition, self.release) if c]
        if len(set(used)) != len(used):
            raise ValueError("element, component, segment, repetition and release must all differ")
        if any(c.isalnum() or c == " " for c in used):
            raise ValueError("delimiters cannot be letters, digits or spaces")
        return self


EDIFACT_DELIMITERS = Delimiters(element="+", component=":", segment="'", repetition="*", release="?")


class AckPolicy(_Part):
    """Functional acknowledgements: do we send 997/CONTRL for what we receive, do we ask for theirs."""

    send: bool = True
    request: bool = True
    overdue_hours: float = Field(default=24, gt=0)
    store_rejected: bool = Field(
        default=False,
        description=(
            "store the documents of a group or interchange our 997/CONTRL rejects (an envelope error); "
            "the message timeline and console say so. A transaction rejected itself is never stored"
        ),
    )


class _MailboxBase(_Part):
    name: Name
    interval: float | None = Field(
        default=None, gt=0, description="seconds between polls (default: scheduler.poll_interval_seconds)"
    )
    enabled: bool = True


class LocalMailbox(_MailboxBase):
    """Folders on this machine: files arrive in ``inbox``, go to ``processed``; we put in ``outbox``."""

    type: Literal["local"] = "local"
    inbox: Path
    outbox: Path
    processed: Path
    stable_seconds: float = Field(
        default=2, ge=0, description="where Linux cannot tell a file is being written: unchanged this long"
    )


class SftpMailbox(_MailboxBase):
    """An SFTP account at the partner (or ours). Host keys are pinned in ``known_hosts``, never auto-added."""

    type: Literal["sftp"]
    host: str = Field(min_length=1)
    port: int = Field(default=22, ge=1, le=65535)
    username: str = Field(min_length=1)
    password_env: str | None = None
    password_file: Path | None = None
    key_file: Path | None = None
    key_passphrase_env: str | None = None
    key_passphrase_file: Path | None = None
    known_hosts: Path
    inbox: str = "/outbound"
    outbox: str = "/inbound"
    processed: str | None = None
    stable_seconds: float = Field(default=2, ge=0)
    timeout_seconds: float = Field(default=30, gt=0)
    keepalive_seconds: float = Field(default=30, ge=0, description="SSH keepalive interval; 0 turns it off")
    assume_complete: bool = Field(
        default=False, description="the partner renames files into place: take them without the size check"
    )
    upload_name: str = Field(
        default="{name}", description="name of what we upload: fields {name} {stem} {suffix} {timestamp}"
    )
    upload_temp_name: str = Field(default=".{name}.part", description="name while uploading: field {name}")

    @field_validator("upload_name", "upload_temp_name")
    @classmethod
    def _name_rule(cls, value: str) -> str:
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        except ValueError as exc:
            raise ValueError(f"not a valid pattern: {exc}") from None
        unknown = fields - {"name", "stem", "suffix", "timestamp"}
        if unknown:
            raise ValueError(f"unknown field(s) {sorted(unknown)}; use name, stem, suffix, timestamp")
        if "/" in value:
            raise ValueError("a name rule cannot contain '/'")
        return value

    @model_validator(mode="after")
    def _one_credential(self) -> Self:
        if not (self.password_env or self.password_file or self.key_file):
            raise ValueError("give key_file, password_env or password_file")
        if self.password_env and self.password_file:
            raise ValueError("give password_env or password_file, not both")
        return self

    def password(self, env: Mapping[str, str] | None = None) -> SecretStr | None:
        """The SFTP password, read from its reference. Raises :class:`LookupError` when missing."""
        return read_secret(self.password_env, self.password_file, env)

    def key_passphrase(self, env: Mapping[str, str] | None = None) -> SecretStr | None:
        return read_secret(self.key_passphrase_env, self.key_passphrase_file, env)


class As2Mailbox(_MailboxBase):
    """AS2: our and the partner's AS2 ids, the partner's URL, certificates and keys (paths), options."""

    type: Literal["as2"]
    as2_id: str = Field(min_length=1, max_length=128)
    partner_as2_id: str = Field(min_length=1, max_length=128)
    url: str = Field(pattern=r"^https?://")
    our_certificate: Path | None = Field(
        default=None, description="PEM; may be left out when our_private_key is a PKCS#12 (.p12/.pfx) file"
    )
    our_private_key: Path
    private_key_password_env: str | None = None
    private_key_password_file: Path | None = None
    partner_certificate: Path
    partner_encryption_certificate: Path | None = None
    sign: bool = True
    sign_algorithm: Literal["sha256", "sha384", "sha512"] = "sha256"
    encrypt: bool = True
    encrypt_algorithm: Literal["aes_128_cbc", "aes_192_cbc", "aes_256_cbc"] = "aes_128_cbc"
    key_encryption: Literal["rsaes_pkcs1v15", "rsaes_oaep"] = "rsaes_pkcs1v15"
    compress: bool = False
    require_signed: bool = True
    require_encrypted: bool = True
    mdn_mode: Literal["sync", "async", "none"] = "sync"
    mdn_signed: bool = True
    async_mdn_url: str | None = None
    mdn_timeout_seconds: float = Field(default=300, gt=0)
    content_type: str = "application/octet-stream"
    timeout_seconds: float = Field(default=60, gt=0, description="connect/send timeout of the HTTP POST")
    subject: str = "AS2 message"
    certificate_warning_days: int = Field(default=30, ge=0, description="warn this many days before expiry")

    @model_validator(mode="after")
    def _async_url(self) -> Self:
        if self.mdn_mode == "async" and not self.async_mdn_url:
            raise ValueError("mdn_mode async needs async_mdn_url")
        if self.our_certificate is None and self.our_private_key.suffix.lower() not in (".p12", ".pfx"):
            raise ValueError("give our_certificate, or a PKCS#12 (.p12/.pfx) our_private_key that holds it")
        return self

    def private_key_password(self, env: Mapping[str, str] | None = None) -> SecretStr | None:
        return read_secret(self.private_key_password_env, self.private_key_password_file, env)


Mailbox = Annotated[LocalMailbox | SftpMailbox | As2Mailbox, Field(discriminator="type")]


class InvoiceTerms(_Part):
    type_code: str | None = None
    description: str | None = None
    net_days: int | None = Field(default=None, ge=0)
    discount_percent: float | None = Field(default=None, ge=0)
    discount_days: int | None = Field(default=None, ge=0)


class InvoiceTax(_Part):
    type: str = "VA"
    rate_percent: float = Field(default=0, ge=0)
    category: str | None = None
    exempt: bool = False


_NUMBER_FIELDS = {"year", "month", "day", "seq", "partner"}


class InvoiceSettings(_Part):
    """How invoices to this partner are made: parties, terms, tax, numbering, automatic or manual."""

    vendor_code: str = Field(min_length=1)
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    remit_to: ProfileParty
    bill_to: ProfileParty
    terms: InvoiceTerms | None = None
    tax: InvoiceTax | None = None
    numbering: str = "{partner}-{year}-{seq:06d}"
    mode: Literal["automatic", "manual"] = "manual"
    format: Literal["x12", "edifact", "xml"] | None = None

    @field_validator("numbering")
    @classmethod
    def _pattern(cls, value: str) -> str:
        try:
            fields = {f for _, f, _, _ in string.Formatter().parse(value) if f is not None}
        except ValueError as exc:
            raise ValueError(f"not a valid pattern: {exc}") from None
        if "seq" not in fields:
            raise ValueError("the pattern needs {seq} (e.g. ACME-{year}-{seq:06d})")
        unknown = fields - _NUMBER_FIELDS
        if unknown:
            raise ValueError(f"unknown field(s) {sorted(unknown)}; use {sorted(_NUMBER_FIELDS)}")
        return value

    def invoice_number(self, seq: int, year: int, month: int = 1, day: int = 1, partner: str = "") -> str:
        """Format the invoice number for counter value ``seq``."""
        return self.numbering.format(seq=seq, year=year, month=month, day=day, partner=partner)


class PartnerProfile(_Part):
    """One trading partner, as read from ``partners/<name>.yaml``."""

    name: Name
    description: str | None = None
    standard: Literal["x12", "edifact"]
    version: str = Field(min_length=1)
    identities: Identities
    our_identity: Identities
    delimiters: Delimiters | None = None
    test_indicator: bool = False
    acks: AckPolicy = AckPolicy()
    mailboxes: list[Mailbox] = []
    mappings: list[str] = []
    #: the currency of a document that states none (an ORDERS without CUX), for mapping rules
    #: with ``fallback: partner``; the translation notes each time it is taken
    default_currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")
    #: canonical document types this partner may send as canonical XML through its mailboxes
    #: (an ERP or warehouse that does not speak EDI); none by default
    accept_xml: list[
        Literal["purchase_order", "shipment", "invoice", "return_authorization", "availability"]
    ] = []
    #: canonical document types this partner may send as CSV through its mailboxes (a ``*.csv``
    #: file): ``availability`` (the ERP's or warehouse's availability feed); none by default
    accept_csv: list[Literal["availability"]] = []
    invoice: InvoiceSettings | None = None
    #: the marketplaces this Amazon account invoices (see gateway.config.marketplaces); none: the
    #: ``invoice:`` settings alone (one currency, bill-to and tax rate)
    marketplaces: list[Marketplace] = []
    rules: PartnerRules = PartnerRules()
    settlement: SettlementSettings = SettlementSettings()

    @field_validator("version")
    @classmethod
    def _version(cls, value: str) -> str:
        if not re.fullmatch(r"\d{6}|D\d{2}[AB]", value):
            raise ValueError("X12 versions look like 004010, EDIFACT versions like D96A")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        x12 = self.standard == "x12"
        if x12 != self.version.isdigit():
            raise ValueError(f"version {self.version} does not belong to standard {self.standard}")
        side = "x12" if x12 else "edifact"
        if getattr(self.identities, side) is None:
            raise ValueError(f"identities.{side} is needed for a {self.standard} partner")
        if getattr(self.our_identity, side) is None:
            raise ValueError(f"our_identity.{side} is needed for a {self.standard} partner")
        names = [m.name for m in self.mailboxes]
        if len(set(names)) != len(names):
            raise ValueError("mailbox names must be unique within a partner")
        codes = [m.code for m in self.marketplaces]
        if len(set(codes)) != len(codes):
            raise ValueError("marketplace codes must be unique within a partner")
        centres = [fc.upper() for m in self.marketplaces for fc in m.fulfilment_centres]
        twice = sorted({fc for fc in centres if centres.count(fc) > 1})
        if twice:
            raise ValueError(f"FC code(s) {', '.join(twice)} belong to more than one marketplace")
        return self

    def marketplace(self, fc: str | None) -> Marketplace | None:
        """The marketplace ship-to FC ``fc`` belongs to (``None``: no marketplaces or an unknown FC)."""
        return marketplace_for(self.marketplaces, fc)

    @property
    def translation_defaults(self) -> dict[str, str]:
        """The values of ``fallback: partner`` mapping rules, by canonical field (``currency``)."""
        return {"currency": self.default_currency} if self.default_currency else {}

    @property
    def outbound_delimiters(self) -> Delimiters:
        """The delimiters of what we send: the profile's, else the standard's usual ones."""
        if self.delimiters is not None:
            return self.delimiters
        return Delimiters() if self.standard == "x12" else EDIFACT_DELIMITERS

    def mailbox(self, name: str) -> LocalMailbox | SftpMailbox | As2Mailbox:
        """The mailbox called ``name``. Raises :class:`KeyError`."""
        for box in self.mailboxes:
            if box.name == name:
                return box
        raise KeyError(f"partner {self.name} has no mailbox {name!r}")
