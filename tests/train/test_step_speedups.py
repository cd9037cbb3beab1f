"""The trainer's speed-ups keep the numbers: a run ends with the very weights the plain per-tensor
AdamW loop gives (docs/training.md#throughput)."""

from __future__ import annotations

import pytest
import torch
from trainsets import bars

from synscale.train.classifier import TrainRecipe, train_classifier
from synscale.train.schedule import Schedule

STEPS = Schedule(small_scale=10, small_iterations=25, large_scale=1000, large_iterations=25,
                 min_iterations=25)


@pytest.mark.parametrize("model", ["mini_resnet", "mini_vit"])
def test_the_multi_tensor_optimizer_gives_the_weights_of_the_per_tensor_loop(model, monkeypatch):
    recipe = TrainRecipe(model=model, augment="digits", batch_size=16, schedule=STEPS)
    data = bars(64, 3)
    fast, _ = train_classifier(data, 2, recipe, seed=5, quiet=True)

    plain_adamw = torch.optim.AdamW

    def per_tensor_adamw(*args, **kwargs):
        return plain_adamw(*args, **{**kwargs, "foreach": False})

    monkeypatch.setattr(torch.optim, "AdamW", per_tensor_adamw)
    plain, _ = train_classifier(data, 2, recipe, seed=5, quiet=True)
    fast_state, plain_state = fast.model.state_dict(), plain.model.state_dict()
    assert fast_state.keys() == plain_state.keys()
    assert all(torch.equal(fast_state[k], plain_state[k]) for k in fast_state)
