"""Prompts for text-to-image generation (paper 3.1). Importing this package registers every
prompt strategy in ``STRATEGIES`` and every captioner in ``CAPTIONERS``."""

from synscale.prompts import captions, pair_captions, word2sen  # noqa: F401  (registration)
from synscale.prompts.captioners import CAPTIONERS, Captioner, get_captioner
from synscale.prompts.strategies import STRATEGIES, Strategy, get_strategy, places
from synscale.prompts.tables import assign_prompts, read_prompt_table, write_prompt_table
from synscale.prompts.wordnet import ClassMetadata, class_metadata

__all__ = ["CAPTIONERS", "STRATEGIES", "Captioner", "ClassMetadata", "Strategy", "assign_prompts",
           "class_metadata", "get_captioner", "get_strategy", "places", "read_prompt_table",
           "write_prompt_table"]
