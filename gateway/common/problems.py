"""Problem reports: one thing wrong in a hand-edited file, named by file, line and key.

Configuration (``config.yaml``, partner profiles) and mapping files are edited by people, so
every defect must say *where*: ``FILE:LINE: key: problem``. :class:`Problem` is one such line;
:class:`ProblemError` carries every problem found (not only the first), and its ``str()`` is
exactly those lines, ready for the command line. ``ConfigError`` and ``MappingError`` are its
two families: they differ in who owns the fix, not in shape.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Self


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a source: a file (or ``environment`` for ACORN_... variables)."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"


class ProblemError(Exception):
    """A hand-edited source is invalid; ``problems`` lists each defect with file and line."""

    #: what ``str()`` says when no problem was listed
    summary = "invalid file"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or self.summary)

    @classmethod
    def one(cls, file: str, line: int | None, key: str, message: str) -> Self:
        return cls([Problem(file, line, key, message)])
