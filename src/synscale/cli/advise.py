"""Commands that advise before paying for synthetic data: predict, allocate (docs/advise.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synscale.cli.app import JsonOpt, WorkspaceOpt, app, out, print_json, print_table

StudyOpt = Annotated[str | None, typer.Option(
    help="Study whose grid to use (default: the one with the most configurations with curves).")]
LevelOpt = Annotated[float, typer.Option(help="Confidence level of the intervals.")]


@app.command(epilog="Example: synscale predict -w ws --json")
def predict(
    dataset: Annotated[str | None, typer.Option(
        help="Predict for this measured dataset (a configuration, a dataset name or prefix).")] = None,
    method: Annotated[str, typer.Option(
        help="With --dataset: metrics or metrics+pilot (needs its runs at the two smallest scales).")] = "metrics",
    study: StudyOpt = None,
    level: LevelOpt = 0.95,
    boot: Annotated[int, typer.Option(help="Bootstrap resamples of the Spearman intervals.")] = 2000,
    workspace: WorkspaceOpt = Path("workspace"),
    json_: JsonOpt = False,
) -> None:
    """Predict k and -log L_{D_I} from cheap measurements: leave-one-configuration-out scores of
    the model and two baselines, or a prediction with an interval for one dataset."""
    from synscale.advise.commands import finite, predict_dataset, predict_scores
    from synscale.workspace import Workspace

    ws = Workspace(workspace, create=False)
    if dataset is not None:
        result = predict_dataset(ws, dataset, study, method, level)
        if json_:
            for row in result["predictions"]:
                print_json({"dataset": result["dataset"], **row,
                            "interval": [finite(v) for v in row["interval"]]})
            return
        print_table([{"target": r["target"], "method": r["method"], "predicted": r["predicted"],
                      f"{level:.0%} interval": _interval(r["interval"]),
                      "measured": r.get("measured", "-")} for r in result["predictions"]],
                    f"{result['dataset']} (study {result['study']}, jackknife+)")
        return
    result = predict_scores(ws, study, level, boot)
    if json_:
        for score in result["scores"]:
            print_json({"study": result["study"], **{k: finite(v) if not isinstance(v, list) else
                                                     [finite(x) for x in v] for k, v in score.items()}})
        return
    print_table([{"target": s["target"], "method": s["method"], "n": s["n"],
                  "spearman": s["spearman"], f"{level:.0%} interval": _interval(s["spearman_ci"]),
                  "minus recognizability": s["vs_recognizability"],
                  "its interval": _interval(s["vs_recognizability_ci"]), "rmse": s["rmse"]}
                 for s in result["scores"]],
                f"leave one configuration out: study {result['study']}, {result['configurations']} "
                f"configurations, small scales {result['small_scales']}")
    for note in result["notes"]:
        out.print(f"note: {note}")


def _interval(pair: list[float]) -> str:
    return " .. ".join(f"{v:.3g}" for v in pair)


@app.command(epilog="Example: synscale allocate -w ws --budget 2000 --out plan.yaml")
def allocate(
    budget: Annotated[int, typer.Option(help="Images to generate in total (at least one per class).")],
    pilot: Annotated[str | None, typer.Option(
        help="Curve whose per-class fits to use (default: the study's synthetic curve with "
             "per-class fits and the most scales).")] = None,
    minimum: Annotated[int | None, typer.Option(
        help="Images every class gets at least (default: the pilot's smallest per-class count, "
             "or budget / classes if smaller).")] = None,
    per_class_config: Annotated[bool, typer.Option(
        "--per-class-config", help="Also choose each class's configuration (CFG, prompts) among the "
                                   "study's configurations of the pilot's generator.")] = False,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="Write the generation plan (YAML) for `synscale generate --config`.")] = None,
    study: StudyOpt = None,
    workspace: WorkspaceOpt = Path("workspace"),
    json_: JsonOpt = False,
) -> None:
    """Spread a budget of images over classes to minimise the loss predicted by a pilot curve's
    per-class power laws (greedy marginal gains: exact for these convex laws)."""
    from synscale.advise.commands import allocate_budget
    from synscale.workspace import Workspace

    result = allocate_budget(Workspace(workspace, create=False), budget, pilot, study, minimum,
                             per_class_config, out_file)
    if json_:
        print_json(result)
        return
    print_table([{"class": r["class_id"], "images": r["count"], "share": r["count"] / budget,
                  "k": r["k"], "predicted loss": r["predicted_loss"], "configuration": r["config"]}
                 for r in result["classes"]],
                f"{budget} images over {len(result['classes'])} classes (pilot {result['pilot']}, "
                f"plan {result['plan']})")
    out.print(f"predicted validation loss {result['predicted_loss']:.4f}; uniform "
              f"{result['uniform_predicted_loss']:.4f}" if result["uniform_predicted_loss"] is not None
              else f"predicted validation loss {result['predicted_loss']:.4f}")
    if result["out"]:
        out.print(f"plan written to {result['out']}: synscale generate --config {result['out']} "
                  f"-w {workspace}")
