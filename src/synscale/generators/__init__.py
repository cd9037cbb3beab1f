"""Text-to-image generators: the contract (``base``), the backends (``diffusers_backend``, the
``mini`` package) and the generation stage that turns a config into a dataset (``stage``).
Importing this package registers every backend's generators in ``GENERATORS``."""

from synscale.generators import diffusers_backend, mini  # noqa: F401  (registration)
from synscale.generators.base import GENERATORS, Generator

__all__ = ["GENERATORS", "Generator"]
