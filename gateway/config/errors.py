"""Errors of the configuration layer: every problem names the file, the line and the key.

``config.yaml`` and ``partners/*.yaml`` are edited by hand, so a bad file must stop
start-up with ``FILE:LINE: key: problem`` lines, never with a traceback.
:class:`ConfigError` carries every :class:`ConfigProblem` found (not only the first), and
its ``str()`` is exactly those lines, ready for the command line.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ConfigProblem:
    """One thing wrong in a configuration source (a file, or ``environment`` for ACORN_... variables)."""

    file: str
    line: int | None
    key: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}"


class ConfigError(Exception):
    """The configuration or a partner profile is invalid; ``problems`` lists each defect."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems) or "invalid configuration")

    @classmethod
    def one(cls, file: str, line: int | None, key: str, message: str) -> ConfigError:
        return cls([ConfigProblem(file, line, key, message)])
