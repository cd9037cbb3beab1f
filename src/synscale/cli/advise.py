"""Commands that advise before paying for synthetic data: predict, allocate (docs/advise.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synscale.cli.app import JsonOpt, WorkspaceOpt, app, out, print_json, print_table

StudyOpt = Annotated[str | None, typer.Option(
    help="Study whose grid to use (default: the one with the most configurations with curves).")]
LevelOpt = Annotated[float, typer.Option(help="Confidence level of the intervals.")]


@app.command()
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
