"""Prompts for text-to-image generation (paper 3.1): every prompt strategy in ``STRATEGIES`` and
every captioner in ``CAPTIONERS``. Strategies whose modules are heavy (torch, a captioner) are
declared here by the module that registers them, so listing them imports none of it."""

from importlib import import_module
from typing import Any

from synscale.prompts.captioners import CAPTIONERS, Captioner, get_captioner
from synscale.prompts.strategies import STRATEGIES, Strategy, get_strategy, places
from synscale.prompts.wordnet import ClassMetadata, class_metadata

STRATEGIES.declare("captions", "synscale.prompts.captions", "Class name + caption of a real "
                   'training image of it: "tench, a man holding a fish".')
STRATEGIES.declare("pair_captions", "synscale.prompts.pair_captions", "The captions of a pair "
                   "set, one image per caption (``pairs=web``, ``wds:<root>``, ...).")
STRATEGIES.declare("word2sen", "synscale.prompts.word2sen", "A T5 text-to-text model writes 100 "
                   'sentences per class name: "a tench with fish in ...".')

# Prompt tables (pyarrow) load when first used.
_TABLES = ("assign_prompts", "read_prompt_table", "write_prompt_table")

__all__ = ["CAPTIONERS", "STRATEGIES", "Captioner", "ClassMetadata", "Strategy", "assign_prompts",
           "class_metadata", "get_captioner", "get_strategy", "places", "read_prompt_table",
           "write_prompt_table"]


def __getattr__(name: str) -> Any:
    if name in _TABLES:
        return getattr(import_module("synscale.prompts.tables"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
