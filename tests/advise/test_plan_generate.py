"""An allocation's plan goes through ``synscale generate``: the manifest and card record each
class's count and settings, and a planned image regenerates to the same bytes."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
import yaml
from advise_store import make_store

from synscale.data.synthetic import SyntheticDataset
from synscale.generators.stage.plan import GenerateConfig
from synscale.generators.stage.regenerate import regenerate_image
from synscale.store import ResultsStore


def _tiny_pipeline(folder: Path) -> Path:
    path = Path(__file__).parents[1] / "generation" / "conftest.py"
    spec = importlib.util.spec_from_file_location("generation_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_tiny_pipeline(folder)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> Path:
    return _tiny_pipeline(tmp_path_factory.mktemp("tiny") / "pipe")


def _dataset(workspace: Path) -> SyntheticDataset:
    (folder,) = [p for p in (workspace / "datasets").iterdir() if not p.name.startswith(".")]
    return SyntheticDataset(folder)


def _pilot_store(root: Path, pipeline: Path) -> None:
    """The made-up study plus a pilot curve on c00 with per-class fits and its dataset's config."""
    make_store(root, n_configs=6)
    config = GenerateConfig(world="mini", generator="diffusers", cfg=2.0, prompts="classname",
                            per_class=200, steps=2, batch_size=5, shard_size=10,
                            generator_options={"model": str(pipeline)})
    with ResultsStore(root / "results.duckdb") as store:
        store.replace_rows("study_curves", {"study": "s"}, [{
            "study": "s", "name": "pilot", "curve": "mini/syn:d00/m", "world": "mini",
            "data": "syn:d00", "model": "m", "kind": "syn", "config": "c00", "real_images": 0}])
        store.replace_rows("class_fits", {"curve": "mini/syn:d00/m"}, [
            {"curve": "mini/syn:d00/m", "set_name": "val", "class_id": c, "k": 0.1 + 0.05 * c,
             "perf_ref": 1.0 + 0.1 * c} for c in range(10)])
        store.replace_rows("datasets", {"dataset": "d00"}, [{
            "dataset": "d00", "world": "mini", "generator": "diffusers", "cfg": 2.0,
            "prompts": "classname", "seed": 0, "per_class": 200, "images": 2000,
            "config": json.dumps(config.model_dump(mode="json"))}])


def test_allocation_plan_round_trips_through_generate(cli, tmp_path, pipeline):
    _pilot_store(tmp_path, pipeline)
    plan_file = tmp_path / "plan.yaml"
    result = cli("allocate", "-w", tmp_path, "--budget", "23", "--minimum", "1", "--out", plan_file,
                 "--json")
    assert result.code == 0, result.err
    allocation = result.json_lines()[0]
    counts = {row["class_id"]: row["count"] for row in allocation["classes"]}
    assert sum(counts.values()) == 23 and len(set(counts.values())) > 1  # not uniform
    assert yaml.safe_load(plan_file.read_text())["class_plan"] == [
        {"class_id": c, "count": n} for c, n in sorted(counts.items())]

    made = cli("generate", "--config", plan_file, "--threads", "1", "-w", tmp_path, "--quiet")
    assert made.code == 0, made.err
    dataset = _dataset(tmp_path)
    manifest = dataset.manifest
    assert manifest.groupby("class_id").size().to_dict() == counts
    assert set(manifest["cfg"]) == {2.0} and sorted(manifest["id"]) == list(range(23))
    assert dataset.card["class_counts"] == {str(c): n for c, n in counts.items()}
    assert [row["count"] for row in dataset.card["class_plan"]] == [counts[c] for c in sorted(counts)]
    with ResultsStore(tmp_path / "results.duckdb") as store:
        assert store.table("allocations")["count"].sum() == 23


def test_per_class_settings_reach_every_image(tmp_path, pipeline):
    from synscale.engine import make_engine
    from synscale.generators.stage.dataset import generate_dataset
    from synscale.workspace import Workspace

    plan = [{"class_id": 0, "count": 3, "cfg": 1.0}, {"class_id": 3, "count": 2},
            {"class_id": 7, "count": 4, "prompts": "clip_templates_80", "cfg": 4.0}]
    config = GenerateConfig(world="mini", generator="diffusers", cfg=2.0, prompts="classname",
                            steps=2, batch_size=5, shard_size=10, class_plan=plan,
                            generator_options={"model": str(pipeline)})
    generate_dataset(config, Workspace(tmp_path), make_engine("local", threads=1), quiet=True)
    dataset = _dataset(tmp_path)
    manifest = dataset.manifest.sort_values("id")
    assert manifest["class_id"].tolist() == [0] * 3 + [3] * 2 + [7] * 4
    assert manifest["cfg"].tolist() == [1.0] * 3 + [2.0] * 2 + [4.0] * 4
    classname = set(manifest.loc[manifest["class_id"] == 3, "prompt"])
    templates = manifest.loc[manifest["class_id"] == 7, "prompt"].tolist()
    assert len(classname) == 1 and all(p != templates[0] for p in classname)
    assert len(set(templates)) > 1  # CLIP templates, not the bare class name
    assert dataset.card["class_plan"][2] == {"class_id": 7, "count": 4, "cfg": 4.0,
                                             "prompts": "clip_templates_80"}
    # the batch 0..4 mixes CFG 1 and 2; image 1 regenerates to the same bytes
    assert regenerate_image(dataset, 1, tmp_path / "one.png", threads=1)["identical"]
    # and CFG reached the images: the same plan with class 0 at the dataset's CFG differs there
    other = GenerateConfig.model_validate({**config.model_dump(), "class_plan": [
        {"class_id": 0, "count": 3}, *plan[1:]]})
    generate_dataset(other, Workspace(tmp_path / "b"), make_engine("local", threads=1), quiet=True)
    second = _dataset(tmp_path / "b").manifest.sort_values("id")
    assert (second["sha256"].tolist()[:3] != manifest["sha256"].tolist()[:3])
    assert second["sha256"].tolist()[5:] == manifest["sha256"].tolist()[5:]


def test_a_plan_without_class_plan_keeps_its_old_digest():
    from synscale.generators.stage.dataset import resolved_config

    config = GenerateConfig()
    assert "class_plan" not in resolved_config(config, {"generator": "x"})
    with pytest.raises(ValueError, match="names a class twice"):
        GenerateConfig(class_plan=[{"class_id": 1, "count": 2}, {"class_id": 1, "count": 3}])
