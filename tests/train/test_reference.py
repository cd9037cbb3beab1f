import pytest
import torch
from safetensors.torch import save_file

from synscale.errors import DataError
from synscale.train import reference
from synscale.train.classifier import TrainedClassifier, TrainRecipe
from synscale.train.models import create_classifier
from synscale.train.schedule import Schedule
from synscale.workspace import Workspace
from synscale.worlds import get_world

SHORT = TrainRecipe(schedule=Schedule(small_iterations=30, large_iterations=30, min_iterations=30))


def test_trained_once_per_workspace_then_loaded(tmp_path, monkeypatch):
    world, ws = get_world("mini"), Workspace(tmp_path)
    first = reference.reference_classifier(world, ws, SHORT, quiet=True)
    images = world.pool("val").images[:64]
    logits, features = first.logits_and_features(images)
    assert logits.shape == (64, 10) and features.shape[0] == 64
    assert not list(tmp_path.glob("checkpoints/*/*"))  # no scratch left once saved

    def no_training(*a, **k):
        raise AssertionError("the cached reference classifier was trained again")

    monkeypatch.setattr(reference, "train_classifier", no_training)
    again = reference.reference_classifier(world, ws, SHORT, quiet=True)
    assert torch.equal(again.logits_and_features(images)[0], logits)


def test_local_timm_weights(tmp_path):
    model = create_classifier("mini_resnet", 5, 3)
    save_file(model.state_dict(), str(tmp_path / "w.safetensors"))
    loaded = TrainedClassifier.from_timm_weights("mini_resnet", tmp_path / "w.safetensors", 5)
    images = torch.randint(0, 255, (2, 3, 16, 16), dtype=torch.uint8)
    assert loaded.logits_and_features(images)[0].shape == (2, 5)
    with pytest.raises(DataError, match="not found"):
        TrainedClassifier.from_timm_weights("mini_resnet", tmp_path / "missing.pth", 5)
