"""The ``word2sen`` strategy: a text-to-text model turns the class name into sentences.

The paper used a T5 fine-tuned to write a sentence from keywords (as in He et al. 2023), 100
sentences per class: "a tench with fish in the distance.". Any transformers seq2seq model works,
from a local directory or a hub id. Sampling is seeded per class, so the sentences of a class do
not depend on which other classes are asked for; with a workspace each class's sentences are an
artifact (``sentences/word2sen-<class>-<digest>/sentences.json``) and are never generated twice.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import torch

from synscale.config import stable_hash
from synscale.errors import ConfigError
from synscale.prompts.models import model_fingerprint, quiet_loading, resolve_model
from synscale.prompts.strategies import STRATEGIES, Strategy

if TYPE_CHECKING:
    from synscale.workspace import Workspace
    from synscale.worlds.base import ClassInfo, World

SENTENCES_FILE = "sentences.json"


@STRATEGIES.register("word2sen")
class Word2Sen(Strategy):
    """A T5 text-to-text model writes 100 sentences per class name: "a tench with fish in ..."."""

    name = "word2sen"

    def __init__(self, model: str | None = None, sentences: int = 100, seed: int = 0,
                 prefix: str = "", max_new_tokens: int = 32, top_p: float = 0.9,
                 temperature: float = 1.0, batch_size: int = 50, device: str | None = None) -> None:
        self.model = resolve_model(model, "word2sen")
        if sentences < 1 or max_new_tokens < 1 or batch_size < 1:
            raise ConfigError("word2sen: sentences, max_new_tokens and batch_size must be at "
                              "least 1")
        if not (0 < top_p <= 1) or temperature <= 0:
            raise ConfigError("word2sen: top_p must be in (0, 1] and temperature positive")
        self.sentences, self.seed, self.prefix = sentences, seed, prefix
        self.max_new_tokens, self.top_p, self.temperature = max_new_tokens, top_p, temperature
        self.batch_size = batch_size
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self._workspace: Workspace | None = None
        self._fingerprint: str | None = None
        self._loaded: tuple[Any, Any] | None = None
        self._memo: dict[str, list[str]] = {}

    def prepare(self, world: World, workspace: Workspace | None = None) -> None:
        if workspace is not None:
            self._workspace = workspace

    def config(self) -> dict[str, Any]:
        if self._fingerprint is None:  # hashing a large model's files once is enough
            self._fingerprint = model_fingerprint(self.model)
        return {"strategy": self.name, "model": self._fingerprint, "sentences": self.sentences,
                "seed": self.seed, "prefix": self.prefix, "max_new_tokens": self.max_new_tokens,
                "top_p": self.top_p, "temperature": self.temperature}

    def candidates(self, cls: ClassInfo, world: World) -> list[str]:
        if cls.name not in self._memo:
            self._memo[cls.name] = self._stored_or_generated(cls.name)
        return self._memo[cls.name]

    def _stored_or_generated(self, class_name: str) -> list[str]:
        config = {**self.config(), "class_name": class_name}
        label = f"word2sen-{class_name}"
        if self._workspace is None:
            return self.generate(class_name)
        if found := self._workspace.find("sentences", label, config):
            return json.loads((found.path / SENTENCES_FILE).read_text())
        sentences = self.generate(class_name)
        with self._workspace.building("sentences", label, config) as tmp:
            (tmp / SENTENCES_FILE).write_text(json.dumps(sentences, indent=1, ensure_ascii=False))
        return sentences

    @torch.inference_mode()
    def generate(self, class_name: str) -> list[str]:
        """``sentences`` sampled sentences for one class name; an empty one becomes the name."""
        tokenizer, model = self._load()
        inputs = tokenizer([self.prefix + class_name], return_tensors="pt").to(self.device)
        devices = [torch.device(self.device).index or 0] if self.device.startswith("cuda") else []
        out: list[str] = []
        with torch.random.fork_rng(devices=devices):  # seed sampling without touching global state
            torch.manual_seed(int(stable_hash([self.seed, class_name]), 16) % 2**63)
            while len(out) < self.sentences:
                count = min(self.batch_size, self.sentences - len(out))
                tokens = model.generate(**inputs, do_sample=True, top_p=self.top_p, top_k=0,
                                        temperature=self.temperature, num_return_sequences=count,
                                        max_new_tokens=self.max_new_tokens)
                out += [t.strip() or class_name
                        for t in tokenizer.batch_decode(tokens, skip_special_tokens=True)]
        return out

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            from transformers import AutoModelForSeq2SeqLM, AutoTokenizer

            try:
                with quiet_loading():
                    tokenizer = AutoTokenizer.from_pretrained(self.model)
                    model = AutoModelForSeq2SeqLM.from_pretrained(self.model)
            except (OSError, ValueError) as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ConfigError(f"word2sen: cannot load model {self.model!r}: {first}") from None
            self._loaded = tokenizer, model.to(self.device).eval()
        return self._loaded
