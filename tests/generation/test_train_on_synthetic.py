"""A generated dataset is training data like any other: `synscale train --data syn:<name>`."""

from __future__ import annotations

from synscale.engine import make_engine
from synscale.generators.stage.dataset import generate_dataset
from synscale.generators.stage.plan import GenerateConfig
from synscale.workspace import Workspace


def test_train_a_curve_on_a_synthetic_dataset_by_name(tiny_pipeline, tmp_path, cli, fast_recipe):
    config = GenerateConfig(world="mini", generator="diffusers", cfg=2.0, prompts="classname",
                            per_class=4, seed=0, steps=2, batch_size=20, shard_size=20,
                            generator_options={"model": str(tiny_pipeline)})
    generate_dataset(config, Workspace(tmp_path), make_engine("local", threads=1), quiet=True)
    (name,) = [p.name for p in (tmp_path / "datasets").iterdir() if not p.name.startswith(".")]
    prefix = name.rsplit("-", 1)[0]  # a unique prefix of the folder name is enough

    result = cli("train", "--world", "mini", "--data", f"syn:{prefix}", "--scales", "20,40",
                 "--workspace", tmp_path, "--json", *fast_recipe)
    assert result.code == 0, result.err
    runs = result.json_lines()
    assert [r["scale"] for r in runs] == [20, 40] and runs[0]["data"] == f"syn:{name}"
    assert set(runs[0]["ood"]) == {"digits", "renditions", "sketch"}

    too_big = cli("train", "--data", f"syn:{prefix}", "--scales", "41", "--workspace", tmp_path)
    assert too_big.code == 2 and f"larger than the syn:{name} pool (40 images)" in too_big.err
    missing = cli("train", "--data", "syn:nothing-here", "--scales", "10", "--workspace", tmp_path)
    assert missing.code == 2 and "no synthetic dataset 'nothing-here'" in missing.err
