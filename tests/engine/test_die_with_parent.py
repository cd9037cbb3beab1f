"""A worker process whose driver died while it was starting exits at once: no orphan is left
waiting for work that will never come (the kernel's parent-death signal only covers a driver
that dies after the worker asked for it)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

DRIVER = """
import multiprocessing, os, sys, time
from pathlib import Path

def worker(flag):
    Path(flag + ".started").write_text("")
    parent = multiprocessing.parent_process().pid
    while os.getppid() == parent:  # wait until the driver is gone, still before the request
        time.sleep(0.01)
    from synscale.engine.base import die_with_parent
    die_with_parent()
    Path(flag).write_text("still running after its driver died")

if __name__ == "__main__":
    process = multiprocessing.get_context("spawn").Process(target=worker, args=(sys.argv[1],))
    process.start()
    print(process.pid, flush=True)
    os._exit(0)  # the driver dies without waiting for its worker
"""


def test_a_worker_whose_driver_died_before_it_asked_to_die_with_it_exits(tmp_path):
    flag, script = tmp_path / "survived", tmp_path / "driver.py"
    script.write_text(DRIVER)  # a file: a spawned worker imports its function from it
    driver = subprocess.run([sys.executable, str(script), str(flag)], capture_output=True,
                            text=True, check=True, timeout=60)
    pid = int(driver.stdout.split()[0])
    deadline = time.monotonic() + 60
    while _alive(pid) and not flag.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)  # a worker that did survive has written its flag by now
    assert Path(f"{flag}.started").exists(), "the worker never ran"
    assert not flag.exists(), "the worker went on after its driver had died"
    assert not _alive(pid), "the worker is still there a minute after its driver died"


def _alive(pid: int) -> bool:
    """Running or sleeping; a zombie (exited, not yet reaped by its new parent) is gone."""
    status = Path(f"/proc/{pid}/status")
    try:
        state = next(line for line in status.read_text().splitlines() if line.startswith("State:"))
    except (FileNotFoundError, ProcessLookupError):
        return False
    return "zombie" not in state
