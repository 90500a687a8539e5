"""Loop items that hold more than the mapping reads: a misfit, never a silent drop.

An item of a list (``each: LIN``, ``level: I``) fills each of its values from the first
segment that carries it. A second segment of a kind the item reads unconditionally (a
second LIN and SN1 in one HL item loop, a second PO4 in one PO1 loop) would simply be
lost: an invoice then bills 10 units where 13 were shipped. :func:`once_tags` finds, when
a mapping loads, the tags each list item reads this way (a bare element address such as
``LIN01`` or ``SN102``, not a filtered one such as ``REF[01=VR]02`` or ``PIA[id=BP]``,
which choose among several segments on purpose, nor the loop's own start tag); the engine
then refuses an item holding two of them, naming the second one.
"""

from __future__ import annotations

from gateway.mapping.specs import GroupSpec, ValueSpec


def once_tags(spec: GroupSpec) -> frozenset[str]:
    """The tags an item of the list ``spec`` reads from one segment only (see the module doc)."""
    tags: set[str] = set()
    _collect(spec.fields, tags)
    if spec.selector is not None:
        tags.discard(spec.selector.tag)
    return frozenset(tags)


def _collect(fields: list[ValueSpec | GroupSpec], tags: set[str]) -> None:
    for spec in fields:
        if isinstance(spec, GroupSpec):
            if spec.shares_scope:  # item.asin: read from the same segments as its item
                _collect(spec.fields, tags)
            continue
        if not spec.scans:
            continue
        for path in spec.paths:
            if not path.conditions and path.id_codes is None:
                tags.add(path.tag)
