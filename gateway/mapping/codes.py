"""Code lists: an EDI code on one side, a canonical value on the other.

A list is a YAML mapping ``{NE: new, CN: consigned, "*": other}``. Inbound reads code ->
value; outbound writes value -> code (the first code listing that value). A code may list
several values, ``BT: [bill_to, invoicee]``: inbound reads the first, outbound writes that
code for any of them. Outbound, a value that matches no code exactly is tried again without
regard to case (``VAT`` finds the code of ``vat``).

The key ``"*"`` gives the value of any code not listed (inbound only); ``"*": ~`` (null)
means "no value" for an unknown code. Without ``"*"`` an unknown code is an error naming
the list. Lists live in a mapping file's ``codes:`` or in a shared file under
``mappings/codes/`` (``codes:`` again), visible to every mapping.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

OTHERWISE = "*"


@dataclass(slots=True)
class CodeList:
    name: str
    values: dict[str, Any]
    otherwise: Any = None
    has_otherwise: bool = False
    codes: dict[str, str] = field(default_factory=dict)
    folded: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(cls, name: str, table: dict[str, Any]) -> CodeList:
        values: dict[str, Any] = {}
        codes: dict[str, str] = {}
        for key, value in table.items():
            if key == OTHERWISE:
                continue
            code = str(key)
            listed = list(value) if isinstance(value, list) else [value]
            values[code] = listed[0] if listed else None
            for one in listed:
                codes.setdefault(_key(one), code)
        folded: dict[str, str] = {}
        for key, code in codes.items():
            folded.setdefault(key.casefold(), code)
        otherwise = table.get(OTHERWISE)
        if isinstance(otherwise, list):
            otherwise = otherwise[0] if otherwise else None
        return cls(name, values, otherwise, OTHERWISE in table, codes, folded)

    def knows(self, code: str) -> bool:
        """True when ``code`` is listed (``"*"`` does not count)."""
        return code in self.values

    def read(self, code: str) -> Any:
        """The canonical value of ``code``. Raises ``ValueError`` for a code not in the list."""
        if code in self.values:
            return self.values[code]
        if self.has_otherwise:
            return self.otherwise
        known = ", ".join(self.values)
        raise ValueError(f"code {code!r} is not in code list {self.name} ({known})")

    def write(self, value: Any) -> str:
        """The code for a canonical value. Raises ``ValueError`` when no code has that value."""
        key = _key(value)
        code = self.codes.get(key)
        if code is None:
            code = self.folded.get(key.casefold())
        if code is None:
            raise ValueError(f"no code in code list {self.name} for value {key!r}")
        return code


def _key(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
