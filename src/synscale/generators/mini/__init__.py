"""The mini backend: small text-to-image models of three families that train on a CPU in minutes.

Modules, from the bottom up: ``text`` (vocabulary and prompt encoder), ``unet`` (FiLM U-Net
denoiser), ``autoencoder`` (16x16 <-> 4x4 latents), ``diffusion`` and ``masked`` (the models),
``families`` (family name -> config and model), ``chunked`` (what every sampler shares),
``diffusion_sampler`` and ``masked_sampler``, ``weights`` (save and load), ``captions`` and
``training`` (the training loop), ``train_generator`` (``synscale mini train-generator``) and
``generators`` (the registered ``mini-pixel``, ``mini-latent``, ``mini-masked``).
Importing this package registers the three generators.
"""

from synscale.generators.mini import generators  # noqa: F401  (registration)
