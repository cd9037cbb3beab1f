"""The generation job end to end through the CLI, on a tiny random diffusers pipeline.

One uninterrupted run is the reference; other runs (again, on Ray, killed and resumed, repaired)
must reproduce its bytes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pandas as pd
import pytest
import torch
import webdataset as wds

from synscale.data.manifest import read_manifest
from synscale.data.shards import check_shard
from synscale.data.synthetic import SyntheticDataset
from synscale.engine import make_engine
from synscale.generators.stage.dataset import generate_dataset
from synscale.generators.stage.plan import GenerateConfig
from synscale.train.classifier import TrainedClassifier
from synscale.train.models import create_classifier
from synscale.workspace import Workspace

SYNSCALE = str(Path(sys.executable).parent / "synscale")


def job_args(pipeline: Path, workspace: Path, steps: int = 2) -> list[str]:
    # 10 classes x 3 images, batches of 5, shards of 10: 3 shards. One thread: the tiny
    # pipeline's ops are too small to gain from more on a shared 2-core machine.
    return ["generate", "--world", "mini", "--generator", "diffusers", "--cfg", "2.0",
            "--prompts", "classname", "--per-class", "3", "--seed", "0", "--steps", str(steps),
            "--set", f"generator_options.model={pipeline}", "--set", "batch_size=5",
            "--set", "shard_size=10", "--threads", "1", "--workspace", str(workspace), "--quiet"]


def uninterrupted(pipeline: Path, workspace: Path, steps: int = 2) -> Path:
    """The job of ``job_args`` run once through the Python API."""
    config = GenerateConfig(world="mini", generator="diffusers", cfg=2.0, prompts="classname",
                            per_class=3, seed=0, steps=steps, batch_size=5, shard_size=10,
                            generator_options={"model": str(pipeline)})
    generate_dataset(config, Workspace(workspace), make_engine("local", threads=1), quiet=True)
    return dataset_folder(workspace)


def dataset_folder(workspace: Path) -> Path:
    (folder,) = [p for p in (workspace / "datasets").iterdir() if not p.name.startswith(".")]
    return folder


def shard_bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.glob("shard-*.tar"))}


@pytest.fixture(scope="module")
def reference(tiny_pipeline, tmp_path_factory) -> Path:
    return uninterrupted(tiny_pipeline, tmp_path_factory.mktemp("reference"))


def test_dataset_layout_manifest_and_card(reference):
    manifest = read_manifest(reference / "manifest.parquet")
    assert list(manifest.columns) == ["id", "class_id", "class_name", "prompt", "seed", "generator",
                                      "cfg", "scheduler", "steps", "shard", "sha256"]
    assert manifest["id"].tolist() == list(range(30))
    assert manifest.groupby("class_id").size().tolist() == [3] * 10
    assert set(manifest["scheduler"]) == {"DDIMScheduler"} and set(manifest["steps"]) == {2}
    assert manifest["seed"].nunique() == 30
    card = json.loads((reference / "card.json").read_text())
    assert card["images"] == 30 and card["shards"] == [f"shard-00000{i}.tar" for i in range(3)]
    assert card["generator_settings"]["safety_checker"] is False
    # Readable by webdataset as well: one png and one json per sample.
    samples = list(wds.WebDataset(str(reference / "shard-000000.tar"), shardshuffle=False))
    assert len(samples) == 10 and {"png", "json"} <= samples[0].keys()
    assert json.loads(samples[0]["json"])["prompt"] == "zero"


def test_same_command_twice_gives_identical_bytes(reference, tiny_pipeline, tmp_path, cli):
    assert cli(*job_args(tiny_pipeline, tmp_path)).code == 0
    again = dataset_folder(tmp_path)
    assert again.name == reference.name
    assert shard_bytes(again) == shard_bytes(reference)
    assert (again / "manifest.parquet").read_bytes() == (reference / "manifest.parquet").read_bytes()


def test_loads_as_labeled_images_in_the_world_format(reference):
    data = SyntheticDataset(reference).load(per_class=2, channels=1, image_size=16)
    assert data.images.shape == (20, 1, 16, 16) and data.labels.tolist() == sorted([*range(10)] * 2)


def test_ray_engine_gives_the_same_hashes(reference, tiny_pipeline, tmp_path, cli):
    result = cli(*job_args(tiny_pipeline, tmp_path), "--engine", "ray", "--workers", "2")
    assert result.code == 0, result.err
    ray_manifest = read_manifest(dataset_folder(tmp_path) / "manifest.parquet")
    assert ray_manifest["sha256"].tolist() == read_manifest(reference / "manifest.parquet")["sha256"].tolist()


def test_sigkill_then_rerun_gives_the_uninterrupted_manifest(tiny_pipeline, tmp_path, cli):
    # 20 sampling steps make a shard take long enough (~1 s) to be caught between two shards.
    expected = uninterrupted(tiny_pipeline, tmp_path / "uninterrupted", steps=20)
    killed = tmp_path / "killed"
    process = subprocess.Popen([SYNSCALE, *job_args(tiny_pipeline, killed, steps=20)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "OMP_WAIT_POLICY": "PASSIVE"})
    datasets = killed / "datasets"
    seen: set[str] = set()
    deadline = time.monotonic() + 120
    while not seen and time.monotonic() < deadline and process.poll() is None:
        for shard in datasets.glob(".partial-*/shard-*.tar") if datasets.is_dir() else []:
            with tarfile.open(shard) as tar:  # a final name is only ever a complete shard
                assert len(tar.getnames()) == 20
            seen.add(shard.name)
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert seen, "the job finished or stalled before its first shard appeared"
    (partial,) = list(datasets.glob(".partial-*"))
    assert not (datasets / expected.name).exists()
    parts = pd.concat([read_manifest(p) for p in (partial / "parts").glob("*.parquet")])
    for name in seen:
        rows = parts[parts["shard"] == name]
        assert check_shard(partial / name, dict(zip(rows["id"], rows["sha256"]))) is None

    assert cli(*job_args(tiny_pipeline, killed, steps=20)).code == 0
    assert not partial.exists()
    resumed = dataset_folder(killed)
    assert (resumed / "manifest.parquet").read_bytes() == (expected / "manifest.parquet").read_bytes()
    assert shard_bytes(resumed) == shard_bytes(expected)


def test_corrupt_and_truncated_shards_are_regenerated_and_reported(reference, tiny_pipeline, tmp_path, cli):
    copy = tmp_path / "datasets" / reference.name
    shutil.copytree(reference, copy)
    with tarfile.open(copy / "shard-000001.tar") as tar:
        first_png = next(m for m in tar.getmembers() if m.name.endswith(".png"))
    data = bytearray((copy / "shard-000001.tar").read_bytes())
    data[first_png.offset_data + 40] ^= 0xFF
    (copy / "shard-000001.tar").write_bytes(bytes(data))
    (copy / "shard-000002.tar").write_bytes(data[:3000])
    result = cli(*job_args(tiny_pipeline, tmp_path))
    assert result.code == 0
    warnings = [line for line in result.err.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2 and "shard-000001.tar" in warnings[0] and "regenerated" in warnings[0]
    assert "shard-000002.tar" in warnings[1]
    assert shard_bytes(copy) == shard_bytes(reference)


def test_regenerate_reproduces_an_images_bytes(reference, tmp_path, cli):
    out = tmp_path / "image.png"
    result = cli("regenerate", str(reference), "17", "--out", str(out), "--json")
    assert result.code == 0, result.err
    report = result.json_lines()[0]
    assert report["identical"] is True and report["prompt"] == "five"
    manifest = read_manifest(reference / "manifest.parquet").set_index("id")
    with tarfile.open(reference / manifest.loc[17, "shard"]) as tar:
        assert out.read_bytes() == tar.extractfile("000000017.png").read()


def test_a_dataset_started_with_other_generator_settings_is_refused(reference, tiny_pipeline,
                                                                   tmp_path, cli):
    partial = tmp_path / "datasets" / f".partial-{reference.name}"
    shutil.copytree(reference, partial)
    for name in ("config.json", "card.json", "shard-000002.tar"):
        (partial / name).unlink()
    state = json.loads((partial / "generation.json").read_text())
    state["settings"]["weights"] = "0123456789abcdef"  # as if the pipeline's weights had changed
    (partial / "generation.json").write_text(json.dumps(state))
    result = cli(*job_args(tiny_pipeline, tmp_path))
    assert result.code == 2
    assert result.err.count("\n") == 1 and "other generator settings" in result.err
    assert "weights" in result.err


def test_a_truncated_generation_state_is_refused_in_one_line(reference, tiny_pipeline,
                                                             tmp_path, cli):
    """A ``generation.json`` cut short (a full disk, a copy interrupted) is refused, naming the
    file and what to do, never a traceback; and synscale itself leaves no such file."""
    partial = tmp_path / "datasets" / f".partial-{reference.name}"
    shutil.copytree(reference, partial)
    for name in ("config.json", "card.json", "shard-000002.tar"):
        (partial / name).unlink()
    state = (partial / "generation.json").read_text()
    (partial / "generation.json").write_text(state[:len(state) // 2])
    result = cli(*job_args(tiny_pipeline, tmp_path))
    assert result.code == 2
    assert result.err.count("\n") == 1 and "generation.json is corrupt" in result.err
    assert "Traceback" not in result.err
    assert not list(reference.glob(".*.tmp"))  # the state was written under a temporary name


def test_a_dataset_is_named_by_the_generators_resolved_options_and_weights(
        reference, tiny_pipeline, pipeline_builder, tmp_path):
    """Not just its config: identical options over new weights (or new defaults) must not reuse
    a dataset made by the old ones."""
    def folder_for(pipeline: Path, **options: object) -> Path:
        config = GenerateConfig(world="mini", generator="diffusers", cfg=2.0, per_class=3, steps=2,
                                batch_size=5, shard_size=10,
                                generator_options={"model": str(pipeline), **options})
        return generate_dataset(config, Workspace(tmp_path), make_engine("local", threads=1),
                                quiet=True).path

    # An option spelled out at its default is the same generator: the same dataset.
    assert folder_for(tiny_pipeline, chunk=8).name == reference.name
    # New weights under the same path, or another option, make a new dataset beside the old one.
    pipeline = pipeline_builder(tmp_path / "pipe", seed=0)
    before = folder_for(pipeline)
    shutil.rmtree(pipeline)
    after = folder_for(pipeline_builder(pipeline, seed=1))
    assert after.name != before.name and before.is_dir()
    assert folder_for(tiny_pipeline, chunk=4).name not in {reference.name, before.name, after.name}
    card = json.loads((after / "card.json").read_text())
    assert card["generator_identity"]["chunk"] == 8 and card["generator_identity"]["weights"]


@pytest.mark.parametrize("flags, message", [
    (["--generator", "no-such-model"], "unknown generator 'no-such-model'"),
    (["--cfg", "-1"], "cfg"),
    (["--per-class", "0"], "--per-class"),
    (["--steps", "0"], "steps"),
    (["--prompts", "no-such-strategy"], "unknown prompt strategy"),
    (["--engine", "local", "--address", "ray://head:10001"], "--address needs --engine ray"),
])
def test_bad_input_is_one_line_and_exit_2(flags, message, tmp_path, cli):
    base = ["generate", "--per-class", "2", "--workspace", str(tmp_path), "--quiet",
            "--generator", "diffusers", "--set", "generator_options.model=/nonexistent/pipe"]
    result = cli(*base, *flags)
    assert result.code == 2
    assert result.err.count("\n") == 1 and message in result.err
    assert not (tmp_path / "datasets").exists()


def test_measure_scores_a_generated_dataset_by_name(reference, monkeypatch, cli):
    # A seeded untrained reference is enough to check the plumbing (RGB 16x16 -> the world's grey,
    # 2 images per class by lowest id); the metrics' values are tested in tests/metrics.
    torch.manual_seed(0)
    spec = {"model": "mini_resnet", "num_classes": 10, "in_chans": 1, "mean": 0.5, "std": 0.5}
    classifier = TrainedClassifier(create_classifier("mini_resnet", 10, 1), spec)
    monkeypatch.setattr("synscale.train.reference.reference_classifier",
                        lambda world, workspace, **options: classifier)
    workspace = reference.parent.parent
    result = cli("measure", "diffusers-classname", "--per-class", "2", "--workspace", str(workspace),
                 "--json")
    assert result.code == 0, result.err
    (report,) = result.json_lines()
    assert report["dataset"] == reference.name and report["images"] == 20
    assert [row["images"] for row in report["per_class"]] == [2] * 10
    assert 0 <= report["recognizability"] <= 1 and report["diversity"] > 0 and report["fid"] > 0
    too_many = cli("measure", str(reference), "--per-class", "4", "--workspace", str(workspace))
    assert too_many.code == 2 and "fewer than the 4 per class" in too_many.err
