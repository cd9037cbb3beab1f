"""Saving and loading trained mini models: ``model.safetensors`` plus ``config.json`` (architecture,
vocabulary, training settings and report, the command that made them, the training data's hash).

The shipped weights live in the package under ``assets/generators/<family>/``.
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synscale.errors import ConfigError

if TYPE_CHECKING:  # the models import torch: naming weights and hashing them need none
    import torch

    from synscale.generators.mini.families import MiniModel

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"


def shipped_weights(family: str) -> Path:
    return Path(str(resources.files("synscale") / "assets" / "generators" / family))


def data_sha256(images: torch.Tensor, labels: torch.Tensor) -> str:
    """Hash of the training data: uint8 image bytes, then int64 label bytes."""
    digest = hashlib.sha256(images.contiguous().numpy().tobytes())
    digest.update(labels.long().contiguous().numpy().tobytes())
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_mini(model: MiniModel, folder: Path, record: dict[str, Any]) -> None:
    """Write the weights and a config holding the architecture, vocabulary and ``record``."""
    from safetensors.torch import save_file

    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / WEIGHTS_FILE))
    (folder / WEIGHTS_FILE).chmod(0o644)  # safetensors writes owner-only files; weights are shared
    payload = {"model": model.config.model_dump(mode="json"), "vocab": model.vocab.to_json(),
               **record}
    (folder / CONFIG_FILE).write_text(json.dumps(payload, indent=1) + "\n")


def load_mini(folder: Path) -> tuple[MiniModel, dict[str, Any]]:
    """The model in eval mode and its config record; a missing or foreign folder: ConfigError."""
    from safetensors.torch import load_file

    from synscale.generators.mini.families import build_model, config_from_json
    from synscale.generators.mini.text import Vocabulary

    weights, config_file = folder / WEIGHTS_FILE, folder / CONFIG_FILE
    if not weights.is_file() or not config_file.is_file():
        raise ConfigError(f"no mini generator weights in {folder} (need {WEIGHTS_FILE} and "
                          f"{CONFIG_FILE}; make them with `synscale mini train-generator`)")
    try:
        record = json.loads(config_file.read_text())
        config = config_from_json(record["model"])
        vocab = Vocabulary.from_json(record["vocab"])
    except (json.JSONDecodeError, KeyError, ValueError) as exc:
        raise ConfigError(f"{config_file}: not a mini generator config ({exc})") from None
    model = build_model(config, vocab)
    try:
        model.load_state_dict(load_file(str(weights)))
    except (RuntimeError, OSError) as exc:
        raise ConfigError(f"{weights}: weights do not fit their config ({exc})") from None
    return model.eval().requires_grad_(False), record
