"""Every corpus sample of a handled document type translates, or fails naming a real defect.

Skips when ../shared/corpus is absent (see tests/conftest.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.mapping import MappingRegistry, default_root
from gateway.mapping.translate import translate_payload

# file -> (documents translated, fragments the errors must contain, in order)
EXPECTED = {
    # the two 810s (IT1 without IT101, UA case codes); the 850 is 003010 (YYMMDD dates): unmapped
    "05_x12_810_850_dual_versions.edi": (2, ["850 003010", "no inbound mapping"]),
    "12_x12_850_4010_newline_term.edi": (1, []),
    "14_x12_856_4060_SOPI.edi": (1, []),  # 004060, served by the 004010-004060 file
    # D97B INVOIC: DTM+3 invoice date, CUX+1, PRI+INV, MOA+39, the item in LIN03 as IN
    "31_edifact_INVOIC_D97B_UNA_custom.edi": (1, []),
    "32_edifact_INVOIC_D97B_wrapped80.edi": (1, []),
    # the DEFECT file: its broken envelopes are reported and nothing of them translated
    "33_edifact_INVOIC_IFTMIN_decimal_comma.edi": (0, ["EDIFACT_UNT_COUNT_MISMATCH"]),
}


@pytest.fixture(scope="module")
def registry() -> MappingRegistry:
    return MappingRegistry(default_root())


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_sample_translates_or_names_its_defect(corpus_dir: Path, registry, name: str) -> None:
    documents, fragments = EXPECTED[name]
    result = translate_payload(corpus_dir / name, registry)
    assert len(result.documents) == documents, result.errors
    text = "\n".join(result.errors)
    for fragment in fragments:
        assert fragment in text
    if not fragments:
        assert result.errors == []
