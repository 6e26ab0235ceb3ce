"""The README and docs/: benchmark tables match the stored results, every page is reachable."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.helpers import ROOT

README_MAX_LINES = 200
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)\s]*)?\)")


def links(page: str) -> set[str]:
    """The relative link targets of a Markdown page, resolved against the repository root."""
    base = (ROOT / page).parent
    return {
        str((base / target).resolve().relative_to(ROOT))
        for target in LINK.findall((ROOT / page).read_text())
        if "://" not in target
    }


def test_benchmark_tables_match_the_stored_results():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench/tables.py"), "--check"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_readme_is_short_and_links_every_docs_page():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) <= README_MAX_LINES
    pages = {str(path.relative_to(ROOT)) for path in (ROOT / "docs").glob("*.md")}
    assert pages, "no docs pages"
    missing = pages - links("README.md")
    assert not missing, f"README.md does not link {sorted(missing)}"


def test_every_relative_link_resolves_to_a_file():
    pages = ["README.md", *(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
    broken = [
        f"{page} → {target}"
        for page in pages
        for target in sorted(links(page))
        if not (ROOT / target).exists()
    ]
    assert not broken, broken
