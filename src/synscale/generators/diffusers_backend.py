"""Any diffusers text-to-image pipeline as a synscale generator (``diffusers``).

The pipeline is loaded with ``AutoPipelineForText2Image`` from a local folder or, when the user
names one, a Hugging Face hub id (the only case in which synscale reaches the network). Each image
draws its initial latent from its own CPU ``torch.Generator`` seeded with its seed, so image i does
not depend on the other prompts of its batch's random draws, nor on the device's RNG.

Weights load from safetensors files only: a pickled ``.bin`` file can run code when it is
loaded, so a pipeline that has nothing else is refused unless ``allow_pickle=true`` says that its
source is trusted.

The safety checker is off by default: it replaces flagged images with black squares, which would
silently corrupt a training set; set ``safety_checker=true`` to keep the pipeline's own checker.
CFG follows diffusers: ``cfg_scale`` is passed as ``guidance_scale``, and values <= 1 disable
classifier-free guidance.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import warnings
from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from pydantic import Field

from synscale.config import FrozenConfig, build
from synscale.errors import ConfigError, UnknownNameError
from synscale.generators.base import GENERATORS, Generator, per_image_generators

# Weight files larger than this are fingerprinted by size plus their first and last block, so that
# starting a worker on a multi-gigabyte pipeline does not read every byte.
FULL_HASH_LIMIT = 1 << 20
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}


class DiffusersOptions(FrozenConfig):
    """Options of the ``diffusers`` generator (``--set generator_options.<key>=...``)."""

    model: str  # local pipeline folder, or a hub id such as "stabilityai/stable-diffusion-2-1-base"
    revision: str | None = None  # hub revision; ignored for local folders
    scheduler: str | None = None  # a diffusers scheduler class name; None keeps the pipeline's own
    steps: int = Field(50, gt=0)
    chunk: int = Field(8, gt=0)  # images per pipeline call; a job batch is split into chunks
    height: int | None = Field(None, gt=0)  # None: the pipeline's default resolution
    width: int | None = Field(None, gt=0)
    dtype: Literal["float32", "float16", "bfloat16"] = "float32"
    device: str = "cpu"
    safety_checker: bool = False
    # Load pickled ``.bin`` weights when a component has no safetensors file (they can run code).
    # Not part of the identity: it decides whether the weights load, never what they draw.
    allow_pickle: bool = False


@GENERATORS.register("diffusers")
class DiffusersGenerator(Generator):
    """Any diffusers text-to-image pipeline (local folder or hub id); safety checker off."""

    name = "diffusers"

    def __init__(self, **options: Any) -> None:
        self.options = build(DiffusersOptions, options, "generator 'diffusers'")
        folder = _resolve_model(self.options.model, self.options.revision, self.options.allow_pickle)
        self.fingerprint = fingerprint_folder(folder)
        self.pipe = _load_pipeline(folder, self.options)
        self.height = self.options.height or _default_size(self.pipe)
        self.width = self.options.width or self.height
        self.image_size = self.height
        self.channels = 3

    @classmethod
    def identity(cls, **options: Any) -> dict[str, Any]:
        """The options with defaults, and a fingerprint of a local pipeline folder; a hub id is
        not fetched here, so its weights are named by ``model`` and ``revision`` only."""
        resolved = build(DiffusersOptions, options, "generator 'diffusers'")
        folder = Path(resolved.model).expanduser()
        return {**resolved.model_dump(mode="json", exclude={"allow_pickle"}),
                "weights": fingerprint_folder(folder) if folder.is_dir() else None}

    @torch.inference_mode()
    def generate(self, prompts: list[str], seeds: list[int], cfg_scale: float) -> torch.Tensor:
        size = self.options.chunk
        return torch.cat([self._generate(prompts[i:i + size], seeds[i:i + size], cfg_scale)
                          for i in range(0, len(prompts), size)])

    def _generate(self, prompts: list[str], seeds: list[int], cfg_scale: float) -> torch.Tensor:
        output = self.pipe(prompt=list(prompts), num_inference_steps=self.options.steps,
                           guidance_scale=float(cfg_scale), generator=per_image_generators(seeds),
                           height=self.height, width=self.width, output_type="np")
        images = np.asarray(output.images, dtype=np.float32)  # [N, H, W, C] in [0, 1]
        uint8 = np.clip(np.round(images * 255.0), 0, 255).astype(np.uint8)
        return torch.from_numpy(uint8).permute(0, 3, 1, 2).contiguous()

    def settings(self) -> dict[str, Any]:
        import diffusers

        return {"generator": self.name, "model": self.options.model, "revision": self.options.revision,
                "weights": self.fingerprint, "pipeline": type(self.pipe).__name__,
                "scheduler": type(self.pipe.scheduler).__name__, "steps": self.options.steps,
                "chunk": self.options.chunk,
                "height": self.height, "width": self.width, "dtype": self.options.dtype,
                "device": self.options.device, "safety_checker": self.options.safety_checker,
                "diffusers": diffusers.__version__, "torch": torch.__version__}


def _resolve_model(model: str, revision: str | None, allow_pickle: bool) -> Path:
    """A local folder as is; anything else is taken as a hub id and downloaded (once, cached)."""
    folder = Path(model).expanduser()
    if folder.is_dir():
        if not (folder / "model_index.json").is_file():
            raise ConfigError(f"generator 'diffusers': {folder} is not a diffusers pipeline folder "
                              "(no model_index.json)")
        return folder
    if model.startswith((".", "/", "~")) or model.count("/") != 1:
        raise ConfigError(f"generator 'diffusers': model {model!r} is neither a pipeline folder "
                          "nor a hub id of the form owner/name")
    from diffusers import DiffusionPipeline

    return Path(DiffusionPipeline.download(model, revision=revision,
                                           use_safetensors=None if allow_pickle else True))


def _load_pipeline(folder: Path, options: DiffusersOptions) -> Any:
    import diffusers
    from diffusers import AutoPipelineForText2Image

    components = json.loads((folder / "model_index.json").read_text())
    extra: dict[str, Any] = {}
    if "safety_checker" in components and not options.safety_checker:
        extra = {"safety_checker": None, "requires_safety_checker": False}
    diffusers.utils.logging.disable_progress_bar()
    if importlib.util.find_spec("transformers") is not None:
        import transformers

        transformers.utils.logging.disable_progress_bar()
    try:
        with warnings.catch_warnings():
            # ``torch_dtype`` is what every diffusers release since 0.27 accepts; the newest ones
            # prefer ``dtype`` and warn.
            warnings.filterwarnings("ignore", message=".*torch_dtype.*", category=FutureWarning)
            pipe = AutoPipelineForText2Image.from_pretrained(
                str(folder), torch_dtype=DTYPES[options.dtype],
                use_safetensors=None if options.allow_pickle else True, **extra)
    except ValueError as exc:  # a pipeline class with no text-to-image variant
        raise ConfigError(f"generator 'diffusers': {folder}: {exc}") from None
    except OSError as exc:  # with use_safetensors=True: a component with only pickled weights
        if options.allow_pickle or "safetensors" not in str(exc):
            raise
        raise ConfigError(f"generator 'diffusers': {folder} has pickled (.bin) weights without "
                          "safetensors; convert them, or set generator_options.allow_pickle=true "
                          "if you trust their source") from None
    if options.scheduler is not None:
        pipe.scheduler = _scheduler(diffusers, options.scheduler, pipe.scheduler)
    pipe.set_progress_bar_config(disable=True)
    return pipe.to(options.device)


def _scheduler(diffusers: Any, name: str, current: Any) -> Any:
    """A scheduler class by its diffusers name, configured like the pipeline's own."""
    compatible = sorted({cls.__name__ for cls in current.compatibles} | {type(current).__name__})
    cls = getattr(diffusers, name, None)
    if cls is None or name not in compatible:
        raise UnknownNameError("diffusers scheduler", name, compatible)
    return cls.from_config(current.config)


def _default_size(pipe: Any) -> int:
    denoiser = getattr(pipe, "unet", None) or getattr(pipe, "transformer", None)
    return int(denoiser.config.sample_size * pipe.vae_scale_factor)


def fingerprint_folder(folder: Path) -> str:
    """A digest of a pipeline folder: every file's relative path and size, and its bytes (all of
    them up to 1 MB; the first and last MB of larger weight files)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and ".cache" not in p.parts):
        size = path.stat().st_size
        digest.update(f"{path.relative_to(folder).as_posix()}:{size}\n".encode())
        with path.open("rb") as handle:
            if size <= FULL_HASH_LIMIT:
                digest.update(handle.read())
            else:
                digest.update(handle.read(FULL_HASH_LIMIT))
                handle.seek(size - FULL_HASH_LIMIT)
                digest.update(handle.read(FULL_HASH_LIMIT))
    return digest.hexdigest()[:16]
