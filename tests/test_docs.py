"""The documentation holds together: links resolve, module paths exist, the README stays short.

README.md is the newcomer's guide and docs/*.md the reference; a renamed heading, a moved file or
a module that left its old place would otherwise leave a dead link or a stale path behind.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = sorted((ROOT / "docs").glob("*.md"))
PAGES = [README, *DOCS, ROOT / "mappings" / "README.md"]

# Modules the README's tour names as the target of issue 14 before they exist.
PLANNED: set[str] = set()
PACKAGES = "common|edi|canonical|mapping|config|store|transports|orders|outbound|reconcile|invoicing|service|console|cli"

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
CODE_SPAN = re.compile(r"`[^`\n]*`")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)
PATH_SPAN = re.compile(rf"`(gateway/[\w/.*]+|(?:{PACKAGES})/[\w/.*]*)`")


def _prose(text: str) -> str:
    """The text without fenced blocks and code spans, where a bracket is not a link."""
    return CODE_SPAN.sub("", FENCE.sub("", text))


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").strip().lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for heading in HEADING.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        slug = _slug(heading)
        count = seen.get(slug, 0)
        anchors.add(slug if count == 0 else f"{slug}-{count}")
        seen[slug] = count + 1
    return anchors


def _links(page: Path) -> list[str]:
    targets = LINK.findall(_prose(page.read_text(encoding="utf-8")))
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t)]


def _planned(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PLANNED)


def test_there_is_reference_beside_the_readme() -> None:
    assert len(DOCS) >= 5, "docs/ should hold the reference the README links to"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_points_at_an_existing_file_and_heading(page: Path) -> None:
    broken = []
    for target in _links(page):
        file_part, _, anchor = target.partition("#")
        dest = (page.parent / file_part).resolve() if file_part else page
        if not dest.exists():
            broken.append(f"{target}: no such file")
        elif not dest.is_relative_to(ROOT):
            broken.append(f"{target}: outside the repository")
        elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
            broken.append(f"{target}: no heading #{anchor} in {dest.relative_to(ROOT)}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_module_path_named_exists(page: Path) -> None:
    missing = []
    for path in PATH_SPAN.findall(page.read_text(encoding="utf-8")):
        full = path if path.startswith("gateway/") else f"gateway/{path}"
        full = full.rstrip("/")
        if _planned(full):
            continue
        if not any(ROOT.glob(full)):
            missing.append(path)
    assert not missing, f"{page.relative_to(ROOT)} names paths that do not exist: {missing}"


def test_readme_stays_a_short_guide() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) < 300, f"README.md has {len(lines)} lines; move reference to docs/"


def test_readme_keeps_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make run" in text
    assert "make test" in text


def test_slug_follows_github() -> None:
    assert _slug("Parsing (`bench/parse.py`)") == "parsing-benchparsepy"
    assert _slug("AS2 (RFC 4130, with pyas2lib)") == "as2-rfc-4130-with-pyas2lib"
    assert _slug("One message, from mailbox to invoice") == "one-message-from-mailbox-to-invoice"
