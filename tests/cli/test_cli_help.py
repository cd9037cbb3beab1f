"""--help that helps: effective defaults shown (equal to the owning config's), allowed values,
flags without a type, one example per command."""

from __future__ import annotations

import re
import shlex

import pytest
from cli_harness import invoke, leaf_commands


@pytest.mark.parametrize("command, flag, registry", [
    ("generate", "--generator", "synscale.generators:GENERATORS"),
    ("generate", "--world", "synscale.worlds:WORLDS"),
    ("generate", "--prompts", "synscale.prompts:STRATEGIES"),
    ("prompts", "--captioner", "synscale.prompts:CAPTIONERS"),
    ("fit", "--law", "synscale.scaling:LAWS"),
    ("train", "--model", "synscale.train.models:MINI_MODELS"),
])
def test_help_lists_every_registered_name(command, flag, registry):
    """The names in help are the registry's, with every component's module imported (a
    component registered but not declared, or declared and not registered, shows here)."""
    import importlib

    for module in ("synscale.generators.diffusers_backend", "synscale.generators.mini.generators",
                   "synscale.prompts.captions", "synscale.prompts.pair_captions",
                   "synscale.prompts.word2sen", "synscale.scaling.m4", "synscale.worlds.imagenet",
                   "synscale.worlds.mini"):
        importlib.import_module(module)  # every component registered, not only declared

    module, attr = registry.split(":")
    names = getattr(importlib.import_module(module), attr)
    names = sorted(names.names() if hasattr(names, "names") else names)
    assert names and len(names) >= 2
    from synscale.cli.app import command as root

    help_text = next(p.help for p in root().commands[command].params if flag in p.opts)
    assert ", ".join(names) in help_text


def _shown_default(cmd, flag: str) -> str:
    param = next(p for p in cmd.params if flag in p.opts)
    return str(param.show_default) if isinstance(param.show_default, str) else str(param.default)


@pytest.mark.parametrize("command, config, fields", [
    ("generate", "synscale.generators.stage.plan:GenerateConfig",
     {"--world": "world", "--generator": "generator", "--cfg": "cfg", "--prompts": "prompts",
      "--per-class": "per_class", "--seed": "seed"}),
    ("train", "synscale.train.runs:CurveConfig",
     {"--world": "world", "--data": "data", "--seed": "seed", "--scales": "scales"}),
])
def test_help_defaults_are_the_configs_defaults(command, config, fields):
    import importlib

    module, name = config.split(":")
    cls = getattr(importlib.import_module(module), name)
    cmd = leaf_commands()[command]
    for flag, field in fields.items():
        info = cls.model_fields[field]
        default = info.default_factory() if info.default_factory else info.default
        shown = _shown_default(cmd, flag)
        if isinstance(default, list):
            assert shown == ",".join(map(str, default)), flag
        elif isinstance(default, float):
            assert float(shown) == default, flag
        else:
            assert shown == str(default), flag


def test_generate_help_shows_defaults_ranges_and_flags_as_flags():
    result = invoke(["generate", "--help"])
    assert result.code == 0
    text = " ".join(result.out.replace("│", " ").split())
    assert "Images per class. [default: (1000)]" in text
    assert "--cfg <float range> [x>=0]" in text and "[default: (2)]" in text
    assert "--engine <local|ray>" in text
    assert "mini-pixel" in text and "clip_templates_80" in text
    assert "<bool>" not in result.out
    assert re.search(r"--json\s+One JSON object", text)
    assert "Example: synscale generate " in text


@pytest.mark.parametrize("name", sorted(leaf_commands()))
def test_every_command_has_one_example_that_parses(name):
    result = invoke([*name.split(), "--help"])
    assert result.code == 0
    assert "<bool>" not in result.out
    cmd = leaf_commands()[name]
    example = (cmd.epilog or "").removeprefix("Example: ")
    assert example.startswith(f"synscale {name}"), f"add epilog='Example: synscale {name} ...'"
    assert f"Example: {example}" in " ".join(result.out.replace("│", " ").split())
    cmd.make_context(name, shlex.split(example)[1 + len(name.split()):])  # options exist, values convert
