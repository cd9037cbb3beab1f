"""One run over several data-parallel workers (PyTorch DDP), on this machine or on Ray.

Every worker calls the same ``train_task`` as a single-process run: it builds the run's subset,
draws the same global batches from the run seed and trains on its slice of each, checkpointing
through worker 0. Worker 0 then writes the trained weights and statistics to a folder beside the
checkpoint, and the calling process loads them, evaluates and stores the run as usual.

- ``engine: local`` starts ``workers_per_run`` processes on this machine (gloo on CPU; NCCL with
  one GPU each when there are enough GPUs);
- ``engine: ray`` runs them with Ray Train's ``TorchTrainer`` on a local Ray instance or the
  cluster at ``address`` (one GPU per worker where the cluster has GPUs). On a cluster the
  workspace must be on a file system every node sees.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
from pathlib import Path

import torch

from synscale.errors import ConfigError
from synscale.train import distributed
from synscale.train.classifier import TrainedClassifier, TrainStats
from synscale.train.runs import RunTask, train_task

RESULT_FOLDER = "trained"


def train_data_parallel(task: RunTask, quiet: bool = True) -> tuple[TrainedClassifier, TrainStats]:
    out = task.checkpoint.parent / RESULT_FOLDER
    shutil.rmtree(out, ignore_errors=True)
    if task.setup.engine == "ray":
        from synscale.engine.train_ray import train_on_ray

        train_on_ray(task, out)
    else:
        devices = local_devices(task)
        distributed.spawn_local(worker, len(devices), (task, devices, out, quiet),
                                backend="nccl" if devices[0].startswith("cuda") else "gloo")
    stats = TrainStats(**json.loads((out / "stats.json").read_text()))
    return TrainedClassifier.load(out), stats


def local_devices(task: RunTask) -> list[str]:
    """One device per local worker: a GPU each when there are enough, else the CPU."""
    workers, device = task.setup.workers_per_run, task.setup.device
    gpus = torch.cuda.device_count()
    if device == "cpu" or (device == "auto" and gpus < workers):
        return ["cpu"] * workers
    if gpus < workers:
        raise ConfigError(f"{workers} workers per run need {workers} GPUs on this machine "
                          f"({gpus} found); use --device cpu or --engine ray on a cluster")
    return [f"cuda:{i}" for i in range(workers)]


def worker(rank: int, task: RunTask, devices: list[str], out: Path, quiet: bool = True) -> None:
    """One data-parallel worker of ``task`` (its process group already set up) on ``devices[rank]``."""
    threads = task.threads or max(1, (os.cpu_count() or 1) // len(devices))
    torch.set_num_threads(threads)
    local = dataclasses.replace(task, setup=task.setup.model_copy(update={"device": devices[rank]}))
    classifier, stats = train_task(local, quiet)
    if rank == 0:
        save_result(classifier, stats, out)
    distributed.barrier()


def save_result(classifier: TrainedClassifier, stats: TrainStats, out: Path) -> None:
    tmp = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    classifier.save(tmp)
    (tmp / "stats.json").write_text(json.dumps(stats.to_json()))
    os.replace(tmp, out)
