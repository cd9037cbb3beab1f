import pytest
import torch

from synscale.data.datasets import LabeledImages
from synscale.errors import UnknownNameError
from synscale.train.augment import AUGMENTS
from synscale.train.classifier import TrainedClassifier, TrainRecipe, train_classifier
from synscale.train.evaluate import evaluate, score
from synscale.train.models import create_classifier
from synscale.train.schedule import Schedule


def bars(n: int, seed: int) -> LabeledImages:
    """A learnable toy task: class 0 = horizontal bar, class 1 = vertical bar, at random places."""
    g = torch.Generator().manual_seed(seed)
    images = torch.zeros(n, 1, 16, 16, dtype=torch.uint8)
    labels = torch.arange(n) % 2
    pos = torch.randint(2, 14, (n,), generator=g)
    for i in range(n):
        if labels[i] == 0:
            images[i, 0, pos[i], 2:14] = 255
        else:
            images[i, 0, 2:14, pos[i]] = 255
    return LabeledImages(images, labels, "bars")


RECIPE = TrainRecipe(model="mini_resnet", augment="digits", batch_size=32,
                     schedule=Schedule(small_scale=10, small_iterations=60, large_scale=1000,
                                       large_iterations=60, min_iterations=60))


def test_training_learns_and_is_deterministic(tmp_path):
    train, val = bars(200, 0), bars(100, 1)
    a, stats = train_classifier(train, 2, RECIPE, seed=0, quiet=True)
    b, _ = train_classifier(train, 2, RECIPE, seed=0, quiet=True)
    metrics = evaluate(a, val)
    assert stats.iterations == 60 and metrics.top1 > 0.9 and metrics.loss < 0.4
    assert evaluate(b, val).loss == metrics.loss  # same seed: bit-identical run
    c, _ = train_classifier(train, 2, RECIPE, seed=1, quiet=True)
    assert evaluate(c, val).loss != metrics.loss
    a.save(tmp_path)
    assert evaluate(TrainedClassifier.load(tmp_path), val).loss == metrics.loss


def test_vit_trains_too():
    recipe = RECIPE.model_copy(update={"model": "mini_vit"})
    classifier, _ = train_classifier(bars(100, 0), 2, recipe, seed=0, quiet=True)
    assert evaluate(classifier, bars(50, 1)).top1 > 0.6


def test_unknown_model_lists_ours():
    with pytest.raises(UnknownNameError, match="mini_resnet, mini_resnet_wide, mini_vit"):
        create_classifier("tiny_resnet", 10, 1)


def test_score_restricts_logits_to_the_classes_a_set_covers():
    # Class 2 is the argmax, but a set that covers only classes 0 and 1 must ignore it.
    logits = torch.tensor([[1.0, 0.0, 9.0], [0.0, 2.0, 9.0]])
    labels = torch.tensor([0, 1])
    full, restricted = score(logits, labels), score(logits, labels, classes=[0, 1])
    assert full.top1 == 0.0 and restricted.top1 == 1.0
    assert restricted.loss < full.loss
    assert [c["class_id"] for c in restricted.per_class] == [0, 1]


def test_augmentations_keep_shape_and_change_pixels():
    x = torch.rand(8, 1, 16, 16)
    g = torch.Generator().manual_seed(0)
    for name in ("digits", "imagenet"):
        y = AUGMENTS.create(name)(x, g)
        assert y.shape == x.shape and not torch.allclose(x, y)
