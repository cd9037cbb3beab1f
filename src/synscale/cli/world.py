"""Commands that describe worlds and prompts: worlds, world-info, strategies, prompts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from synscale.cli.app import JsonOpt, QuietOpt, app, choices, out, parse_ints, print_json
from synscale.errors import ConfigError


@app.command(epilog="Example: synscale worlds")
def worlds() -> None:
    """List the worlds."""
    from synscale.worlds import WORLDS

    for name, doc in WORLDS.describe().items():
        out.print(f"[bold]{name}[/bold]  {doc}")


@app.command("world-info", epilog="Example: synscale world-info mini")
def world_info(name: Annotated[str, typer.Argument(help=f"World: {choices('world')}.")],
               root: Annotated[Path | None, typer.Option(
                   help="Data root of the imagenet world (docs/gpu.md).")] = None) -> None:
    """Pool sizes, classes and OOD sets of a world."""
    from synscale.worlds import get_world

    world = get_world(name, root=root)
    info = world.describe()
    out.print(f"[bold]{name}[/bold]: {world.num_classes} classes, {world.channels}x"
              f"{world.image_size}x{world.image_size} images, default model {world.default_model}")
    for pool in world.pool_names():
        out.print(f"  pool {pool}: {world.pool_size(pool)} images")
    for ood in world.ood_names():
        out.print(f"  ood {ood}: {world.ood_size(ood)} images")
    classes = info["classes"]
    shown = ", ".join(classes[:12]) + (f", ... ({len(classes)} in all)" if len(classes) > 12 else "")
    out.print(f"  classes: {shown}")


@app.command(epilog="Example: synscale prompts --strategy classname_hypernyms --option levels=2 --classes 0,1")
def prompts(
    world: Annotated[str, typer.Option(help=f"World name: {choices('world')}.")] = "mini",
    strategy: Annotated[str, typer.Option(
        help=f"Prompt strategy: {choices('prompts')} (see `synscale strategies`).")] = "classname",
    classes: Annotated[str | None, typer.Option(
        help="Comma-separated class ids.", show_default="all")] = None,
    per_class: Annotated[int, typer.Option(min=1, help="Prompts (images to generate) per class.")] = 1,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the assignment of prompts to images.")] = 0,
    captioner: Annotated[str | None, typer.Option(
        help=f"captions: {choices('captioner')}.", show_default="attributes")] = None,
    model: Annotated[str | None, typer.Option(help="word2sen T5 / blip2 model: local dir or hub id.")] = None,
    captions_file: Annotated[Path | None, typer.Option(help="captions with --captioner file: CSV/JSONL.")] = None,
    sentences: Annotated[int | None, typer.Option(
        min=1, help="word2sen: sentences per class.", show_default="100")] = None,
    option: Annotated[list[str] | None, typer.Option(
        metavar="KEY=VALUE", show_default=False,
        help="Any other option of the strategy (e.g. levels=2, prefix=..., top_p=0.9); repeatable.")] = None,
    root: Annotated[Path | None, typer.Option(help="Data root of worlds that read user data.")] = None,
    workspace: Annotated[Path | None, typer.Option(
        "--workspace", "-w", help="Cache tables and sentences here.", show_default="no cache")] = None,
    json_: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Print the prompt of every image to generate for the chosen classes."""
    from synscale.config import parse_overrides
    from synscale.prompts.tables import prompt_table

    extra = {key.replace("-", "_"): value for key, value in
             parse_overrides([f"{o}" for o in option or []], "--option").items()}
    named = {"captioner": captioner, "model": model, "file": captions_file, "sentences": sentences}
    taken = {"world", "strategy", "per_class", "seed", "classes", "root", "workspace", "quiet"}
    if clash := sorted(set(extra) & taken):
        raise ConfigError(f"--option {clash[0]}: not a strategy option; use --{clash[0].replace('_', '-')}")
    table = prompt_table(world, strategy, per_class, seed, parse_ints(classes, "--classes"), root,
                         workspace, quiet or json_, **(extra | {k: v for k, v in named.items() if v is not None}))
    for row in table.select(["class_id", "class_name", "prompt"]).to_pylist():
        if json_:
            print_json(row)
        else:
            out.print(f"{row['class_id']:>4} {row['class_name']}: {row['prompt']}", markup=False,
                      highlight=False, soft_wrap=True)


@app.command(epilog="Example: synscale strategies")
def strategies() -> None:
    """List the prompt strategies and captioners."""
    from synscale.prompts import CAPTIONERS, STRATEGIES

    for name, doc in STRATEGIES.describe().items():
        out.print(f"[bold]{name}[/bold]  {doc}", highlight=False)
    out.print(f"captioners (for captions): {', '.join(CAPTIONERS.names())}", highlight=False)
