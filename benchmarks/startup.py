"""Start-up time of the ``synscale`` command: informational commands, and reruns of a finished
``train`` and ``generate`` (everything stored, so only start-up, checks and look-ups remain).

Each command runs as a fresh process, 5 times; the median wall time and the median CPU time of
the process (user + system) are reported; CPU time is what load on a shared machine changes
least. Prints one JSON line, and writes the table to docs/measured/startup.md (included by the
README; ``python scripts/include_measured.py`` copies it in). ``--table RECORD.json`` only
rewrites the table from a printed record."""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SYNSCALE = [sys.executable, "-m", "synscale"]
RUNS = 5
FAST = ["--set", "recipe.schedule.small_iterations=10", "--set", "recipe.schedule.large_iterations=12",
        "--set", "recipe.schedule.min_iterations=5"]
# Wall seconds, issue 17: informational commands under 1 s, a rerun of finished work under 2 s.
GOALS = {"--help": 1.0, "worlds": 1.0, "strategies": 1.0, "world-info mini": 1.0, "results": 1.0,
         "train (rerun, all stored)": 2.0, "generate (rerun, all stored)": 2.0}


def timed(args: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one ``synscale ARGS`` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([*SYNSCALE, *args], check=True, capture_output=True, cwd=ROOT)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        cpu = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                   if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        ws = str(Path(tmp) / "ws")
        train = ["train", "--scales", "20,40", "-w", ws, "--quiet", *FAST]
        generate = ["generate", "--per-class", "2", "--set", "batch_size=10", "--set", "shard_size=20",
                    "-w", ws, "--quiet"]
        timed(train), timed(generate)  # the first runs store everything; the timed ones are reruns
        commands = {"--help": ["--help"], "worlds": ["worlds"], "strategies": ["strategies"],
                    "world-info mini": ["world-info", "mini"], "results": ["results", "-w", ws],
                    "train (rerun, all stored)": train,
                    "generate (rerun, all stored)": generate}
        rows = {}
        for name, args in commands.items():
            times = [timed(args) for _ in range(RUNS)]
            rows[name] = {"wall_s": round(statistics.median(t[0] for t in times), 2),
                          "cpu_s": round(statistics.median(t[1] for t in times), 2)}
    load = (load_before, os.getloadavg()[0])
    record = {"benchmark": "startup", "runs": RUNS, "commands": rows,
              "load_1min": [round(x, 1) for x in load],
              "machine": machine(), "date": date.today().isoformat(),
              "goals_met": {k: rows[k]["wall_s"] < v for k, v in GOALS.items()}}
    print(json.dumps(record))
    write_table(record)


def write_table(record: dict) -> None:
    """docs/measured/startup.md from one run's record (the JSON line this benchmark prints)."""
    before, after = record["load_1min"]
    header = (f"Measured by `python benchmarks/startup.py` on {record['date']}: {record['machine']}; "
              f"1-minute load average {before} before and {after} after measuring (a shared machine: "
              f"CPU time is the steadier number). Median of {record['runs']} fresh processes each.")
    lines = [header, "", "| command | wall (s) | CPU (s) | goal (wall) |", "|---|---|---|---|"]
    for name, r in record["commands"].items():
        command, _, note = name.partition(" (")
        shown = f"`synscale {command}`" + (f" ({note}" if note else "")
        met = "met" if record["goals_met"][name] else "**not met**"
        lines.append(f"| {shown} | {r['wall_s']} | {r['cpu_s']} | < {GOALS[name]:g} s: {met} |")
    out = ROOT / "docs" / "measured" / "startup.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--table"]:
        write_table(json.loads(Path(sys.argv[2]).read_text()))
    else:
        main()
