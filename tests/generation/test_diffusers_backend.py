"""The diffusers backend on a tiny random Stable Diffusion pipeline loaded by path."""

from __future__ import annotations

import json

import pytest
import torch

from synscale.errors import ConfigError, UnknownNameError
from synscale.generators import GENERATORS


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """The tiny pipeline's ops are too small to gain from threads on a shared 2-core machine."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def generator(tiny_pipeline):
    return GENERATORS.create("diffusers", model=str(tiny_pipeline), steps=2)


def test_generates_uint8_batches_with_per_image_seeds(generator):
    images = generator.generate(["zero", "one", "two"], [1, 2, 3], cfg_scale=2.0)
    assert images.dtype == torch.uint8 and images.shape == (3, 3, 16, 16)
    assert images.float().std() > 0
    again = generator.generate(["zero", "one", "two"], [1, 2, 3], cfg_scale=2.0)
    assert torch.equal(images, again)
    other_seed = generator.generate(["zero"], [4], cfg_scale=2.0)
    assert not torch.equal(images[:1], other_seed)


def test_image_noise_comes_from_its_own_seed_not_its_batch(generator):
    batch = generator.generate(["one", "one"], [7, 8], cfg_scale=1.0)
    alone = generator.generate(["one"], [8], cfg_scale=1.0)
    # Floating-point kernels may round differently at another batch size; the noise is the same.
    assert (batch[1].int() - alone[0].int()).abs().max() <= 1


def test_a_batch_is_rendered_in_chunks(tiny_pipeline):
    generator = GENERATORS.create("diffusers", model=str(tiny_pipeline), steps=2, chunk=2)
    prompts, seeds = ["one", "two", "three"], [5, 6, 7]
    whole = generator.generate(prompts, seeds, 2.0)
    parts = torch.cat([generator.generate(prompts[:2], seeds[:2], 2.0),
                       generator.generate(prompts[2:], seeds[2:], 2.0)])
    assert torch.equal(whole, parts) and generator.settings()["chunk"] == 2


def test_settings_record_scheduler_steps_and_safety_checker_off(tiny_pipeline):
    generator = GENERATORS.create("diffusers", model=str(tiny_pipeline), steps=3,
                                  scheduler="EulerDiscreteScheduler", height=8, width=8)
    settings = generator.settings()
    assert settings["scheduler"] == "EulerDiscreteScheduler" and settings["steps"] == 3
    assert settings["safety_checker"] is False and settings["pipeline"] == "StableDiffusionPipeline"
    assert generator.generate(["seven"], [0], 3.0).shape == (1, 3, 8, 8)
    json.dumps(settings)


def test_weights_fingerprint_changes_with_the_weights(pipeline_builder, tmp_path, generator):
    other = pipeline_builder(tmp_path / "other", seed=1)
    assert GENERATORS.create("diffusers", model=str(other)).settings()["weights"] != \
        generator.settings()["weights"]


def test_bad_options_are_one_line_errors(tiny_pipeline, tmp_path):
    with pytest.raises(UnknownNameError, match="DDIMScheduler"):
        GENERATORS.create("diffusers", model=str(tiny_pipeline), scheduler="NoSuchScheduler")
    with pytest.raises(ConfigError, match="model_index.json"):
        GENERATORS.create("diffusers", model=str(tmp_path))
    with pytest.raises(ConfigError, match="neither a pipeline folder"):
        GENERATORS.create("diffusers", model=str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match="steps"):
        GENERATORS.create("diffusers", model=str(tiny_pipeline), steps=0)


def test_pickled_weights_load_only_when_allowed(tiny_pipeline, tmp_path, generator):
    """A pipeline whose denoiser and VAE exist only as pickled ``.bin`` files (which can run code
    when loaded) is refused by default; ``allow_pickle=true`` loads the same weights."""
    from diffusers import StableDiffusionPipeline

    pickled = tmp_path / "pickled"
    StableDiffusionPipeline.from_pretrained(str(tiny_pipeline)).save_pretrained(
        pickled, safe_serialization=False)
    assert list(pickled.glob("unet/*.bin")) and not list(pickled.glob("unet/*.safetensors"))
    with pytest.raises(ConfigError, match="allow_pickle=true"):
        GENERATORS.create("diffusers", model=str(pickled), steps=2)
    allowed = GENERATORS.create("diffusers", model=str(pickled), steps=2, allow_pickle=True)
    assert torch.equal(allowed.generate(["seven"], [5], 2.0), generator.generate(["seven"], [5], 2.0))
    # Allowing pickles does not decide an image: it is not part of the dataset's identity.
    assert GENERATORS.call("diffusers", "identity", model=str(tiny_pipeline), allow_pickle=True) == \
        GENERATORS.call("diffusers", "identity", model=str(tiny_pipeline))
