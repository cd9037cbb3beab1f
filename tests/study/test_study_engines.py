"""Engines give the same numbers, and a study killed mid-way resumes to the same store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import duckdb


def test_two_worker_processes_and_ray_give_the_numbers_of_one_process(
        cli, tiny_study_file, tiny_study_workspace, snapshot, tmp_path):
    expected = snapshot(tiny_study_workspace)
    for engine in ("local", "ray"):
        ws = tmp_path / engine
        result = cli("study", "run", tiny_study_file, "-w", ws, "--engine", engine, "--workers", "2")
        assert result.code == 0, result.err
        assert ("2 side by side in 2 worker processes" in result.out) == (engine == "local")
        assert snapshot(ws) == expected, engine
        # Two local workers make the datasets side by side in their processes (Ray: one dataset
        # at a time over its actors); either way every file of every dataset is the same bytes.
        assert datasets_bytes(ws) == datasets_bytes(tiny_study_workspace), engine


def test_sigkill_of_the_driver_then_rerun_gives_the_uninterrupted_store(
        study_writer, snapshot, tmp_path):
    # Longer runs than the tiny study's, so that the kill lands while runs are in flight.
    study = study_writer(tmp_path, name="killed", recipe={
        "batch_size": 32, "schedule": {"small_scale": 50, "small_iterations": 150, "large_scale": 400,
                                       "large_iterations": 250, "min_iterations": 10}})
    command = [sys.executable, "-m", "synscale", "study", "run", str(study), "--workers", "2",
               "--quiet"]
    killed, clean = tmp_path / "killed", tmp_path / "clean"
    driver = subprocess.Popen([*command, "-w", str(killed)], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    deadline = time.monotonic() + 300
    while _finished_runs(killed) < 3 and driver.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(driver.pid, signal.SIGKILL)
    assert driver.wait() == -signal.SIGKILL, driver.stderr.read().decode()
    con = duckdb.connect(str(killed / "results.duckdb"), read_only=True)
    stored = con.execute("SELECT count(*) FROM runs").fetchone()[0]
    con.close()
    assert 0 < stored < 11, "the kill should land in the middle of training"

    for workspace in (killed, clean):
        done = subprocess.run([*command, "-w", str(workspace)], capture_output=True, text=True,
                              check=False)
        assert done.returncode == 0, done.stderr
    assert snapshot(killed) == snapshot(clean)


def datasets_bytes(workspace) -> dict[str, bytes]:
    folder = workspace / "datasets"
    files = {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
             if p.is_file()}
    assert any(name.endswith(".tar") for name in files), "the study made no shard"
    return files


def _finished_runs(workspace) -> int:
    runs = workspace / "runs"
    return sum(1 for p in runs.iterdir() if not p.name.startswith(".")) if runs.is_dir() else 0
