"""Mutation testing of synscale's core modules with mutmut, and the score of each module.

    python scripts/mutation_report.py run      # snapshot HEAD in a worktree, mutate, test, report
    python scripts/mutation_report.py report   # the report of the last run (no testing)

``run`` never touches the working tree: mutmut rewrites sources, so it works in a git worktree of
the last commit (``--tree``, default /tmp/synscale-mutation), where ``mutants/src`` comes first on
sys.path. Which files are mutated and which fast tests judge them is ``[tool.mutmut]`` in
pyproject.toml; which functions count as the core is ``CORE`` below (mutmut is given their mutant
names, so helpers around them in the same file are neither run nor scored). docs/testing.md
explains every mutant left alive.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MUTMUT = Path(sys.executable).with_name("mutmut")
EXPLAINED = REPO / "docs" / "mutation-survivors.md"  # every mutant left alive, with its reason
NICE = 15  # mutmut takes the CPU that others leave idle
SAMPLE_ABOVE = 100

# Area -> mutant-name patterns (module path, then x_<function> or xǁ<Class>ǁ<method>).
CORE: dict[str, list[str]] = {
    "identities and workspace": [
        "synscale.config.x_stable_hash__*", "synscale.config.xǁFrozenConfigǁdigest__*",
        "synscale.workspace.xǁWorkspaceǁ*", "synscale.workspace.x__safe__*", "synscale.train.runs.*", "synscale.train.sources.*",
        "synscale.train.reference.x_reference_key__*",
        "synscale.train.reference.x_reference_identity__*",
    ],
    "subsets": ["synscale.data.subsets.*"],
    "schedule": ["synscale.train.schedule.*"],
    "metrics": ["synscale.metrics.recognizability.*", "synscale.metrics.diversity.*",
                "synscale.metrics.fid.*"],
    "scaling laws and fits": [
        "synscale.scaling.laws.*",
        *(f"synscale.scaling.fit.{f}__*" for f in (
            "x_fit_curve", "x__fit_power", "x_point_estimate", "x__fit_nonlinear", "x__with",
            "x__at_bounds", "x__gradient", "xǁFitResultǁpredict", "xǁFitResultǁdraws")),
    ],
    "generation plan": ["synscale.generators.stage.plan.*"],
    "study runner": ["synscale.study.plan.*", "synscale.study.runner.*"],
}

STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests", 34: "skipped",
          36: "timeout", 24: "timeout", -24: "timeout", 152: "timeout", 255: "timeout",
          37: "type check", None: "not checked"}
ALIVE = ("survived", "no tests", "suspicious")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["run", "report"])
    parser.add_argument("--tree", default=os.environ.get("MUTATION_TREE", "/tmp/synscale-mutation"),
                        help="worktree of the snapshot (default: /tmp/synscale-mutation)")
    parser.add_argument("--area", action="append", choices=sorted(CORE),
                        help="only this area (repeatable; default: every core area)")
    parser.add_argument("--pattern", action="append",
                        help="run only the mutants matching this name pattern (repeatable), "
                             "e.g. 'synscale.data.subsets.*'; the report still lists every area")
    parser.add_argument("--keep-tree", action="store_true",
                        help="reuse the worktree and mutmut's stats of the last run (no new snapshot)")
    parser.add_argument("--resume", action="store_true",
                        help="keep the worktree and its verdicts; bring its tests up to HEAD and test "
                             "only the mutants not checked yet or left alive (killed stay killed)")
    parser.add_argument("--sample", type=int, default=1, metavar="N",
                        help="with --resume: of a module's unchecked mutants, when it has more than "
                             f"{SAMPLE_ABOVE}, test only every N-th (by mutant number); a sample, "
                             "when a whole run does not fit in the time there is")
    parser.add_argument("--max-children", type=int, default=2, help="mutants tested at once")
    parser.add_argument("--json", help="also write the scores to this JSON file")
    args = parser.parse_args(argv)
    tree = Path(args.tree)
    areas = args.area or list(CORE)
    if args.command == "run":
        start = time.monotonic()
        if not ((args.keep_tree or args.resume) and tree.is_dir()):
            snapshot(tree)
        patterns = args.pattern or [p for a in areas for p in CORE[a]]
        if args.resume:
            refresh_tests(tree)
            # Named mutants are tested again whatever their verdict: name only the open ones.
            patterns = open_mutants(tree, patterns, args.sample)
        # mutmut runs at niceness NICE (not NICE more than ours: `nice make mutation` stays NICE).
        raise_by = max(0, NICE - os.nice(0))
        subprocess.run(["nice", "-n", str(raise_by), str(MUTMUT), "run", "--max-children",
                        str(args.max_children), *patterns], cwd=tree, check=False)
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"\nmutation run: {(time.monotonic() - start) / 60:.1f} min wall clock, "
              f"{(cpu.ru_utime + cpu.ru_stime) / 60:.1f} min CPU (user + system of mutmut and its "
              f"workers), load average at the end {os.getloadavg()[0]:.2f}")
    scores = report(tree, areas)
    if args.json:
        Path(args.json).write_text(json.dumps(scores, indent=2) + "\n")
    return 0


def snapshot(tree: Path) -> None:
    """A fresh worktree of HEAD at ``tree`` (so no earlier mutants or results are reused)."""
    head = subprocess.check_output(["git", "rev-parse", "HEAD"], cwd=REPO, text=True).strip()
    if tree.exists():
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO, check=False)
    subprocess.run(["git", "worktree", "prune"], cwd=REPO, check=True)
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), head], cwd=REPO, check=True)
    print(f"snapshot: {head[:12]} in {tree}")


def open_mutants(tree: Path, patterns: list[str], sample: int) -> list[str]:
    """The mutants matching ``patterns`` left alive, and those not checked yet (every ``sample``-th
    of a module with more than SAMPLE_ABOVE of them)."""
    keys = {k: STATUS.get(v, "suspicious") for k, v in mutant_keys(tree).items()
            if any(fnmatch.fnmatch(k, p) for p in patterns)}
    unchecked = Counter(_module(k) for k, status in keys.items() if status == "not checked")
    return [k for k, status in keys.items() if status in ALIVE or (
        status == "not checked" and (unchecked[_module(k)] <= SAMPLE_ABOVE
                                     or int(k.rsplit("_", 1)[1]) % sample == 0))]


def refresh_tests(tree: Path) -> None:
    """HEAD's tests in the worktree and in mutmut's copy of it (mutmut never copies them again)."""
    for target in (tree, tree / "mutants"):
        archive = subprocess.run(["git", "archive", "HEAD", "tests"], cwd=REPO, check=True,
                                 capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True)
    head = subprocess.check_output(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True)
    print(f"tests of {head.strip()} in {tree}")


def mutant_keys(tree: Path) -> dict[str, int | None]:
    """Every mutant's name and exit code (None: not checked)."""
    keys: dict[str, int | None] = {}
    for meta in sorted((tree / "mutants" / "src").rglob("*.py.meta")):
        keys.update(json.loads(meta.read_text())["exit_code_by_key"])
    return keys


def report(tree: Path, areas: list[str]) -> dict[str, object]:
    keys = mutant_keys(tree)
    rows, survivors, totals = [], [], Counter()
    for area in areas:
        chosen = {k: v for k, v in keys.items() if any(fnmatch.fnmatch(k, p) for p in CORE[area])}
        for module in sorted({_module(k) for k in chosen}):
            counts = Counter(STATUS.get(v, "suspicious") for k, v in chosen.items() if _module(k) == module)
            rows.append({"area": area, "module": module, **counts, "score": _score(counts)})
            totals.update(counts)
            survivors += [k for k, v in chosen.items() if _module(k) == module
                          and STATUS.get(v, "suspicious") in ALIVE]
    print(f"\n{'area':<26} {'module':<34} {'mutants':>7} {'killed':>6} {'timeout':>7} "
          f"{'alive':>5} {'no test':>7} {'unrun':>5} {'score':>6}")
    for r in rows:
        print(f"{r['area']:<26} {r['module']:<34} {_total(r):>7} {r.get('killed', 0):>6} "
              f"{r.get('timeout', 0):>7} {r.get('survived', 0):>5} {r.get('no tests', 0):>7} "
              f"{r.get('not checked', 0):>5} {_fmt(r['score'])}")
    overall = _score(totals)
    print(f"{'all core modules':<61} {_total(totals):>7} {totals['killed']:>6} {totals['timeout']:>7} "
          f"{totals['survived']:>5} {totals['no tests']:>7} {totals['not checked']:>5} {_fmt(overall)}")
    print("score = (killed + timeout) / mutants checked; 'no test' counts as alive\n")
    unexplained = sorted(set(survivors) - explained_mutants(), key=_natural)
    if survivors:
        print(f"alive ({len(survivors)}; `mutmut show NAME` in {tree} prints the change; "
              f"{len(survivors) - len(unexplained)} explained in {EXPLAINED.relative_to(REPO)}):")
        for name in sorted(survivors, key=_natural):
            print(f"  {name}: {STATUS.get(keys[name], 'suspicious')}"
                  + ("  (not explained)" if name in unexplained else ""))
    return {"modules": rows, "overall": overall, "alive": sorted(survivors, key=_natural),
            "unexplained": unexplained}


def explained_mutants() -> set[str]:
    """The mutant names docs/mutation-survivors.md gives a reason for."""
    text = EXPLAINED.read_text() if EXPLAINED.is_file() else ""
    return set(re.findall(r"`(synscale\.[^`\s]+__mutmut_\d+)`", text))


def _module(key: str) -> str:
    return re.sub(r"\.x[_ǁ].*$", "", key)


def _total(counts) -> int:
    return sum(v for k, v in counts.items() if k not in ("score", "area", "module"))


def _score(counts: Counter) -> float | None:
    checked = sum(v for k, v in counts.items() if k != "not checked")
    return (counts["killed"] + counts["timeout"]) / checked if checked else None


def _fmt(score: float | None) -> str:
    return f"{score:>6.1%}" if score is not None else f"{'-':>6}"


def _natural(name: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name))


if __name__ == "__main__":
    raise SystemExit(main())
