"""CLIP models are built from configs, never downloaded: the mini config and a tiny ViT-B-16."""

from __future__ import annotations

import open_clip
import pytest
import torch

from synscale.clip.models import MINI_CLIP, create_clip, default_model, get_tokenizer, model_config
from synscale.errors import ConfigError


@pytest.fixture(autouse=True)
def no_downloads(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a CLIP model tried to download weights")

    monkeypatch.setattr(open_clip.factory, "download_pretrained", refuse)
    monkeypatch.setattr(open_clip.factory, "download_pretrained_from_hf", refuse)


def test_mini_config_is_registered_with_open_clip_and_embeds_digits():
    assert default_model("mini") == MINI_CLIP
    model_config(MINI_CLIP)
    assert MINI_CLIP in open_clip.list_models()
    model = create_clip(MINI_CLIP)
    tokens = get_tokenizer(MINI_CLIP)(["seven, a thick handwritten digit", "a sketch of a two"])
    assert tokens.shape == (2, 32)  # the shipped BPE tokenizer at the config's context length
    image = model.encode_image(torch.zeros(3, 3, 16, 16), normalize=True)
    text = model.encode_text(tokens, normalize=True)
    assert image.shape == (3, 64) and text.shape == (2, 64)
    assert torch.allclose(image.norm(dim=1), torch.ones(3))


def test_tiny_vit_b16_shaped_model_builds_for_the_imagenet_path_without_weights():
    assert default_model("imagenet") == "ViT-B-16"
    config = model_config("ViT-B-16")
    assert config["vision_cfg"]["patch_size"] == 16 and config["vision_cfg"]["width"] == 768
    # The ViT-B-16 architecture with its patch size and text context, shrunk in width and depth.
    vision = {**config["vision_cfg"], "image_size": 32, "layers": 1, "width": 64, "head_width": 32}
    text = {**config["text_cfg"], "layers": 1, "width": 32, "heads": 2}
    model = create_clip("ViT-B-16", vision_cfg=vision, text_cfg=text, embed_dim=16)
    assert model.visual.conv1.kernel_size == (16, 16)
    assert model.visual.positional_embedding.shape[0] == (32 // 16) ** 2 + 1
    tokens = get_tokenizer("ViT-B-16")(["a photo of a tench."])
    assert tokens.shape == (1, 77)
    image, text_features, scale = model(torch.zeros(2, 3, 32, 32), tokens)
    assert image.shape == (2, 16) and text_features.shape == (1, 16)
    assert float(scale.detach()) == pytest.approx(1 / 0.07, rel=1e-5)  # fresh temperature: not loaded


def test_unknown_model_lists_the_valid_ones():
    with pytest.raises(ConfigError, match="unknown CLIP model 'ViT-Z'.*ViT-B-16"):
        model_config("ViT-Z")
