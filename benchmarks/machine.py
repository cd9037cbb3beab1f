"""What the benchmarks share: the machine's fp32 matmul peak, measured in the same process; a
process's resident memory; a synthetic mini dataset to train on."""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

import torch

PEAK_SIZE = 2048


class MatmulPeak:
    """Best fp32 ``torch.mm`` speed seen. Sampled between the timed runs too, so that on a
    shared machine the peak and the measured speeds are best cases of the same conditions (a
    peak read only once, during a busy moment, made the fraction exceed 1)."""

    def __init__(self) -> None:
        self.a, self.b = torch.randn(PEAK_SIZE, PEAK_SIZE), torch.randn(PEAK_SIZE, PEAK_SIZE)
        torch.mm(self.a, self.b)
        self.best_seconds = float("inf")

    def sample(self, runs: int = 3) -> None:
        for _ in range(runs):
            self.best_seconds = min(self.best_seconds, timed(lambda: torch.mm(self.a, self.b)))

    @property
    def gflops(self) -> float:
        return 2 * PEAK_SIZE**3 / self.best_seconds / 1e9


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def make_synthetic_dataset(folder: Path, images: int) -> str:
    """A mini-pixel dataset of ``images`` images (CFG 2, class names) in workspace ``folder``."""
    out = subprocess.run([sys.executable, "-m", "synscale", "generate", "--world", "mini",
                          "--generator", "mini-pixel", "--cfg", "2", "--prompts", "classname",
                          "--per-class", str(images // 10), "-w", str(folder), "--json", "--quiet"],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout)["path"]


def rss_mb() -> float:
    """This process's resident memory now."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb() -> float:
    """This process's peak resident memory so far."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_name() -> str:
    try:
        return next(line.split(":", 1)[1].strip() for line in
                    Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name"))
    except (OSError, StopIteration):
        return platform.processor() or platform.machine()


class OtherCpu:
    """How many cores the rest of the machine kept busy while a benchmark ran: all CPU time
    (``/proc/stat``) less this process's and its reaped children's. The load average cannot tell:
    it counts the benchmark's own processes."""

    def __init__(self) -> None:
        self.began, self.start = time.perf_counter(), _busy_seconds() - _own_seconds()

    def cores(self) -> float:
        """Average cores used by other processes since creation (nan where /proc is missing)."""
        other = _busy_seconds() - _own_seconds() - self.start
        return max(0.0, other) / (time.perf_counter() - self.began)


def _busy_seconds() -> float:
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return float("nan")
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")  # user .. steal; guests are in user


def _own_seconds() -> float:
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


def made_by() -> str:
    """The first line of a table in docs/measured/: the command that wrote it, the date, the
    machine and how busy it was."""
    return (f"Measured by `{' '.join(['python', *sys.argv])}` on {time.strftime('%Y-%m-%d')}: "
            f"{cpu_name()}, {os.cpu_count()} logical CPUs, load average {os.getloadavg()[0]:.1f}.")
