"""The seeded stream of training batches: which images each step sees, and their augmentation noise.

Everything random about the data of a run comes from one generator seeded by the run seed, drawn
in a fixed order: a permutation at the start of each epoch (the tail that does not fill a batch
is dropped), then the augmentation noise of the step. So the batches are a function of the seed
alone, however they are read:

- in memory (the mini world's fast path): images gathered by index, no loader, no copies;
- streamed: a DataLoader whose worker processes decode the same indices from shards or folders
  (the order is drawn in the main process, so it does not depend on the number of workers);
- data-parallel: every worker draws the same global batch and reads only its slice.

The stream's state after every step (generator, epoch permutation, position) is what a checkpoint
saves, so a resumed run sees exactly the batches an uninterrupted one would.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch

from synscale.data.datasets import ImageDataset, LabeledImages


@dataclass(frozen=True)
class Step:
    indices: torch.Tensor  # the global batch, indices into the training set
    noise: torch.Tensor  # [global batch, draws] augmentation noise
    state: dict[str, Any]  # the stream's state after this step


class BatchOrder:
    """Endless seeded global batches of ``batch_size`` indices (one batch if the set is smaller)."""

    def __init__(self, size: int, batch_size: int, draws: int, generator: torch.Generator) -> None:
        self.size, self.draws, self.generator = size, draws, generator
        self.batch = min(batch_size, size)
        self.order: torch.Tensor | None = None
        self.position = 0

    def next(self) -> Step:
        if self.order is None or self.position + self.batch > len(self.order):
            self.order = torch.randperm(self.size, generator=self.generator)
            self.position = 0
        indices = self.order[self.position:self.position + self.batch]
        self.position += self.batch
        noise = torch.rand(self.batch, self.draws, generator=self.generator) if self.draws \
            else torch.empty(self.batch, 0)
        return Step(indices, noise, self.state_dict())

    def state_dict(self) -> dict[str, Any]:
        return {"generator": self.generator.get_state(), "order": self.order,
                "position": self.position}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.generator.set_state(state["generator"])
        self.order, self.position = state["order"], int(state["position"])


class StepSampler(torch.utils.data.Sampler):
    """``steps`` batches of ``order``, each cut to this worker's slice (rank of ``world_size``).

    Yields index tensors; the noise and state of each step wait in ``pending`` until the trainer
    takes the batch (a DataLoader draws batches ahead of the step that uses them, in order).
    """

    def __init__(self, order: BatchOrder, steps: int, rank: int = 0, world_size: int = 1) -> None:
        self.order, self.steps = order, steps
        self.local = order.batch // world_size
        self.part = slice(rank * self.local, (rank + 1) * self.local)
        self.pending: deque[tuple[torch.Tensor, dict[str, Any]]] = deque()

    def __len__(self) -> int:
        return self.steps

    def __iter__(self) -> Iterator[torch.Tensor]:
        for _ in range(self.steps):
            step = self.order.next()
            self.pending.append((step.noise[self.part], step.state))
            yield step.indices[self.part]


def batches(data: ImageDataset, sampler: StepSampler, stream: bool, workers: int = 0,
            pin_memory: bool = False, seed: int = 0
            ) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor, dict[str, Any]]]:
    """(uint8 images, labels, noise, stream state) of every step of ``sampler``, in order."""
    if not stream:
        if not isinstance(data, LabeledImages):
            raise TypeError(f"{data.name}: only sets held in memory can be batched without a loader")
        for indices in sampler:
            yield data.images[indices], data.labels[indices], *sampler.pending.popleft()
        return
    loader = torch.utils.data.DataLoader(
        data, batch_sampler=_Lists(sampler), num_workers=workers, pin_memory=pin_memory,
        # Worker seeds come from the run seed, not from torch's global generator (left untouched).
        generator=torch.Generator().manual_seed(seed), persistent_workers=False)
    for images, labels in loader:
        yield images, labels, *sampler.pending.popleft()


class _Lists(torch.utils.data.Sampler):
    """A DataLoader's batch sampler hands plain lists of ints to its workers."""

    def __init__(self, sampler: StepSampler) -> None:
        self.sampler = sampler

    def __len__(self) -> int:
        return len(self.sampler)

    def __iter__(self) -> Iterator[list[int]]:
        for indices in self.sampler:
            yield indices.tolist()
