"""The mapping-file language: load and check mappings, translate EDI to canonical and back.

- :func:`load_mapping` loads one mapping (with partner overlays) into a :class:`Mapping`;
  ``mapping.translate(transaction)`` gives a canonical document, ``mapping.render(doc)``
  the body segments of an outbound transaction.
- :class:`MappingRegistry` picks the mapping for a transaction (standard, version,
  document type, direction, partner overlays) from the ``mappings/`` folder.
- :class:`MappingError` (a bad mapping file: file, line, key) and
  :class:`TranslationError` (a message that does not fit: segment, element, field).
- :func:`gateway.mapping.translate.iter_translated` reads a file as a stream and yields
  each transaction's document or problem (``translate_payload`` collects them);
  :func:`gateway.mapping.emit.write_documents` renders documents through
  an outbound mapping into the bytes of one interchange (not imported here: it pulls in
  the writers).

The language itself is documented for EDI coordinators in ``mappings/README.md``.
"""

from gateway.mapping.errors import MappingError, MappingProblem, TranslationError
from gateway.mapping.fallbacks import Translation, TranslationNote
from gateway.mapping.loader import Mapping, default_root, load_mapping
from gateway.mapping.registry import MappingRegistry

__all__ = [
    "Mapping",
    "MappingError",
    "MappingProblem",
    "MappingRegistry",
    "Translation",
    "TranslationError",
    "TranslationNote",
    "default_root",
    "load_mapping",
]
