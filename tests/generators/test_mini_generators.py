"""Mini generators: training lowers the loss; images depend only on (prompt, seed, CFG, settings);
weights load by path; bad input is one clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from synscale.errors import ConfigError
from synscale.generators import GENERATORS
from synscale.generators.mini.captions import CaptionBank
from synscale.generators.mini.diffusion import MiniDiffusionConfig
from synscale.generators.mini.diffusion_sampler import SamplerSettings, guided_step, make_scheduler
from synscale.generators.mini.families import FAMILIES, build_model, default_config
from synscale.generators.mini.masked import FSQ
from synscale.generators.mini.masked_sampler import masked_after
from synscale.generators.mini.text import Vocabulary
from synscale.generators.mini.train_generator import train_generator
from synscale.generators.mini.training import TrainSettings, train_mini
from synscale.generators.mini.weights import save_mini

TEXT = {"text_width": 16, "text_layers": 1, "text_heads": 2, "cond_dim": 16, "max_len": 8}
TINY = {"pixel": {**TEXT, "widths": (8, 16)},
        "latent": {**TEXT, "widths": (8, 16), "latent_channels": 2, "ae_width": 8},
        "masked": {**TEXT, "levels": (3, 3), "ae_width": 8, "width": 16, "layers": 1, "heads": 2}}
NAMES = ["zero", "one", "two"]


def digit_like_images(n: int, seed: int = 0) -> tuple[torch.Tensor, np.ndarray]:
    """Three classes of 16x16 strokes (vertical, horizontal, diagonal) with jitter."""
    rng = np.random.default_rng(seed)
    labels = np.arange(n) % 3
    images = np.zeros((n, 1, 16, 16), dtype=np.uint8)
    for i, c in enumerate(labels):
        k = int(rng.integers(5, 11))
        if c == 0:
            images[i, 0, 3:13, k] = 255
        elif c == 1:
            images[i, 0, k, 3:13] = 255
        else:
            images[i, 0, np.arange(3, 13), np.arange(3, 13)] = 255
    return torch.from_numpy(images), labels


def bank_for(labels: np.ndarray) -> CaptionBank:
    return CaptionBank(labels, {"classname": [[n] for n in NAMES],
                                "template": [[f"a photo of a {n}"] for n in NAMES]}, {})


@pytest.mark.parametrize("family", FAMILIES)
def test_training_lowers_the_loss(family: str) -> None:
    images, labels = digit_like_images(96)
    config = default_config(family, **TINY[family])
    settings = TrainSettings(steps=150, batch=32, lr=3e-3, warmup=10, ae_steps=60, seed=0)
    _, report = train_mini(config, settings, images, bank_for(labels), quiet=True)
    assert len(report.losses) == 150
    assert np.mean(report.losses[-20:]) < 0.7 * np.mean(report.losses[:20])
    if family != "pixel":
        assert report.ae_steps == 60
        assert np.mean(report.ae_losses[-10:]) < 0.6 * np.mean(report.ae_losses[:10])


@pytest.fixture(scope="module", params=FAMILIES)
def random_weights(request: pytest.FixtureRequest,
                   tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Untrained weights, perturbed so that every layer (text included) shapes the output."""
    family = request.param
    torch.manual_seed(0)
    vocab = Vocabulary.build(["zero one two a photo of"], max_len=8)
    model = build_model(default_config(family, **TINY[family]), vocab)
    with torch.no_grad():
        for p in [p for m in model.generative_modules() for p in m.parameters()]:
            p.add_(0.2 * torch.randn(p.shape))
    folder = tmp_path_factory.mktemp(family) / "weights"
    save_mini(model, folder, {"note": "random weights for tests"})
    return folder


def make(folder: Path, **options: object):
    (family,) = [f for f in FAMILIES if folder.parent.name.startswith(f)]
    options = {"steps": 3, "chunk": 4, **options}
    return GENERATORS.create(f"mini-{family}", weights=folder, **options)


def test_images_depend_only_on_prompt_seed_and_cfg(random_weights: Path) -> None:
    gen = make(random_weights)
    prompts = ["zero", "one", "two", "a photo of a one", "zero", "two"]
    seeds = [10, 11, 12, 13, 14, 15]
    batch = gen.generate(prompts, seeds, 2.0)
    assert batch.dtype == torch.uint8 and batch.shape == (6, 1, 16, 16)
    assert torch.equal(batch, gen.generate(prompts, seeds, 2.0))  # same call, same bytes
    # Alone, or at another position among other images: the same bytes.
    assert torch.equal(gen.generate(["a photo of a one"], [13], 2.0)[0], batch[3])
    mixed = gen.generate(["two", "a photo of a one", "one"], [99, 13, 7], 2.0)
    assert torch.equal(mixed[1], batch[3])
    # A fresh generator object (another worker) gives the same bytes too.
    assert torch.equal(make(random_weights).generate(prompts, seeds, 2.0), batch)
    # Seed, prompt and guidance each change the image.
    assert not torch.equal(gen.generate(["zero"], [1], 2.0), gen.generate(["zero"], [2], 2.0))
    assert not torch.equal(gen.generate(["zero"], [1], 2.0), gen.generate(["one"], [1], 2.0))
    assert not torch.equal(gen.generate(["zero"], [1], 1.0), gen.generate(["zero"], [1], 4.0))


def test_settings_name_everything_that_changes_bytes(random_weights: Path) -> None:
    settings = make(random_weights).settings()
    assert settings["steps"] == 3 and settings["scheduler"] in {"dpmsolver++", "maskgit"}
    assert len(settings["weights_sha256"]) == 64
    assert make(random_weights, steps=4).settings() != settings


def test_guidance_runs_only_over_the_high_noise_steps(random_weights: Path) -> None:
    prompts, seeds = ["zero", "one", "two"], [3, 4, 5]
    unguided = make(random_weights).generate(prompts, seeds, 1.0)
    # Stopping at t >= T means no step is guided: any CFG gives the unguided images.
    assert torch.equal(make(random_weights, guidance_stop=1.0).generate(prompts, seeds, 4.0),
                       unguided)
    every_step = make(random_weights, guidance_stop=0.0).generate(prompts, seeds, 4.0)
    interval = make(random_weights, guidance_stop=0.5).generate(prompts, seeds, 4.0)
    assert not torch.equal(interval, every_step) and not torch.equal(interval, unguided)
    # Default: 8 DPM-Solver++ steps, the first four (t = 999, 874, 749, 624) guided.
    config = MiniDiffusionConfig.for_family("pixel")
    timesteps = [int(t) for t in make_scheduler(config, 8).timesteps]
    assert [t for t in timesteps if guided_step(t, 2.0, SamplerSettings(), config)] == \
        [999, 874, 749, 624]
    assert not any(guided_step(t, 1.0, SamplerSettings(), config) for t in timesteps)


def test_flops_count_two_passes_per_guided_step(random_weights: Path) -> None:
    def flops(cfg: float, **options: object) -> float:
        return make(random_weights, **options).sampler.flops(cfg)

    one_pass = flops(1.0, steps=2) - flops(1.0, steps=1)
    assert one_pass > 0
    unguided = flops(1.0, steps=8)
    assert flops(2.0, steps=8, guidance_stop=0.0) == pytest.approx(unguided + 8 * one_pass)
    assert flops(2.0, steps=8, guidance_stop=0.5) == pytest.approx(unguided + 4 * one_pass)


def test_fsq_tokens_round_trip() -> None:
    fsq = FSQ((3, 5, 7))
    quantized = fsq(torch.randn(6, 3, 4, 4) * 3)
    ids = fsq.indices(quantized)
    assert ids.shape == (6, 16) and 0 <= int(ids.min()) and int(ids.max()) < 3 * 5 * 7
    assert torch.equal(fsq.codes(ids, 4), quantized)
    assert len(set(quantized[:, 0].flatten().tolist())) <= 3  # channel 0 has 3 levels


def test_masked_decoding_reveals_every_token_on_a_cosine_schedule() -> None:
    still_masked = [masked_after(step, 8, 16) for step in range(8)]
    assert still_masked == [15, 14, 13, 11, 8, 6, 3, 0]
    assert masked_after(0, 1, 16) == 0


def test_shipped_weights_load_by_default() -> None:
    for name in ("mini-pixel", "mini-latent", "mini-masked"):
        gen = GENERATORS.create(name, chunk=2, steps=2)
        assert gen.record["data"]["pool"] == "web"
        assert gen.generate(["seven"], [0], 2.0).shape == (1, 1, 16, 16)


def test_bad_input_is_one_clear_error(tmp_path: Path, random_weights: Path) -> None:
    with pytest.raises(ConfigError, match="valid: pixel, latent, masked"):
        train_generator("muse", out=tmp_path / "w", steps=1)
    with pytest.raises(ConfigError, match="no mini generator weights"):
        GENERATORS.create("mini-pixel", weights=tmp_path / "missing")
    with pytest.raises(ConfigError, match="CFG"):
        make(random_weights).generate(["zero"], [0], -1.0)
    with pytest.raises(ConfigError):
        GENERATORS.create("mini-pixel", weights=random_weights, steps=0)
    with pytest.raises(ConfigError, match="guidance_stop"):
        make(random_weights, guidance_stop=1.5)


def test_training_captions_never_contradict_the_images_style() -> None:
    """A styled prompt ("a sketch of a one") captions only images of that style, a plain one only
    handwritten digits; a strategy with no prompt for a style falls back to the image's own
    caption; prompts that fit no image stay out of the vocabulary."""
    from synscale.worlds.mini_web import compatible

    labels = np.array([0, 1, 1, 0, 1, 0])
    styles = ["handwritten", "sketch", "rendition", "handwritten", "sketch", "rendition"]
    own = ["zero, a handwritten digit", "a sketch of a one", "one, set in a serif font",
           "zero, a thin handwritten digit", "an outline of a one", "a rendering of a zero"]
    templates = [[f"a photo of a {n}.", f"a sketch of a {n}.", f"a rendering of the {n}.",
                  f"a tattoo of a {n}."] for n in NAMES[:2]]
    bank = CaptionBank(labels, {"classname": [[n] for n in NAMES[:2]], "templates": templates},
                       {"web_captions": own}, styles)
    indices = np.repeat(np.arange(len(labels)), 200)
    captions = bank.sample(indices, np.random.default_rng(0))
    for i, caption in zip(indices.tolist(), captions):
        assert caption == own[i] or compatible(caption, styles[i]), (caption, styles[i])
    drawn = set(captions)
    assert {"zero", "a photo of a zero.", "a sketch of a one.", "a rendering of the zero."} <= drawn
    assert "a tattoo of a zero." not in drawn and "one" not in drawn  # no plain "one": no such image
    assert "tattoo" not in Vocabulary.build(bank.texts(), 16).tokens
