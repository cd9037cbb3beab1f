"""The study file's ``clip:`` section: synthetic pairs, a CFG sweep, three curves, fits; a rerun
trains nothing; a bad section fails before any work."""

from __future__ import annotations

import json

import duckdb
import yaml

from tests.clip.conftest import write_pair_table


def clip_study(folder, pairs, **clip):
    section = {"pairs": f"table:{pairs}", "steps": 4, "cfg_sweep": [1, 3], "sweep_scale": 8,
               "scales": [8, 16, 24], "recipe": {"epochs": 2, "batch_size": 8}, "templates": "7"}
    study = {"name": "clip", "world": "mini", "clip": section | clip}
    path = folder / "clip.yaml"
    path.write_text(yaml.safe_dump(study, sort_keys=False))
    return path


def test_clip_section_runs_sweep_and_curves_then_rerun_trains_nothing(cli, tmp_path, monkeypatch):
    pairs = write_pair_table(tmp_path / "pairs", 24)
    study, ws = clip_study(tmp_path, pairs), tmp_path / "ws"
    # study plan counts the stage's work: 2 sweep runs + 3 curves x 3 scales, less the syn curve's
    # run at the sweep scale (the winner's sweep run); 2 epochs of each run's captions.
    plan = cli("study", "plan", str(study), "-w", str(ws), "--no-calibrate", "--json")
    assert plan.code == 0, plan.err
    assert json.loads(plan.out)["clip"] == {"runs": 10, "runs_to_train": 10, "images_to_generate": 2 * 24,
                                   "pairs_to_train": 2 * (2 * 8 + 3 * (8 + 16 + 24) - 8)}
    first = cli("study", "run", str(study), "-w", str(ws), "--workers", "1", "--quiet")
    assert first.code == 0, first.err
    assert "2 clip-generate, 10 clip-train" in first.out
    con = duckdb.connect(str(ws / "results.duckdb"), read_only=True)
    runs = con.execute("SELECT split_part(data, ':', 1) AS kind, scale FROM clip_runs").fetchall()
    # Two sweep runs at 8 captions (the winner's is also the syn curve's first run), 3 x 3 curves.
    assert len(runs) == 2 + 3 * 3 - 1
    assert {k for k, _ in runs} == {"real", "syn", "mix"}
    # The curves use the CFG whose synthetic run at the sweep scale had the lower zero-shot loss.
    sweep = dict(con.execute("SELECT data, val_loss FROM clip_runs WHERE scale = 8 AND data LIKE 'syn:%'"
                             ).fetchall())
    used = {d for (d,) in con.execute("SELECT data FROM clip_runs WHERE scale = 24 AND data LIKE 'syn:%'"
                                      ).fetchall()}
    assert len(sweep) == 2 and used == {min(sweep, key=sweep.get)}
    fits = con.execute("SELECT count(*) FROM fits WHERE curve LIKE 'clip:%'").fetchone()[0]
    assert fits > 0
    failures = con.execute("SELECT count(*) FROM study_failures").fetchone()[0]
    assert failures == 0
    con.close()
    done = json.loads(cli("study", "plan", str(study), "-w", str(ws), "--no-calibrate", "--json").out)["clip"]
    assert done == {"runs": 10, "runs_to_train": 0, "pairs_to_train": 0, "images_to_generate": 0}
    status = json.loads(cli("study", "status", "-w", str(ws), "--json").out)
    assert status["stages"]["clip"] == {"done": 10, "failed": 0, "pending": 0}

    import synscale.clip.runs

    def no_training(*args, **kwargs):
        raise AssertionError("a stored CLIP run was trained again")

    monkeypatch.setattr(synscale.clip.runs, "train_clip", no_training)
    again = cli("study", "run", str(study), "-w", str(ws), "--workers", "1", "--quiet")
    assert again.code == 0, again.err
    con = duckdb.connect(str(ws / "results.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM study_failures").fetchone()[0] == 0
    con.close()


def test_a_bad_clip_section_fails_before_any_work(cli, tmp_path):
    pairs = write_pair_table(tmp_path / "pairs", 24)
    for change, message in ((({"scales": [8, 99]}), "scale 99 is larger than the pair set"),
                            (({"data": ["real", "fake"]}), "unknown CLIP data kind 'fake'"),
                            (({"templates": "3"}), "unknown template set '3'")):
        result = cli("study", "run", str(clip_study(tmp_path, pairs, **change)), "-w",
                     str(tmp_path / "ws"), "--quiet")
        assert result.code == 2 and message in result.err, result.err
        assert len(result.err.strip().splitlines()) == 1
        assert not (tmp_path / "ws").exists()


def test_study_plan_times_the_clip_stage_from_measured_rates(cli, tmp_path):
    pairs = write_pair_table(tmp_path / "pairs", 24)
    result = cli("study", "plan", str(clip_study(tmp_path, pairs)), "-w", str(tmp_path / "ws"), "--json")
    assert result.code == 0, result.err
    summary = json.loads(result.out)
    est, rates = summary["estimate_s"], summary["measured_rates"]
    assert est["clip"] > 0 and est["train"] == 0  # a CLIP-only study
    assert set(rates) == {"clip:synscale-mini-clip", "generate:mini-pixel"} and min(rates.values()) > 0
    parts = [est[k] for k in ("generate", "measure", "train", "analyse", "clip")]
    assert abs(est["total"] - sum(parts)) <= 2  # each part rounded on its own
