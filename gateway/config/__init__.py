"""Configuration: the gateway's settings (``config.yaml``) and the partner profiles (``partners/*.yaml``).

Both are validated with pydantic when they are read; a bad file raises
:class:`ConfigError` whose problems read ``FILE:LINE: key: problem``.
"""

from gateway.config.directory import PartnerDirectory, load_partners
from gateway.config.errors import ConfigError, ConfigProblem
from gateway.config.partners import (
    AckPolicy,
    As2Mailbox,
    Delimiters,
    EdifactIdentity,
    Identities,
    InvoiceSettings,
    LocalMailbox,
    Mailbox,
    PartnerProfile,
    ProfileParty,
    SftpMailbox,
    X12Identity,
    read_secret,
)
from gateway.config.settings import Settings, env_overrides, load_settings

__all__ = [
    "AckPolicy",
    "As2Mailbox",
    "ConfigError",
    "ConfigProblem",
    "Delimiters",
    "EdifactIdentity",
    "Identities",
    "InvoiceSettings",
    "LocalMailbox",
    "Mailbox",
    "PartnerDirectory",
    "PartnerProfile",
    "ProfileParty",
    "Settings",
    "SftpMailbox",
    "X12Identity",
    "env_overrides",
    "load_partners",
    "load_settings",
    "read_secret",
]
