"""The paper's figures, one function each, drawn from a ``ReportData`` with matplotlib (Agg).

Every function returns a ``matplotlib.figure.Figure`` (no pyplot state, so they run in threads
and tests) or raises ``MissingData`` saying what the store lacks. Artists carry a ``gid`` naming
what they show (``data:<curve>``, ``fit:<curve>``, ``break:<curve>``, ``configs:<generator>/
<prompts>``, ...), so a caller or a test can find them. From Python::

    from synscale.report import ReportData, figures
    data = ReportData.load("workspace/demo")
    figures.figure3(data).savefig("figure3.png")
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import FormatStrFormatter

from synscale.errors import DataError
from synscale.report.data import VAL, MissingData, ReportData, finite

GROUP_COLOURS = {"scaling": "tab:red", "easy": "tab:blue", "poor": "tab:green"}  # as in the paper
MARKERS = "os^Dv*PXh<>p"
SAMPLES_PER_CLASS = 8


def figure2(data: ReportData) -> Figure:
    """-log L at D_I against recognizability and diversity: one marker per generation
    configuration (shape: generator and prompts; colour: CFG), and the real data's level."""
    grid = data.grid.drop_duplicates("dataset") if not data.grid.empty else data.grid
    if grid.empty or grid["perf_ref"].isna().all():
        raise MissingData("no study grid with runs at D_I (the study_grid view is empty)")
    grid = grid[grid["perf_ref"].notna()]
    fig = Figure(figsize=(11, 4.4), layout="constrained")
    axes = fig.subplots(1, 2, sharey=True)
    norm = Normalize(float(grid["cfg"].min()), float(max(grid["cfg"].max(), grid["cfg"].min() + 1)))
    kinds = list(dict.fromkeys(zip(grid["generator"], grid["prompts"], strict=True)))
    real = _real_point(data)
    for ax, metric in zip(axes, ("recognizability", "diversity"), strict=True):
        for i, (generator, prompts) in enumerate(kinds):
            rows = grid[(grid["generator"] == generator) & (grid["prompts"] == prompts)
                        & grid[metric].notna()]
            ax.scatter(rows[metric], rows["perf_ref"], c=rows["cfg"], cmap="viridis", norm=norm,
                       marker=MARKERS[i % len(MARKERS)], s=60, edgecolors="black", linewidths=0.5,
                       gid=f"configs:{generator}/{prompts}")
        if real["perf_ref"] is not None and real.get(metric) is not None:
            ax.scatter([real[metric]], [real["perf_ref"]], marker="*", s=260, color="crimson",
                       edgecolors="black", gid="real", zorder=3)
        elif real["perf_ref"] is not None:  # the real pool was not measured: its level only
            ax.axhline(real["perf_ref"], color="crimson", ls="--", lw=1, gid="real-level")
        ax.set_xlabel(metric)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(r"$-\log L_{D_I}$" + f"  (D_I = {data.reference_scale:,.0f})")
    handles = [Line2D([], [], marker=MARKERS[i % len(MARKERS)], ls="", color="grey",
                      markeredgecolor="black", label=f"{g} / {p}") for i, (g, p) in enumerate(kinds)]
    measured = real.get("recognizability") is not None
    handles.append(Line2D([], [], marker="*" if measured else "", ls="" if measured else "--",
                          color="crimson", markersize=12,
                          label="real data" if measured else "real data (pool not measured)"))
    axes[1].legend(handles=handles, fontsize=7, loc="best")
    fig.colorbar(axes[0].collections[0], ax=axes, label="CFG scale", shrink=0.9)
    return fig


def figure3(data: ReportData) -> Figure:
    """Scaling curves on the validation set: data, fitted power law with k and its interval,
    breaks (dashed verticals), the range past the real pool shaded; other classifiers dotted."""
    fig = Figure(figsize=(8, 5.5), layout="constrained")
    ax = fig.subplots()
    if not _draw_curves(ax, data, VAL, "loss"):
        raise MissingData("no curve has runs on the validation set")
    ax.set_title("validation set (in-domain)")
    return fig


def figure4(data: ReportData) -> Figure:
    """Figure 3 per OOD set: loss (top row, with fits) and top-1 (bottom row)."""
    if not data.ood_sets:
        raise MissingData("no run was evaluated on an OOD set (the study has no OOD sets)")
    n = len(data.ood_sets)
    fig = Figure(figsize=(5.2 * n, 8.5), layout="constrained")
    axes = fig.subplots(2, n, squeeze=False)
    for column, set_name in enumerate(data.ood_sets):
        _draw_curves(axes[0, column], data, set_name, "loss")
        _draw_curves(axes[1, column], data, set_name, "top1")
        axes[0, column].set_title(set_name)
    return fig


def figure5(data: ReportData) -> Figure:
    """Samples of two classes of each group (scaling / easy / poor) of the per-class curve,
    read from its dataset's shards."""
    from synscale.data.synthetic import SyntheticDataset

    curve, table = data.class_curve()
    dataset = data.curve(curve).dataset
    folder = data.workspace / "datasets" / str(dataset)
    try:
        source = SyntheticDataset(folder)
        counts = source.manifest.groupby("class_id").size()
        images = source.load(per_class=int(min(SAMPLES_PER_CLASS, counts.min())))
    except DataError as exc:
        raise MissingData(f"the images of {dataset} cannot be read ({exc})") from None
    names = source.manifest.drop_duplicates("class_id").set_index("class_id")["class_name"]
    chosen = chosen_classes(table)
    fig = Figure(figsize=(8, 1.6 * len(chosen)), layout="constrained")
    axes = fig.subplots(len(chosen), 2, squeeze=False)
    labels = images.labels.numpy()
    for row, (group, classes) in enumerate(chosen.items()):
        for column in range(2):
            ax = axes[row, column]
            ax.set_axis_off()
            if column >= len(classes):
                continue
            picked = images.images[labels == classes[column]]
            ax.imshow(_montage(picked.numpy()), cmap="gray", vmin=0, vmax=255, gid=f"samples:{group}")
            ax.set_title(f"{group}: class {classes[column]} ({names.get(classes[column], '?')})",
                         fontsize=9, color=GROUP_COLOURS[group])
    fig.suptitle(f"{dataset}", fontsize=9)
    return fig


def figure6(data: ReportData) -> Figure:
    """Per-class k against -log L at D_I, coloured by diversity, recognizability and the
    performance at the curve's largest scale."""
    curve, table = data.class_curve()
    final = _final_class_performance(data, curve)
    colours = {"diversity": table["diversity"], "recognizability": table["recognizability"],
               f"-log L at D = {final[1]:,.0f}": table["class_id"].map(final[0])}
    fig = Figure(figsize=(13, 4), layout="constrained")
    axes = fig.subplots(1, 3, sharey=True)
    for ax, (label, values) in zip(axes, colours.items(), strict=True):
        values = pd.to_numeric(values, errors="coerce")
        measured = values.notna().any()
        points = ax.scatter(table["k"], table["perf_ref"], c=values if measured else "grey",
                            cmap="viridis", s=30, gid="classes")
        if measured:
            fig.colorbar(points, ax=ax, label=label)
        ax.set_title(label if measured else f"{label}: not measured", fontsize=9)
        ax.set_xlabel("k (per class)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel(r"$-\log L_{D_I}$ (per class)")
    fig.suptitle(data.curve(curve).name, fontsize=9)
    return fig


def figure7(data: ReportData) -> Figure:
    """Per-class loss curves of two classes of each group, synthetic (solid) against real
    (dashed, the real curve of the same classifier)."""
    curve, table = data.class_curve()
    info = data.curve(curve)
    real = next((c.key for c in data.curves_of("real", info.model)), None)
    chosen = chosen_classes(table)
    fig = Figure(figsize=(13, 4), layout="constrained")
    axes = fig.subplots(1, len(chosen), sharey=True, squeeze=False)[0]
    for ax, (group, classes) in zip(axes, chosen.items(), strict=True):
        for shade, class_id in zip((1.0, 0.55), classes, strict=False):
            fit = table[table["class_id"] == class_id].iloc[0]
            for key, style, kind, k in ((curve, "-", "syn", fit["k"]),
                                        (real, "--", "real", fit.get("real_k"))):
                means = _class_means(data, key, class_id)
                if means.empty:
                    continue
                k_text = f", k={k:.3f}" if finite(k) is not None else ""
                ax.plot(means["D"], means["loss"], style, marker="o", ms=3,
                        color=GROUP_COLOURS[group], alpha=shade, gid=f"{kind}:{class_id}",
                        label=f"{kind} class {class_id}{k_text}")
        ax.set(xscale="log", yscale="log", xlabel="training images D", title=group)
        ax.legend(fontsize=7)
        ax.grid(alpha=0.3, which="both")
    axes[0].set_ylabel("validation loss of the class")
    fig.suptitle(f"{info.name} vs real" if real else f"{info.name} (no real curve stored)",
                 fontsize=9)
    return fig


def figure8(data: ReportData) -> Figure:
    """CLIP scaling curves (real / synthetic / mixed): zero-shot loss with power-law fits and
    top-1 on val against the number of captions (report/clip.py; Table 1 below it)."""
    from synscale.report.clip import figure8 as clip_figure8

    return clip_figure8(data.workspace)


FIGURES: dict[str, Callable[[ReportData], Figure]] = {
    "figure2": figure2, "figure3": figure3, "figure4": figure4, "figure5": figure5,
    "figure6": figure6, "figure7": figure7, "figure8": figure8}


def save_figure(fig: Figure, folder: Path, name: str) -> dict[str, Path]:
    """``<name>.png`` and ``<name>.svg`` in ``folder``; no date in the SVG, so a rebuild from
    the same store gives the same bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"png": folder / f"{name}.png", "svg": folder / f"{name}.svg"}
    fig.savefig(paths["png"], dpi=100)
    fig.savefig(paths["svg"], metadata={"Date": None})
    return paths


# -- per-class choices, shared by Figures 5, 6 and 7 -----------------------------------------

def chosen_classes(table: pd.DataFrame, per_group: int = 2) -> dict[str, list[int]]:
    """Two classes per group, the most typical of it: scaling - largest k; easy - best
    -log L at D_I; poor - worst -log L at D_I. Groups with no class are left out."""
    order = {"scaling": ("k", False), "easy": ("perf_ref", False), "poor": ("perf_ref", True)}
    out = {}
    for group, (column, ascending) in order.items():
        rows = table[table["class_group"] == group].sort_values(column, ascending=ascending)
        if not rows.empty:
            out[group] = [int(c) for c in rows["class_id"].head(per_group)]
    return out


# -- helpers ---------------------------------------------------------------------------------

def _draw_curves(ax: Axes, data: ReportData, set_name: str, metric: str) -> int:
    """Every curve on one set: mean over seeds per scale, and for the loss its power-law fit
    over the fitted range. Returns the number of curves drawn."""
    # A grid configuration's single run at D_I is no curve.
    curves = [(c, m) for c in data.curves if len(m := data.curve_means(c.key, set_name)) >= 2]
    for (curve, means), colour in zip(curves, _colours(len(curves)), strict=True):
        style = "-" if curve.model == data.base_model else ":"
        fit = data.fit_result(curve.key, set_name) if metric == "loss" else None
        label = curve.name if curve.model == data.base_model else f"{curve.name} ({curve.model})"
        ax.plot(means["D"], means[metric], "o", color=colour, ms=4, gid=f"data:{curve.name}",
                label=None if fit else label)
        if fit is not None:
            D = np.geomspace(fit.D.min(), fit.D.max(), 50)
            lo, hi = (_fmt(v) for v in fit.k_ci)
            ax.plot(D, fit.predict(D).loss, style, color=colour, lw=1.5, gid=f"fit:{curve.name}",
                    label=f"{label}: k={fit.k:.3f} [{lo}, {hi}]")
            stored = data.fit(curve.key, set_name) or {}
            break_D = finite((stored.get("power_law_range") or {}).get("break_D"))
            if break_D is not None:
                ax.axvline(break_D, color=colour, ls="--", lw=0.8, gid=f"break:{curve.name}")
    if not curves:
        return 0
    if np.isfinite(data.real_pool) and data.points["D"].max() > data.real_pool:
        ax.axvspan(data.real_pool, data.points["D"].max() * 1.3, color="grey", alpha=0.15,
                   gid="past-real-pool", label=f"past the real pool (D > {data.real_pool:,.0f})")
    ax.set_xscale("log")
    if metric == "loss":
        ax.set_yscale("log")
        ax.yaxis.set_major_formatter(FormatStrFormatter("%.3g"))
        ax.yaxis.set_minor_formatter(FormatStrFormatter("%.3g"))
    ax.set(xlabel="training images D", ylabel=f"{set_name} {'loss' if metric == 'loss' else 'top-1'}")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    return len(curves)


def _real_point(data: ReportData) -> dict[str, float | None]:
    """The real data at D_I: -log of the mean val loss of the real curve there (its fit if no
    run sits at D_I), and the real pool's measured recognizability and diversity if stored."""
    real = data.curves_of("real", data.base_model)
    out: dict[str, float | None] = {"perf_ref": None}
    if real:
        means = data.curve_means(real[0].key, VAL)
        at = means[means["D"] == data.reference_scale]
        fit = data.fit(real[0].key, VAL)
        out["perf_ref"] = (float(-np.log(at["loss"].iloc[0])) if not at.empty
                           else finite((fit or {}).get("params", {}).get("perf_ref")))
    measured = data.dataset_metrics[data.dataset_metrics["dataset"].str.startswith("real:")]
    if not measured.empty:
        out["recognizability"] = finite(measured["recognizability"].iloc[0])
        out["diversity"] = finite(measured["diversity"].iloc[0])
    return out


def _final_class_performance(data: ReportData, curve: str) -> tuple[dict[int, float], float]:
    rows = data.class_points[data.class_points["curve"] == curve]
    if rows.empty:
        return {}, float("nan")
    largest = rows["D"].max()
    final = rows[rows["D"] == largest].groupby("class_id")["loss"].mean()
    return {int(c): float(-np.log(v)) for c, v in final.items()}, float(largest)


def _class_means(data: ReportData, curve: str | None, class_id: int) -> pd.DataFrame:
    rows = data.class_points[(data.class_points["curve"] == curve)
                             & (data.class_points["class_id"] == class_id)]
    return rows.groupby("D", as_index=False)["loss"].mean()


def _montage(images: np.ndarray, columns: int = SAMPLES_PER_CLASS) -> np.ndarray:
    """``[N, C, H, W]`` uint8 images side by side in one row: ``[H, W]`` grey or ``[H, W, 3]``."""
    tiles = [img[0] if img.shape[0] == 1 else img.transpose(1, 2, 0) for img in images[:columns]]
    return np.concatenate(tiles, axis=1)


def _colours(n: int) -> list[tuple[float, ...]]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def _fmt(value: float | None) -> str:
    return "unbounded" if value is None else f"{value:.3f}"
