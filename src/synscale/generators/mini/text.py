"""The mini generators' text side: a word vocabulary built from the training captions and a small
transformer that turns a prompt into one pooled embedding.

Words never seen in training map to ``<unk>``, so any prompt strategy can be fed to a trained
model; the empty prompt (the unconditional input of classifier-free guidance) is the ``<cls>``
token alone.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

import torch
from pydantic import Field
from torch import nn

from synscale.config import FrozenConfig

PAD, UNK, CLS = "<pad>", "<unk>", "<cls>"
_WORD = re.compile(r"[a-z0-9]+")


def words(prompt: str) -> list[str]:
    return _WORD.findall(prompt.lower())


class Vocabulary:
    """Word -> id; ids 0, 1, 2 are ``<pad>``, ``<unk>``, ``<cls>``."""

    def __init__(self, tokens: list[str], max_len: int) -> None:
        if tokens[:3] != [PAD, UNK, CLS]:
            raise ValueError("a vocabulary starts with <pad>, <unk>, <cls>")
        self.tokens, self.max_len = tokens, max_len
        self._ids = {w: i for i, w in enumerate(tokens)}

    @classmethod
    def build(cls, captions: Iterable[str], max_len: int, min_count: int = 1) -> Vocabulary:
        counts = Counter(w for c in captions for w in words(c))
        kept = sorted(w for w, n in counts.items() if n >= min_count)
        return cls([PAD, UNK, CLS, *kept], max_len)

    def __len__(self) -> int:
        return len(self.tokens)

    def encode(self, prompts: list[str]) -> torch.Tensor:
        """``[N, max_len]`` ids: ``<cls>`` then the prompt's words (cut at ``max_len``), padded."""
        out = torch.zeros(len(prompts), self.max_len, dtype=torch.long)
        unk = self._ids[UNK]
        for row, prompt in enumerate(prompts):
            ids = [self._ids[CLS], *(self._ids.get(w, unk) for w in words(prompt))][: self.max_len]
            out[row, : len(ids)] = torch.tensor(ids)
        return out

    def to_json(self) -> dict[str, object]:
        return {"tokens": self.tokens, "max_len": self.max_len}

    @classmethod
    def from_json(cls, data: dict[str, object]) -> Vocabulary:
        return cls(list(data["tokens"]), int(data["max_len"]))  # type: ignore[arg-type]


class TextConfig(FrozenConfig):
    """The text encoder's shape, shared by every mini family's config."""

    max_len: int = Field(32, gt=1)
    text_width: int = 64
    text_layers: int = 2
    text_heads: int = 4
    cond_dim: int = 128


class TextEncoder(nn.Module):
    """Token and position embeddings, a few pre-norm transformer layers, the ``<cls>`` output."""

    def __init__(self, vocab_size: int, max_len: int, width: int, layers: int, heads: int,
                 out_dim: int) -> None:
        super().__init__()
        self.token = nn.Embedding(vocab_size, width, padding_idx=0)
        self.position = nn.Parameter(torch.randn(max_len, width) * 0.02)
        layer = nn.TransformerEncoderLayer(width, heads, 2 * width, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.layers = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.out = nn.Linear(width, out_dim)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        h = self.token(ids) + self.position[: ids.shape[1]]
        h = self.layers(h, src_key_padding_mask=ids == 0)
        return self.out(self.norm(h[:, 0]))


class TextConditioned(nn.Module):
    """Base of the mini models: the config, the vocabulary and the text encoder they share."""

    def __init__(self, config: TextConfig, vocab: Vocabulary) -> None:
        super().__init__()
        self.config, self.vocab = config, vocab
        self.text = TextEncoder(len(vocab), config.max_len, config.text_width, config.text_layers,
                                config.text_heads, config.cond_dim)

    def encode_prompts(self, prompts: list[str]) -> torch.Tensor:
        return self.text(self.vocab.encode(prompts))
