"""The trainer's speed-ups keep the numbers: a run ends with the very weights, and checkpoints
the very optimiser state, that torch's own AdamW gives (docs/training.md#throughput)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import torch
from trainsets import bars

from synscale.train import classifier
from synscale.train.checkpoint import load_checkpoint
from synscale.train.classifier import TrainRecipe, train_classifier
from synscale.train.optim import FlatAdamW
from synscale.train.setup import TrainSetup

STEPS = 40
SCHEDULE = {"small_scale": 10, "small_iterations": STEPS, "large_scale": 1000,
            "large_iterations": STEPS, "min_iterations": STEPS}
SETUP = TrainSetup(device="cpu", checkpoint_every=STEPS // 2)  # one checkpoint, at step 20


def recipe(model: str) -> TrainRecipe:
    return TrainRecipe(model=model, augment="digits", batch_size=16, schedule=SCHEDULE)


def torch_adamw(foreach: bool):
    def adamw(model, lr, weight_decay, device):
        return torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay,
                                 foreach=foreach)
    return adamw


def train(model: str, checkpoint: Path) -> dict[str, torch.Tensor]:
    trained, _ = train_classifier(bars(64, 3), 2, recipe(model), seed=5, quiet=True, setup=SETUP,
                                  checkpoint=checkpoint)
    return trained.model.state_dict()


def same_bits(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal to the bit (``torch.equal`` would take -0.0 for 0.0), strides included."""
    if a.stride() != b.stride() or a.dtype != b.dtype or a.shape != b.shape:
        return False
    if not a.is_floating_point():
        return torch.equal(a, b)
    bits = {torch.float32: torch.int32, torch.float64: torch.int64}[a.dtype]
    return torch.equal(a.contiguous().view(bits), b.contiguous().view(bits))


def same_states(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(
        same_states(a[k], b[k]) if isinstance(a[k], dict)
        else same_bits(a[k], b[k]) if isinstance(a[k], torch.Tensor) else a[k] == b[k]
        for k in a)


@pytest.mark.parametrize("model", ["mini_resnet", "mini_resnet_wide", "mini_vit"])
def test_the_flat_optimizer_gives_the_weights_and_state_of_torchs_adamw(model, tmp_path,
                                                                        monkeypatch):
    flat = train(model, tmp_path / "flat.pt")
    for foreach in (True, False):
        with monkeypatch.context() as patch:
            patch.setattr(classifier, "adamw", torch_adamw(foreach))
            plain = train(model, tmp_path / f"plain-{foreach}.pt")
        assert flat.keys() == plain.keys()
        assert [k for k in flat if not same_bits(flat[k], plain[k])] == [], foreach
        # The checkpoint at step 20: the same optimiser state dict, tensor by tensor.
        flat_state = load_checkpoint(tmp_path / "flat.pt")["optimizer"]
        plain_state = load_checkpoint(tmp_path / f"plain-{foreach}.pt")["optimizer"]
        assert flat_state["param_groups"][0]["foreach"] is True
        plain_state["param_groups"][0]["foreach"] = True
        assert same_states(flat_state, plain_state)


def test_a_checkpoint_of_torchs_adamw_resumes_in_the_flat_one_to_the_same_weights(tmp_path,
                                                                                  monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(classifier, "adamw", torch_adamw(True))
        plain = train("mini_resnet", tmp_path / "plain.pt")
    shutil.copy(tmp_path / "plain.pt", tmp_path / "resumed.pt")
    resumed, stats = train_classifier(bars(64, 3), 2, recipe("mini_resnet"), seed=5, quiet=True,
                                      setup=SETUP, checkpoint=tmp_path / "resumed.pt")
    assert stats.resumed_from == STEPS // 2
    weights = resumed.model.state_dict()
    assert all(same_bits(weights[k], plain[k]) for k in plain)


def test_the_flat_optimizer_refuses_a_parameter_without_gradient():
    used, unused = torch.nn.Linear(3, 2), torch.nn.Linear(3, 2)
    optimizer = FlatAdamW([*used.parameters(), *unused.parameters()], lr=0.1, weight_decay=0.1)
    used(torch.ones(1, 3)).sum().backward()
    with pytest.raises(ValueError, match="gradient for every parameter"):
        optimizer.step()


def test_released_parameters_own_their_storage_and_keep_their_layout():
    conv = torch.nn.Conv2d(3, 4, 3).to(memory_format=torch.channels_last)
    strides = conv.weight.stride()
    optimizer = FlatAdamW(conv.parameters(), lr=0.1, weight_decay=0.1)
    assert conv.weight.untyped_storage().data_ptr() == conv.bias.untyped_storage().data_ptr()
    conv(torch.ones(1, 3, 5, 5)).sum().backward()
    optimizer.step()
    before = conv.weight.detach().clone()
    optimizer.release()
    assert conv.weight.untyped_storage().data_ptr() != conv.bias.untyped_storage().data_ptr()
    assert conv.weight.stride() == strides and torch.equal(conv.weight, before)
