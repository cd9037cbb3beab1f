"""Write the paper's findings, as checked by a study's report, to docs/measured/NAME.md.

The README includes that file (``<!-- measured: NAME -->``; copy it in with
``python scripts/include_measured.py``), so its findings table always holds what
``synscale report`` says about the workspace, with the command, the machine and the date.

Run: python scripts/measured_findings.py workspace/full full-findings
"""

from __future__ import annotations

import os
import platform
import sys
from datetime import date
from pathlib import Path

from synscale.report import ReportData, check_findings

ROOT = Path(__file__).resolve().parents[1]


def cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def machine() -> str:
    cpu = platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        cpu = next((line.split(":", 1)[1].strip() for line in cpuinfo.read_text().splitlines()
                    if line.startswith("model name")), cpu)
    return f"{cpu}, {os.cpu_count()} logical CPUs"


def table(workspace: str) -> str:
    findings = check_findings(ReportData.load(workspace))
    header = (f"Produced by `python scripts/measured_findings.py {workspace} NAME` (the findings of "
              f"`synscale report -w {workspace} --json`) on {date.today().isoformat()}, {machine()}.")
    lines = [header, "", "| # | the paper's claim | verdict here | key numbers |", "|---|---|---|---|"]
    lines += [f"| {f.number} | {cell(f.claim)} | {f.verdict} | {cell(f.evidence)} |" for f in findings]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python scripts/measured_findings.py WORKSPACE NAME", file=sys.stderr)
        return 2
    out = ROOT / "docs" / "measured" / f"{argv[1]}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(table(argv[0]))
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
