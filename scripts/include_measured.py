"""Copy measured tables into the pages that include them.

A benchmark or study writes its table to ``docs/measured/NAME.md`` (with the command that made
it, the machine and the date); a page includes it between ``<!-- measured: NAME -->`` and
``<!-- /measured -->``. This script replaces every such block with the file's current content;
``tests/docs`` fails while a page's copy differs from its file. Run: python scripts/include_measured.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MEASURED = ROOT / "docs" / "measured"
BLOCK = re.compile(r"(<!-- measured: ([\w.-]+) -->\n)(.*?)(<!-- /measured -->)", re.DOTALL)


def pages() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def included(text: str) -> list[tuple[str, str]]:
    """(name, the page's copy) of every measured block of a page."""
    return [(m.group(2), m.group(3)) for m in BLOCK.finditer(text)]


def render(text: str) -> str:
    def replace(m: re.Match[str]) -> str:
        source = MEASURED / f"{m.group(2)}.md"
        if not source.is_file():
            raise SystemExit(f"error: {source} not found (included by a page)")
        return m.group(1) + source.read_text() + m.group(4)

    return BLOCK.sub(replace, text)


def main() -> int:
    for page in pages():
        text = page.read_text()
        new = render(text)
        if new != text:
            page.write_text(new)
            print(f"updated {page.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
