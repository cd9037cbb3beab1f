"""Data-parallel training with PyTorch DDP: the pieces the trainer needs from a process group.

Whoever starts the workers (Ray Train's ``TorchTrainer``, or ``spawn_local`` here for one machine
without Ray) initialises the process group; the trainer only asks for its rank, wraps the model
and averages what it logs. Every worker builds the same model from the run seed and draws the
same global batches; DDP averages gradients, so each step is the step of one process on the whole
global batch, up to float rounding. BatchNorm statistics are synchronised across workers on GPUs
(SyncBatchNorm); on CPU PyTorch has no SyncBatchNorm, so BatchNorm models use per-worker
statistics there (models without BatchNorm, such as ViTs, match one process).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from typing import Any

import torch
import torch.distributed as dist
from torch import nn


def rank_and_size() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """DDP around ``model`` when there is a process group of more than one worker."""
    if rank_and_size()[1] == 1:
        return model
    if device.type == "cuda":
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return nn.parallel.DistributedDataParallel(model, device_ids=[device])
    return nn.parallel.DistributedDataParallel(model)


def mean_over_workers(values: torch.Tensor) -> torch.Tensor:
    """The mean of ``values`` over workers (itself when alone); every worker gets it."""
    size = rank_and_size()[1]
    if size == 1:
        return values
    values = values.clone()
    dist.all_reduce(values, op=dist.ReduceOp.SUM)
    return values / size


def barrier() -> None:
    if rank_and_size()[1] > 1:
        dist.barrier()


def spawn_local(function: Callable[..., Any], workers: int, args: tuple = (),
                backend: str = "gloo") -> None:
    """Run ``function(rank, *args)`` in ``workers`` processes of one process group on this machine."""
    port = _free_port()
    torch.multiprocessing.spawn(_worker, args=(workers, port, backend, function, args),
                                nprocs=workers, join=True)


def _worker(rank: int, workers: int, port: int, backend: str, function: Callable[..., Any],
            args: tuple) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group(backend, rank=rank, world_size=workers)
    try:
        function(rank, *args)
    finally:
        dist.destroy_process_group()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
