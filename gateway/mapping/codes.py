"""Code lists: an EDI code on one side, a canonical value on the other.

A list is a YAML mapping ``{NE: new, CN: consigned, "*": other}``. Inbound reads code ->
value; outbound writes value -> code (the first code listing that value). The key
``"*"`` gives the value of any code not listed (inbound only); without it an unknown code
is an error naming the list. Lists live in a mapping file's ``codes:`` or in a shared
file under ``mappings/codes/`` (``codes:`` again), visible to every mapping.
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

    @classmethod
    def build(cls, name: str, table: dict[str, Any]) -> CodeList:
        values = {str(k): v for k, v in table.items() if k != OTHERWISE}
        codes: dict[str, str] = {}
        for code, value in values.items():
            codes.setdefault(_key(value), code)
        return cls(name, values, table.get(OTHERWISE), OTHERWISE in table, codes)

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
        if key in self.codes:
            return self.codes[key]
        raise ValueError(f"no code in code list {self.name} for value {key!r}")


def _key(value: Any) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
