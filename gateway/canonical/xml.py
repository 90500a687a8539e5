"""The XML form of the canonical documents, for ERPs and warehouses that do not speak EDI.

Strategy. The XML is a direct picture of the JSON contract: the root element is the
document's ``type`` (``<invoice xmlns="urn:acorn:canonical:1">``), each field is an element
of the same name, an absent value is an absent element, and a list is a container holding one
element per entry (``<lines><line>...</line></lines>``; see :data:`LIST_ITEMS`). Writing
walks the pydantic model; reading walks the XML and builds the nested dict the model
validates, guided by the model's field types (a field holding a model recurses, a list field
reads its container, anything else is text that pydantic converts). The schema
``schemas/canonical.xsd`` is checked on the way out (a bug if it fails) and on the way in,
before the model sees anything, so an ERP gets the schema's own words with a line number.

Reading is safe: no network, no DTD, no entity expansion; a document with a DOCTYPE is
refused outright. Every problem is reported as :class:`CanonicalXmlError`, a ``ValueError``
carrying :class:`XmlProblem` rows (line, element, message).
"""

from __future__ import annotations

import logging
import re
import types
import typing
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from lxml import etree  # type: ignore[import-untyped]  # no stubs installed
from pydantic import BaseModel, ValidationError

from gateway.canonical import DOCUMENT_TYPES, CanonicalDocument
from gateway.canonical.types import decimal_text

log = logging.getLogger(__name__)

#: The namespace of every element of the XML form.
NAMESPACE = "urn:acorn:canonical:1"
#: Container element -> the name of each entry in it.
LIST_ITEMS: dict[str, str] = {
    "parties": "party",
    "lines": "line",
    "orders": "order",
    "packages": "package",
    "contents": "content",
    "taxes": "tax",
    "allowances_charges": "allowance_charge",
    "adjustments": "adjustment",
}
_NS = f"{{{NAMESPACE}}}"
_ELEMENT_IN_MESSAGE = re.compile(r"Element '(?:\{[^}]*\})?([^']+)'")


@dataclass(frozen=True)
class XmlProblem:
    """One thing wrong with an XML document: where (line, element) and what."""

    line: int | None
    element: str
    message: str

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line is not None else "(no line)"
        return f"{where}, element {self.element or '?'}: {self.message}"


class CanonicalXmlError(ValueError):
    """An XML document that is not well-formed, breaks the schema or does not validate."""

    def __init__(self, summary: str, problems: list[XmlProblem]) -> None:
        self.summary = summary
        self.problems = problems
        super().__init__(summary + "".join(f"\n  {p}" for p in problems))


@cache
def schema() -> etree.XMLSchema:
    """The compiled XSD of the XML form (``gateway/canonical/schemas/canonical.xsd``)."""
    data = resources.files("gateway.canonical.schemas").joinpath("canonical.xsd").read_bytes()
    return etree.XMLSchema(etree.fromstring(data, _safe_parser()))


def schema_text() -> str:
    """The XSD itself, to hand to a partner."""
    return resources.files("gateway.canonical.schemas").joinpath("canonical.xsd").read_text(encoding="utf-8")


def _safe_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False
    )


# Writing


def to_xml(doc: CanonicalDocument) -> bytes:
    """``doc`` as UTF-8 XML, checked against the schema.

    Raises :class:`CanonicalXmlError` if the result breaks the schema (a text with characters
    XML cannot hold, or a model and schema out of step).
    """
    root = etree.Element(_NS + doc.type_key, nsmap={None: NAMESPACE})
    try:
        _fill(root, doc)
    except ValueError as exc:  # lxml refuses control characters and NUL in text
        raise CanonicalXmlError(
            f"{doc.type_key} cannot be written as XML", [XmlProblem(None, "", str(exc))]
        ) from exc
    _check(schema(), root, f"{doc.type_key} breaks the canonical XML schema on the way out")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _fill(parent: etree._Element, model: BaseModel) -> None:
    for name in type(model).model_fields:
        if name == "type" and isinstance(model, CanonicalDocument):
            continue
        value = getattr(model, name)
        if value is None or (isinstance(value, list) and not value):
            continue
        element = etree.SubElement(parent, _NS + name)
        if isinstance(value, list):
            for entry in value:
                _fill(etree.SubElement(element, _NS + LIST_ITEMS[name]), entry)
        elif isinstance(value, BaseModel):
            _fill(element, value)
        else:
            element.text = _text(value)


def _text(value: object) -> str:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


# Reading


def from_xml(data: bytes) -> CanonicalDocument:
    """The canonical document of an XML form.

    Raises :class:`CanonicalXmlError` when ``data`` is not well-formed XML, has a DOCTYPE,
    breaks the schema or does not validate as a canonical document; each problem names its
    line and element.
    """
    parser = _safe_parser()
    try:
        tree = etree.fromstring(data, parser).getroottree()
    except etree.XMLSyntaxError as exc:
        problems = [XmlProblem(e.line, "", e.message) for e in parser.error_log] or [
            XmlProblem(exc.lineno, "", str(exc))
        ]
        raise CanonicalXmlError("not well-formed XML", problems) from exc
    if tree.docinfo.doctype:
        raise CanonicalXmlError(
            "refused", [XmlProblem(1, "", "a DOCTYPE is not allowed in a canonical document")]
        )
    root = tree.getroot()
    _check(schema(), root, "the XML breaks the canonical schema")
    kind = etree.QName(root).localname
    cls = DOCUMENT_TYPES[kind]  # the schema admits only the document roots
    lines: dict[tuple[str | int, ...], int] = {(): root.sourceline or 1}
    payload = _read(root, cls, (), lines)
    try:
        return cls.model_validate(payload)
    except ValidationError as exc:
        raise CanonicalXmlError(f"the XML is not a valid {kind}", _validation_problems(exc, lines)) from exc


def _read(element: etree._Element, model: type[BaseModel], loc: tuple, lines: dict) -> dict[str, Any]:
    result: dict[str, Any] = {}
    shapes = _shapes(model)
    for child in element.iterchildren(tag=etree.Element):
        name = etree.QName(child).localname
        here = (*loc, name)
        lines[here] = child.sourceline
        is_list, sub = shapes.get(name, (False, None))
        if is_list and sub is not None:
            entries = []
            for i, entry in enumerate(child.iterchildren(tag=etree.Element)):
                lines[(*here, i)] = entry.sourceline
                entries.append(_read(entry, sub, (*here, i), lines))
            result[name] = entries
        elif sub is not None:
            result[name] = _read(child, sub, here, lines)
        else:
            result[name] = (child.text or "").strip()
    return result


@cache
def _shapes(model: type[BaseModel]) -> dict[str, tuple[bool, type[BaseModel] | None]]:
    """The :func:`_shape` of each field of ``model``."""
    return {name: _shape(field.annotation) for name, field in model.model_fields.items()}


def _shape(annotation: Any) -> tuple[bool, type[BaseModel] | None]:
    """(is a list, the model inside) for a field annotation; (False, None) for a scalar."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _shape(typing.get_args(annotation)[0])
    if origin is list:
        return True, _shape(typing.get_args(annotation)[0])[1]
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            is_list, sub = _shape(arg)
            if sub is not None:
                return is_list, sub
        return False, None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return False, annotation
    return False, None


# Errors


def _check(xsd: etree.XMLSchema, root: etree._Element, summary: str) -> None:
    if xsd.validate(root):
        return
    problems = []
    for entry in xsd.error_log:
        found = _ELEMENT_IN_MESSAGE.search(entry.message)
        element = found.group(1) if found else ""
        message = entry.message.replace(f"{{{NAMESPACE}}}", "")
        problems.append(XmlProblem(entry.line if entry.line > 0 else None, element, message))
    log.debug("%s: %s", summary, problems)
    raise CanonicalXmlError(summary, problems)


def _validation_problems(exc: ValidationError, lines: dict[tuple, int]) -> list[XmlProblem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        known = loc
        while known not in lines:
            known = known[:-1]
        element = "/".join(str(part) for part in loc) if loc else "(document)"
        problems.append(XmlProblem(lines[known], element, err["msg"]))
    return problems
