"""Text-to-image generators. Importing this package registers every generator in ``GENERATORS``."""

from synscale.generators import diffusers_backend, mini_generators  # noqa: F401  (registration)
from synscale.generators.base import GENERATORS, Generator

__all__ = ["GENERATORS", "Generator"]
