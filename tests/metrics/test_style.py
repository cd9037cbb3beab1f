"""The style probe tells the mini world's three styles apart on images it never trained on, and
is trained once per workspace."""

from __future__ import annotations

import pytest
import torch

from synscale.errors import DataError
from synscale.metrics.style import STYLES, style_probe
from synscale.train.classifier import TrainRecipe
from synscale.train.schedule import Schedule
from synscale.workspace import Workspace
from synscale.worlds import get_world

SHORT = TrainRecipe(schedule=Schedule(small_iterations=150, large_iterations=300, min_iterations=150))


@pytest.fixture(scope="module")
def probe_and_workspace(tmp_path_factory):
    workspace = Workspace(tmp_path_factory.mktemp("ws"))
    return style_probe(get_world("mini"), workspace, recipe=SHORT, quiet=True), workspace


def test_the_probe_knows_styles_it_never_trained_on(probe_and_workspace):
    """Held out: val digits (handwritten), renditions in the OOD fonts, outlines of val."""
    probe, _ = probe_and_workspace
    assert set(probe.held_out) == {"val", "renditions", "sketch"}
    assert min(probe.held_out.values()) > 0.8, probe.held_out


def test_shares_count_each_style(probe_and_workspace):
    probe, _ = probe_and_workspace
    world = get_world("mini")
    # Every tenth image: all classes (the pools are ordered by class).
    images = torch.cat([world.pool("val").images[::10], world.ood("sketch").images[::10]])
    shares = probe.shares(images)
    assert set(shares) == set(STYLES) and abs(sum(shares.values()) - 1) < 1e-9
    assert 0.4 < shares["sketch"] < 0.6 and 0.4 < shares["handwritten"] < 0.6, shares


def test_the_probe_is_trained_once_per_workspace(probe_and_workspace, monkeypatch):
    _, workspace = probe_and_workspace
    from synscale.metrics import style

    monkeypatch.setattr(style, "train_classifier", lambda *a, **k: pytest.fail("trained again"))
    again = style_probe(get_world("mini"), workspace, recipe=SHORT, quiet=True)
    assert min(again.held_out.values()) > 0.8


def test_a_world_without_a_web_pool_is_refused(tmp_path):
    with pytest.raises(DataError, match="no web pool"):
        style_probe(get_world("imagenet"), Workspace(tmp_path))
