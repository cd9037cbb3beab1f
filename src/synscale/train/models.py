"""Classifiers are timm models chosen by name; the mini world's small ones are registered here.

``mini_resnet`` and ``mini_vit`` are registered in timm's own registry when synscale first uses
timm (timm and torch take seconds to import, so a check of a mini name or a rerun of stored runs
imports neither); from then on ``timm.create_model("mini_resnet")`` works like any other timm name,
and ``create_classifier`` accepts every timm model (e.g. ``vit_base_patch16_224`` for ImageNet,
as in the paper).
"""

from __future__ import annotations

from functools import cache
from types import ModuleType
from typing import TYPE_CHECKING

from synscale.errors import UnknownNameError

if TYPE_CHECKING:
    from timm.models.resnet import ResNet
    from timm.models.vision_transformer import VisionTransformer
    from torch import nn

MINI_MODELS = ("mini_resnet", "mini_resnet_wide", "mini_vit")


def mini_resnet(pretrained: bool = False, **kwargs: object) -> ResNet:
    """ResNet for 16x16 inputs: 3x3 stem, max-pool, stages of 16/32/64/64 channels at 8/4/2/1 px."""
    return _mini_resnet((16, 32, 64, 64), kwargs)


def mini_resnet_wide(pretrained: bool = False, **kwargs: object) -> ResNet:
    """``mini_resnet`` at twice the width (32/64/128/128 channels, ~4x the parameters): the
    larger-capacity classifier of a study, as ViT-L is to ViT-B in the paper."""
    return _mini_resnet((32, 64, 128, 128), kwargs)


def _mini_resnet(channels: tuple[int, int, int, int], kwargs: dict[str, object]) -> ResNet:
    from timm.models.resnet import BasicBlock, ResNet
    from torch import nn

    kwargs = _architecture_kwargs(kwargs)
    in_chans = int(kwargs.pop("in_chans", 1))
    model = ResNet(BasicBlock, layers=(1, 1, 1, 1), channels=channels, stem_type="deep",
                   stem_width=channels[0] // 2, in_chans=in_chans, **kwargs)
    # The deep stem's stride-2 convs plus max-pool would shrink 16x16 to 4x4 before any stage;
    # one stride-1 conv keeps 8x8 for the first stage (full-resolution stages cost 4x for ~no gain).
    model.conv1 = nn.Conv2d(in_chans, channels[0], kernel_size=3, stride=1, padding=1, bias=False)
    return model


def mini_vit(pretrained: bool = False, **kwargs: object) -> VisionTransformer:
    """ViT for 16x16 inputs: 4x4 patches (16 tokens), width 64, depth 4, 4 heads, mean pooling."""
    from timm.models.vision_transformer import VisionTransformer

    kwargs = _architecture_kwargs(kwargs)
    kwargs.setdefault("in_chans", 1)
    return VisionTransformer(img_size=16, patch_size=4, embed_dim=64, depth=4, num_heads=4,
                             mlp_ratio=2.0, class_token=False, global_pool="avg", **kwargs)


def _architecture_kwargs(kwargs: dict[str, object]) -> dict[str, object]:
    """Drop the pretrained-weight bookkeeping timm passes to every entry point; ours have none."""
    return {k: v for k, v in kwargs.items() if k not in {"pretrained_cfg", "pretrained_cfg_overlay",
                                                          "cache_dir"}}


@cache
def _timm() -> ModuleType:
    """timm, with the mini models in its registry."""
    import timm
    from timm.models import register_model

    for model in (mini_resnet, mini_resnet_wide, mini_vit):
        register_model(model)
    return timm


def check_model_name(name: str) -> None:
    if name not in MINI_MODELS and not _timm().is_model(name):
        raise UnknownNameError("model", name, [*MINI_MODELS, "(or any name in timm.list_models())"])


def create_classifier(name: str, num_classes: int, in_chans: int) -> nn.Module:
    check_model_name(name)
    return _timm().create_model(name, pretrained=False, num_classes=num_classes, in_chans=in_chans)
