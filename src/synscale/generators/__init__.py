"""Text-to-image generators: the contract (``base``), the backends (``diffusers_backend``, the
``mini`` package) and the generation stage that turns a config into a dataset (``stage``).
Every backend's generators are declared here by the module that registers them in
``GENERATORS``, so naming or listing them imports no backend (torch, diffusers)."""

from synscale.generators.base import GENERATORS, Generator

GENERATORS.declare("diffusers", "synscale.generators.diffusers_backend", "Any diffusers "
                   "text-to-image pipeline (local folder or hub id); safety checker off.")
_MINI = "synscale.generators.mini.generators"
GENERATORS.declare("mini-latent", _MINI, "Latent diffusion in a 4x4x4 autoencoder space (like "
                   "Stable Diffusion), mini world.")
GENERATORS.declare("mini-masked", _MINI, "Masked-token generation (like Muse) over 4x4 FSQ tokens, "
                   "mini world.")
GENERATORS.declare("mini-pixel", _MINI, "Pixel-space diffusion (like Imagen) trained on the mini "
                   "world's generator pool.")

__all__ = ["GENERATORS", "Generator"]
