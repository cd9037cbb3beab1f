"""Zero-shot evaluation agrees with a direct computation from open_clip's own functions."""

from __future__ import annotations

import open_clip
import pytest
import torch
import torch.nn.functional as F

from synscale.clip.models import MINI_CLIP, create_clip, get_tokenizer
from synscale.clip.zeroshot import class_embeddings, evaluate_zero_shot, templates
from synscale.data.datasets import LabeledImages
from synscale.errors import UnknownNameError

NAMES = ["zero", "one", "two", "three", "four"]


@pytest.fixture(scope="module")
def model():
    """A random CLIP whose image features vary enough that its predictions are not constant."""
    torch.manual_seed(3)
    model = create_clip(MINI_CLIP).eval()
    with torch.no_grad():
        for weight in model.visual.parameters():
            if weight.ndim >= 2:
                weight.normal_(0, 0.3)
    return model


@pytest.fixture(scope="module")
def images():
    g = torch.Generator().manual_seed(0)
    return LabeledImages(torch.randint(0, 256, (60, 1, 16, 16), dtype=torch.uint8, generator=g),
                         torch.randint(0, 5, (60,), generator=g), "random")


def direct(model, images, template_set):
    """open_clip's one-class-at-a-time classifier builder, its image encoder and plain torch."""
    tokenizer = get_tokenizer(MINI_CLIP)
    weights = open_clip.build_zero_shot_classifier_legacy(model, tokenizer, NAMES,
                                                          templates(template_set))
    mean = torch.tensor(model.visual.preprocess_cfg["mean"]).view(1, 3, 1, 1)
    std = torch.tensor(model.visual.preprocess_cfg["std"]).view(1, 3, 1, 1)
    x = (images.images.float() / 255).repeat(1, 3, 1, 1)
    with torch.no_grad():
        features = F.normalize(model.encode_image((x - mean) / std), dim=-1)
        return model.logit_scale.exp() * features @ weights


@pytest.mark.parametrize("template_set", ["80", "7"])
def test_zero_shot_top1_and_loss_match_open_clip(model, images, template_set):
    weights = class_embeddings(model, get_tokenizer(MINI_CLIP), NAMES, template_set)
    ours = evaluate_zero_shot(model, weights, images, batch_size=25)
    logits = direct(model, images, template_set)
    predictions = logits.argmax(1)
    assert len(set(predictions.tolist())) > 1  # the check is not one constant answer
    assert ours.top1 == pytest.approx(float((predictions == images.labels).float().mean()), abs=1e-6)
    assert ours.loss == pytest.approx(float(F.cross_entropy(logits, images.labels)), rel=1e-5)
    assert ours.n == 60
    for row in ours.per_class:
        member = images.labels == row["class_id"]
        assert row["n"] == int(member.sum())
        assert row["top1"] == pytest.approx(float((predictions[member] == row["class_id"]).float().mean()))


def test_a_class_subset_is_scored_over_its_classes_only(model, images):
    subset = LabeledImages(images.images, images.labels % 2 * 3 + 1, "subset", classes=[1, 4])
    weights = class_embeddings(model, get_tokenizer(MINI_CLIP), NAMES, "7")
    ours = evaluate_zero_shot(model, weights, subset)
    logits = direct(model, images, "7")[:, [1, 4]]
    target = (subset.labels == 4).long()
    assert ours.top1 == pytest.approx(float((logits.argmax(1) == target).float().mean()), abs=1e-6)
    assert {r["class_id"] for r in ours.per_class} == {1, 4}


def test_unknown_template_set_lists_the_valid_ones():
    with pytest.raises(UnknownNameError, match="template set '9'.*80, 7"):
        templates("9")
