"""Shared helpers of the two compilers: collect problems with file and line.

A compiler never stops at the first problem: it records a :class:`MappingProblem` for
each and goes on, so ``acorn mappings check`` shows everything wrong in one run.

Every path and outbound element key is also checked against the segment dictionary
(:mod:`gateway.edi.dictionary`): a segment the standard does not have, an element past
the segment's last one, or a component the element does not have is a problem here, not
a value that is silently never found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gateway.common.yamlfile import MarkedDict, file_of, line_of
from gateway.edi.dictionary import address_problem
from gateway.mapping.codes import CodeList
from gateway.mapping.errors import MappingProblem
from gateway.mapping.functions import Call, compile_call
from gateway.mapping.paths import Path, PathSyntaxError, compile_path

M = TypeVar("M", bound=BaseModel)


@dataclass
class Checker:
    """Problems found so far, plus what every rule may refer to (standard, code lists)."""

    standard: str
    codes: dict[str, CodeList] = field(default_factory=dict)
    problems: list[MappingProblem] = field(default_factory=list)
    default_file: str = ""

    def add(self, node: Any, key: str, message: str, loc: Sequence[Any] = ()) -> None:
        file = (file_of(node, loc) if loc else getattr(node, "file", "")) or self.default_file
        line = line_of(node, loc) if loc else getattr(node, "line", None)
        self.problems.append(MappingProblem(file, line, key, message))

    def add_at(self, parent: Any, child_key: str, key: str, message: str) -> None:
        """A problem at ``parent[child_key]`` (its line), reported under ``key``."""
        self.add(parent, key, message, (child_key,))

    def validate(self, model: type[M], node: Any, key: str) -> M | None:
        """``model.model_validate(node)``, each pydantic error becoming a problem at its line."""
        try:
            return model.model_validate(node)
        except ValidationError as exc:
            for err in exc.errors():
                loc = tuple(err["loc"])
                where = ".".join(str(p) for p in (key, *loc) if p != "")
                msg = err["msg"]
                if err["type"] == "extra_forbidden":
                    msg = f"unknown key {loc[-1]!r}"
                elif err["type"] == "missing":
                    msg = f"missing key {loc[-1]!r}"
                self.add(node, where.strip("."), msg, loc)
            return None

    def path(self, text: Any, node: Any, key: str, loc: Sequence[Any], *, value: bool) -> Path | None:
        try:
            path = compile_path(text, self.standard)
        except PathSyntaxError as exc:
            self.add(node, key, str(exc), loc)
            return None
        if value and not path.selects_value:
            self.add(node, key, f"{text!r} names a segment, not an element: add an element number", loc)
            return None
        if not value and path.element is not None:
            self.add(node, key, f"{text!r} must name a segment (with filters), not an element", loc)
            return None
        problem = self.impossible(path)
        if problem is not None:
            self.add(node, key, f"{text!r}: {problem}", loc)
            return None
        return path

    def impossible(self, path: Path) -> str | None:
        """Why ``path`` cannot point into any segment of this standard (its tag, its element
        and component, or those of one of its filters); ``None`` when it can."""
        for element, component in (
            (path.element, path.component),
            *((cond.element, cond.component) for cond in path.conditions),
        ):
            problem = address_problem(self.standard, path.tag, element, component)
            if problem is not None:
                return problem
        return None

    def exists(
        self,
        node: Any,
        key: str,
        loc: Sequence[Any],
        tag: str,
        element: int | None = None,
        component: int | None = None,
    ) -> bool:
        """False (and a problem at ``loc``) when ``TAG``, ``TAGnn`` or ``TAGnn-c`` cannot exist in
        this standard."""
        problem = address_problem(self.standard, tag, element, component)
        if problem is not None:
            self.add(node, key, problem, loc)
        return problem is None

    def calls(self, convert: Any, node: Any, key: str, loc: Sequence[Any]) -> tuple[Call, ...]:
        if convert is None:
            return ()
        items = convert if isinstance(convert, list) else [convert]
        result = []
        for i, text in enumerate(items):
            try:
                result.append(compile_call(text, self.standard))
            except ValueError as exc:
                self.add(node, key, str(exc), (*loc, i) if isinstance(convert, list) else loc)
        return tuple(result)

    def code_list(self, name: str | None, node: Any, key: str, loc: Sequence[Any]) -> CodeList | None:
        if name is None:
            return None
        if name not in self.codes:
            known = ", ".join(sorted(self.codes)) or "none defined"
            self.add(node, key, f"unknown code list {name!r} (known: {known})", loc)
            return None
        return self.codes[name]


def is_marked(node: Any) -> bool:
    return isinstance(node, MarkedDict)
