"""One self-contained HTML page: figures as base64 PNG, tables as HTML, no external URL."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from html import escape
from typing import Any

from synscale.report.findings import Finding

VERDICT_COLOURS = {"reproduced": "#1a7f37", "not reproduced": "#b42318",
                   "not enough data": "#8a6d00"}
STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',sans-serif;max-width:1200px;margin:2em auto;
padding:0 1em;color:#1f2328;line-height:1.45}
h1{margin-bottom:.2em}h2{border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.8em 0;font-size:.85em}
th,td{border:1px solid #d0d7de;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#f6f8fa}figure{margin:1em 0}img{max-width:100%;border:1px solid #eee}
figcaption{font-size:.9em;color:#57606a}.missing{background:#fff8c5;border:1px solid #d4a72c;
padding:.5em .8em;border-radius:4px}.verdict{font-weight:600;white-space:nowrap}
.meta{color:#57606a;font-size:.9em}
"""


@dataclass(frozen=True)
class Section:
    """A figure (PNG bytes) or a table (rows), or what is missing in its place."""

    title: str
    caption: str
    png: bytes | None = None
    rows: list[dict[str, Any]] | None = None
    missing: str | None = None
    anchor: str = ""


def render(title: str, meta: str, findings: list[Finding], sections: list[Section]) -> str:
    missing = [s for s in sections if s.missing]
    parts = [(f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}"
             f"</title><style>{STYLE}</style></head><body>"),
             f"<h1>{escape(title)}</h1><p class='meta'>{escape(meta)}</p>"]
    if missing:
        parts.append("<div class='missing'><b>Missing from this workspace's store:</b><ul>"
                     + "".join(f"<li>{escape(s.title)}: {escape(s.missing or '')}</li>"
                               for s in missing) + "</ul></div>")
    parts.append("<h2 id='findings'>The paper's findings, checked</h2>" + _findings(findings))
    for section in sections:
        parts.append(f"<h2 id='{escape(section.anchor)}'>{escape(section.title)}</h2>")
        parts.append(_section(section))
    parts.append("</body></html>")
    return "\n".join(parts)


def _findings(findings: list[Finding]) -> str:
    rows = "".join(
        f"<tr><td>{f.number}</td><td>{escape(f.claim)}</td><td class='verdict' style='color:"
        f"{VERDICT_COLOURS[f.verdict]}'>{escape(f.verdict)}</td><td>{escape(f.evidence)}</td>"
        f"<td>{escape(f.test)}</td></tr>" for f in findings)
    return ("<table><tr><th>#</th><th>paper's claim</th><th>verdict</th><th>numbers</th>"
            f"<th>test</th></tr>{rows}</table>")


def _section(section: Section) -> str:
    if section.missing:
        return f"<p class='missing'>Not drawn: {escape(section.missing)}</p>"
    caption = f"<figcaption>{escape(section.caption)}</figcaption>"
    if section.png is not None:
        encoded = base64.b64encode(section.png).decode("ascii")
        return (f"<figure><img alt='{escape(section.title)}' src='data:image/png;base64,"
                f"{encoded}'>{caption}</figure>")
    return f"<p class='meta'>{escape(section.caption)}</p>" + table(section.rows or [])


def table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "<p class='meta'>(no rows)</p>"
    head = "".join(f"<th>{escape(str(k))}</th>" for k in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{escape(_cell(v))}</td>" for v in row.values())
                   + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)
