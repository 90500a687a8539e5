"""Bare pydantic twins of the canonical models: the least pydantic validation of the same shape.

:func:`bare_twin` builds, from a canonical model, a pydantic model with the same fields,
nesting and defaults but none of the checks: every ``Annotated`` constraint, string rule,
``Literal``, union mode and model validator dropped, default model configuration. Validating
the engine's dict with the twin costs what pydantic itself costs for a document of that shape,
so ``bench/translate.py`` can show the floor of any translation whose output is a pydantic
model: the hand-written translator plus this validation.
"""

from __future__ import annotations

import types
from functools import cache
from typing import Annotated, Any, Literal, Optional, Union, get_args, get_origin

from pydantic import BaseModel, create_model


def bare_annotation(annotation: Any) -> Any:
    """``annotation`` with its constraints gone and its models replaced by their twins."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return bare_annotation(get_args(annotation)[0])
    if origin is Literal:
        return str
    if origin in (Union, types.UnionType):
        members = list(dict.fromkeys(bare_annotation(arg) for arg in get_args(annotation)))
        if type(None) in members and len(members) == 2:
            return Optional[next(m for m in members if m is not type(None))]  # noqa: UP045
        return Union[tuple(members)]  # noqa: UP007
    if origin is list:
        return list[bare_annotation(get_args(annotation)[0])]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return bare_twin(annotation)
    return annotation


@cache
def bare_twin(model: type[BaseModel]) -> type[BaseModel]:
    """A pydantic model with ``model``'s fields, nesting and defaults, and no checks at all."""
    fields: dict[str, Any] = {}
    for name, info in model.model_fields.items():
        default = ... if info.is_required() else info.get_default(call_default_factory=True)
        fields[name] = (bare_annotation(info.annotation), default)
    return create_model(f"Bare{model.__name__}", **fields)
