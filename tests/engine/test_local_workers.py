"""The local engine's worker processes: the same dataset, byte for byte, as one process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synscale.engine import local, make_engine
from synscale.engine.local import BATCHES_PER_HELPER
from synscale.errors import ConfigError
from synscale.generators.stage.dataset import generate_dataset
from synscale.generators.stage.plan import GenerateConfig
from synscale.workspace import Workspace

# 10 batches of 4 images in 5 shards: enough batches for one helper process, little work (the
# sampler's chunks, padded to their fixed size, are cut to the batch size too).
CONFIG = GenerateConfig(world="mini", generator="mini-pixel", generator_options={"chunk": 4},
                        cfg=2.0, prompts="classname", per_class=4, batch_size=4, shard_size=8)


def dataset_bytes(workspace: Path) -> dict[str, bytes]:
    (folder,) = [p for p in (workspace / "datasets").iterdir() if not p.name.startswith(".")]
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def test_two_workers_write_the_bytes_of_one_process(tmp_path, monkeypatch):
    assert 40 // CONFIG.batch_size >= BATCHES_PER_HELPER
    alone = make_engine("local", workers=1, threads=1)
    generate_dataset(CONFIG, Workspace(tmp_path / "alone"), alone, quiet=True)
    # A slow driver (the helper process is not patched), so that the helper, once started,
    # renders some of the batches however long its start takes on a busy machine.
    render = local.render_batch
    monkeypatch.setattr(local, "render_batch", lambda *args: time.sleep(3) or render(*args))
    pool = make_engine("local", workers=2, threads=1)
    report = generate_dataset(CONFIG, Workspace(tmp_path / "pool"), pool, quiet=True)
    assert alone.describe()["helper_processes"] == 0
    assert report.engine["helper_processes"] == 1 and report.engine["batches_in_helpers"] >= 1
    one, two = dataset_bytes(tmp_path / "alone"), dataset_bytes(tmp_path / "pool")
    assert sorted(one) == ["card.json", "config.json", "generation.json", "manifest.parquet",
                           *[f"shard-{i:06d}.tar" for i in range(5)]]
    assert one == two


def test_default_is_one_process_and_workers_split_the_cores():
    engine = make_engine("local")
    assert (engine.workers, engine.threads) == (1, os.cpu_count())
    assert make_engine("local", workers=2).threads == max(1, (os.cpu_count() or 1) // 2)


def test_an_address_needs_ray():
    with pytest.raises(ConfigError, match="--address needs --engine ray"):
        make_engine("local", address="ray://head:10001")


def children_of(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # the process ended while we looked
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="reads /proc")
def test_a_killed_driver_takes_its_helpers_along_and_the_rerun_finishes_the_dataset(tmp_path):
    # 1,000 images in 250 batches: several seconds of work once the helper is up.
    args = ["generate", "--world", "mini", "--generator", "mini-pixel", "--per-class", "100",
            "--set", "generator_options.chunk=4", "--set", "batch_size=4", "--set", "shard_size=8",
            "--workers", "2", "--threads", "1", "--quiet"]
    killed = tmp_path / "killed"
    process = subprocess.Popen([sys.executable, "-m", "synscale", *args, "--workspace", str(killed)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while (process.poll() is None and time.monotonic() < deadline
           and not list(killed.glob("datasets/.partial-*/shard-*.tar"))):
        time.sleep(0.01)  # the first shard needs the helper's first batch: the helper is up
    helpers = children_of(process.pid)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert helpers, "the job finished or stalled before its first shard appeared"
    deadline = time.monotonic() + 10
    while any(alive(pid) for pid in helpers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(alive(pid) for pid in helpers)

    resumed = subprocess.run([sys.executable, "-m", "synscale", *args, "--workspace", str(killed)],
                             check=False, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    config = CONFIG.model_copy(update={"per_class": 100})
    generate_dataset(config, Workspace(tmp_path / "alone"), make_engine("local", workers=1, threads=1),
                     quiet=True)
    assert dataset_bytes(killed) == dataset_bytes(tmp_path / "alone")
