"""Each figure function draws what the hand-built store holds: one artist per curve, point per
configuration or class."""

from __future__ import annotations

import pytest
from matplotlib.figure import Figure
from report_store import CFGS, CLASSES, PROMPTS, SYN_SCALES

from synscale.report import MissingData, ReportData, figures


@pytest.fixture(scope="module")
def data(store_root) -> ReportData:
    return ReportData.load(store_root)


def gids(fig: Figure, prefix: str) -> list:
    return [a for a in fig.findobj() if (a.get_gid() or "").startswith(prefix)]


def test_figure2_one_marker_per_configuration_and_the_real_level(data):
    fig = figures.figure2(data)
    per_panel = sum(len(c.get_offsets()) for c in gids(fig, "configs:")) // 2
    assert per_panel == len(CFGS) * len(PROMPTS)
    assert len(gids(fig, "configs:")) == 2 * len(PROMPTS)  # one marker shape per prompt strategy
    assert len(gids(fig, "real-level")) == 2  # the real pool is not measured: its level instead


def test_figure3_fits_every_curve_and_marks_break_and_real_pool(data):
    fig = figures.figure3(data)
    fits = sorted(a.get_gid() for a in gids(fig, "fit:"))
    assert fits == ["fit:mix", "fit:real", "fit:syn"]  # grid configurations (one run) are no curves
    syn = gids(fig, "data:syn")[0]
    assert len(syn.get_xdata()) == len(SYN_SCALES)
    assert len(gids(fig, "past-real-pool")) == 1
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    real = next(t for t in legend if t.startswith("real: k="))
    assert abs(float(real.split("k=")[1].split()[0]) - 0.3) < 0.01  # built with k = 0.3
    breaks = {a.get_gid() for a in gids(fig, "break:")}
    stored = {f"break:{c.name}" for c in data.curves
              if ((data.fit(c.key, "val") or {}).get("power_law_range") or {}).get("break_D")}
    assert breaks == stored


def test_figure4_loss_and_top1_per_ood_set(data):
    fig = figures.figure4(data)
    assert len(fig.axes) == 2  # one OOD set: loss above, top-1 below
    loss, top1 = fig.axes
    assert len([a for a in loss.lines if a.get_gid().startswith("fit:")]) == 3
    assert not [a for a in top1.lines if a.get_gid().startswith("fit:")]
    assert len([a for a in top1.lines if a.get_gid().startswith("data:")]) == 3


def test_figure5_two_classes_per_group_from_the_shards(data):
    fig = figures.figure5(data)
    images = gids(fig, "samples:")
    assert len(images) == 6
    assert images[0].get_array().shape == (16, 16 * 4)  # 4 images of the class side by side


def test_figure6_one_point_per_class_in_three_panels(data):
    fig = figures.figure6(data)
    panels = gids(fig, "classes")
    assert len(panels) == 3 and all(len(p.get_offsets()) == CLASSES for p in panels)


def test_figure7_synthetic_and_real_curve_per_chosen_class(data):
    fig = figures.figure7(data)
    assert len(gids(fig, "syn:")) == 6 and len(gids(fig, "real:")) == 6
    assert {ax.get_title() for ax in fig.axes} == {"scaling", "easy", "poor"}


def test_chosen_classes_follow_the_stated_rule(data):
    _, table = data.class_curve()
    chosen = figures.chosen_classes(table)
    scaling = table[table["class_group"] == "scaling"].sort_values("k", ascending=False)
    assert chosen["scaling"] == scaling["class_id"].head(2).tolist()


def test_figure8_says_the_store_has_no_clip_runs(data):
    with pytest.raises(MissingData, match="no CLIP runs"):
        figures.figure8(data)


def test_figure4_without_ood_sets_says_so(bare_root):
    with pytest.raises(MissingData, match="OOD"):
        figures.figure4(ReportData.load(bare_root))
