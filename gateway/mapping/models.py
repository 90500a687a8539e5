"""What the mapping checker needs to know about canonical (pydantic) models.

For a field of a model: does it exist, is it required, and is it a scalar, a nested
model or a list of models. ``Optional[X]`` and ``X | None`` unwrap to ``X``. And does a value
a mapping file writes for it (a ``const:`` or a ``default:``) fit it: :func:`value_problem`.
"""

from __future__ import annotations

import types
import typing
from dataclasses import dataclass
from typing import Any, TypeGuard

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.fields import FieldInfo


@dataclass(frozen=True, slots=True)
class FieldShape:
    name: str
    required: bool
    kind: str  # "scalar" | "model" | "list_model" | "list_scalar"
    model: type[BaseModel] | None = None
    info: FieldInfo | None = None  # the model's field, to check a written value against


def _unwrap_optional(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) == 1:
            return _unwrap_optional(args[0])
    if origin is typing.Annotated:
        return _unwrap_optional(typing.get_args(annotation)[0])
    return annotation


def _is_model(tp: Any) -> TypeGuard[type[BaseModel]]:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def field_shape(model: type[BaseModel], name: str) -> FieldShape | None:
    """The shape of ``model.name``, or ``None`` when the model has no such field."""
    info = model.model_fields.get(name)
    if info is None:
        alias = next((n for n, f in model.model_fields.items() if f.alias == name), None)
        if alias is None:
            return None
        info = model.model_fields[alias]
    tp = _unwrap_optional(info.annotation)
    origin = typing.get_origin(tp)
    if origin in (list, tuple, set, frozenset, typing.Sequence):
        args = typing.get_args(tp)
        inner = _unwrap_optional(args[0]) if args else Any
        if _is_model(inner):
            return FieldShape(name, info.is_required(), "list_model", inner)
        return FieldShape(name, info.is_required(), "list_scalar", info=info)
    if _is_model(tp):
        return FieldShape(name, info.is_required(), "model", tp)
    return FieldShape(name, info.is_required(), "scalar", info=info)


def value_problem(shape: FieldShape, value: Any) -> str | None:
    """Why ``value`` cannot be the value of the field ``shape`` describes, or ``None`` when it fits.

    A ``const:`` or ``default:`` is placed in the document as written, so a ``default: abc``
    on a decimal quantity is found when the mapping loads rather than on the first message.
    """
    if shape.info is None:
        return None
    annotation: Any = shape.info.annotation
    if shape.info.metadata:
        annotation = typing.Annotated[(annotation, *shape.info.metadata)]
    try:
        TypeAdapter(annotation).validate_python(value)
    except ValidationError as exc:
        return exc.errors()[0]["msg"].removeprefix("Value error, ")
    return None


def required_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, info in model.model_fields.items() if info.is_required()]
