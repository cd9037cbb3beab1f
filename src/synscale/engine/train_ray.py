"""One training run over several workers with Ray Train: PyTorch DDP through ``TorchTrainer``.

Each Ray Train worker is one data-parallel worker of the run (backend gloo on CPU, NCCL with one
GPU per worker where the cluster has GPUs): it runs ``synscale.train.parallel.worker``, the code a
local data-parallel run uses, on the device Ray Train gives it. Without ``address`` a local Ray
instance is started (and stopped afterwards); with one, the run joins that cluster, whose nodes
must all see the workspace (a shared file system): checkpoints and the trained weights are
written there.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from synscale.errors import SynscaleError
from synscale.train.runs import RunTask


def train_on_ray(task: RunTask, out: Path) -> None:
    """Train ``task`` over ``task.setup.workers_per_run`` Ray Train workers; worker 0 writes the
    result to ``out``."""
    import ray
    from ray.train import RunConfig, ScalingConfig
    from ray.train.torch import TorchConfig, TorchTrainer

    setup, workers = task.setup, task.setup.workers_per_run
    threads = task.threads or 1
    started = not ray.is_initialized()
    if started:
        try:
            ray.init(address=setup.address, include_dashboard=False, log_to_driver=False,
                     logging_level="ERROR", configure_logging=True,
                     num_cpus=None if setup.address else workers * threads)
        except (ConnectionError, ValueError, RuntimeError) as exc:
            raise SynscaleError(f"cannot start or join Ray at {setup.address or 'a local instance'}: "
                                f"{str(exc).strip().splitlines()[0]} (on a cluster, run synscale on "
                                "one of its nodes with --address auto)") from None
    try:
        logging.getLogger("ray.train").setLevel(logging.ERROR)
        use_gpu = setup.device != "cpu" and ray.cluster_resources().get("GPU", 0) >= 1
        trainer = TorchTrainer(
            _loop, train_loop_config={"task": task, "out": str(out), "threads": threads},
            scaling_config=ScalingConfig(num_workers=workers, use_gpu=use_gpu,
                                         resources_per_worker={"CPU": threads,
                                                               **({"GPU": 1} if use_gpu else {})}),
            torch_config=TorchConfig(backend="nccl" if use_gpu else "gloo"),
            run_config=RunConfig(name=out.parent.name, storage_path=str(out.parent / "ray")))
        try:
            trainer.fit()
        except Exception as exc:  # noqa: BLE001 - Ray wraps the worker's error; report its first line
            raise SynscaleError(f"Ray Train run {task.name} failed: "
                                f"{str(exc).strip().splitlines()[-1]}") from None
    finally:
        if started:
            ray.shutdown()


def _loop(config: dict[str, Any]) -> None:
    """Inside a Ray Train worker: its process group is set up; train on Ray's device for it."""
    import dataclasses

    import ray.train
    import ray.train.torch

    from synscale.train.parallel import worker

    task: RunTask = config["task"]
    task = dataclasses.replace(task, threads=config["threads"])
    context = ray.train.get_context()
    device = str(ray.train.torch.get_device())
    devices = [device] * context.get_world_size()  # worker() picks devices[rank]
    worker(context.get_world_rank(), task, devices, Path(config["out"]))
