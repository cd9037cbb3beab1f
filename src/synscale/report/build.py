"""``synscale report``: read the store, draw every figure, check the findings, write one page.

A report never trains or generates; it reads the results store (read-only) and the datasets'
cards and shards. Whatever the store lacks is said in place of the figure or table it would feed.
"""

from __future__ import annotations

import inspect
import io
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from synscale.report import figures, tables
from synscale.report.advise import advise_sections
from synscale.report.clip import table1 as clip_table1
from synscale.report.data import MissingData, ReportData
from synscale.report.findings import Finding, check_findings
from synscale.report.html import Section, render
from synscale.report.tables import package_version

TITLES = {
    "figure2": "Figure 2: performance at D_I against recognizability and diversity",
    "figure3": "Figure 3: scaling curves on the validation set",
    "figure4": "Figure 4: scaling curves on the OOD sets",
    "figure5": "Figure 5: samples of scaling, easy and poor classes",
    "figure6": "Figure 6: per-class scaling ability against performance at D_I",
    "figure7": "Figure 7: per-class curves, synthetic against real",
    "figure8": "Figure 8 and Table 1: CLIP (real, synthetic, mixed) and zero-shot",
}


@dataclass
class Report:
    path: Path
    findings: list[Finding]
    figures: dict[str, dict[str, Path]] = field(default_factory=dict)  # name -> png/svg paths
    missing: dict[str, str] = field(default_factory=dict)  # section title -> what is missing
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {"report": str(self.path), "bytes": self.path.stat().st_size,
                "seconds": round(self.seconds, 2),
                "findings": [f.as_dict() for f in self.findings],
                "figures": {name: {k: str(v) for k, v in paths.items()}
                            for name, paths in self.figures.items()},
                "missing": self.missing}


def build_report(workspace: str | Path, out: str | Path | None = None) -> Report:
    """Write ``out`` (default ``<workspace>/report/report.html``) with every figure beside it."""
    start = time.perf_counter()
    # 1. Read the store once.
    data = ReportData.load(workspace)
    out = Path(out) if out is not None else Path(workspace) / "report" / "report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    report = Report(out, check_findings(data))

    # 2. Figures: each saved as PNG and SVG next to the page, embedded as PNG.
    sections = [Section("Figure 1 as a table: real vs best synthetic",
                        "k and -log L at D_I per set, of the study's classifier "
                        f"({data.base_model}); D_I = {data.reference_scale:,.0f}.",
                        **_rows(tables.headline, data), anchor="figure1"),
                Section("Exchange rate", "How many synthetic images match one real image, at "
                        "each real scale (from the power-law fits of both curves).",
                        **_rows(tables.exchange, data), anchor="exchange")]
    for name, draw in figures.FIGURES.items():
        sections.append(_figure(name, draw, data, out.parent, report))
    sections.append(Section("Table 1: CLIP zero-shot top-1", "Zero-shot top-1 of the CLIP runs on "
                            "every set, per number of captions and data (real, syn, mix).",
                            **_rows(lambda d: clip_table1(d.workspace), data), anchor="table1"))

    sections += advise_sections(workspace)  # beyond the paper (docs/advise.md)

    # 3. Tables: the fits and the workspace's provenance.
    sections.append(Section("Fits", "Every stored fit: parameters with intervals, held-out "
                            "error, where the power law holds and where it breaks.",
                            **_rows(tables.fits, data), anchor="fits"))
    for part, rows in tables.provenance(data).items():
        sections.append(Section(f"Provenance: {part}", _PROVENANCE[part], rows=rows,
                                anchor=f"provenance-{part}"))
    report.missing.update({s.title: s.missing for s in sections if s.missing})

    # 4. The page, written whole or not at all.
    meta = (f"workspace {Path(workspace).resolve()}; synscale {package_version('synscale')}; "
            f"{len(data.runs)} runs, {len(data.curves)} curves, sets: {', '.join(data.sets)}")
    _write(out, render(f"synscale report: {Path(workspace).resolve().name}", meta,
                       report.findings, sections))
    report.seconds = time.perf_counter() - start
    return report


_PROVENANCE = {
    "versions": "Library versions of the process that built this report.",
    "commands": "The commands that filled this workspace (from the studies table).",
    "generators": "Each dataset's generator identity, from its card.",
    "durations": "Training time per curve, summed over its runs (runs.seconds).",
}


def _figure(name: str, draw: Callable[[ReportData], Figure], data: ReportData, folder: Path,
            report: Report) -> Section:
    title = TITLES[name]
    caption = inspect.getdoc(draw).split("\n\n")[0].replace("\n", " ")
    try:
        fig = draw(data)
    except MissingData as exc:
        return Section(title, caption, missing=str(exc), anchor=name)
    report.figures[name] = figures.save_figure(fig, folder, name)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    return Section(title, f"{caption} (also {name}.png and {name}.svg next to this page)",
                   png=buffer.getvalue(), anchor=name)


def _rows(make: Callable[[ReportData], list[dict[str, Any]]], data: ReportData) -> dict[str, Any]:
    try:
        return {"rows": make(data)}
    except MissingData as exc:
        return {"missing": str(exc)}


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
