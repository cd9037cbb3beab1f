"""Where and how a run is executed: device, precision, data streaming, checkpoints, workers.

None of this is part of a run's identity (the recipe is): the same recipe on a CPU, a GPU or
four GPUs is the same experiment. What was used is written beside the run's weights
(``training.json``). On CPU in fp32 a run is bit-for-bit reproducible; bf16 and data-parallel
runs are reproducible to float tolerance.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import field_validator, model_validator

from synscale.config import FrozenConfig
from synscale.errors import ConfigError

if TYPE_CHECKING:  # torch where a run trains; planning and naming runs import none
    import torch


class TrainSetup(FrozenConfig):
    device: str = "auto"  # auto (CUDA when there is one), cpu, cuda, cuda:<i>
    precision: Literal["auto", "fp32", "bf16"] = "auto"  # auto: bf16 autocast on CUDA, fp32 on CPU
    compile: bool = False  # torch.compile the model for training
    stream: Literal["auto", "always", "never"] = "auto"  # read training images from disk
    stream_above_mb: int = 256  # auto streams a set whose decoded images exceed this
    checkpoint_every: int = 500  # steps between checkpoints (0: never)
    workers_per_run: int = 1  # data-parallel workers (DDP) of one run
    engine: Literal["local", "ray"] = "local"  # where those workers run
    address: str | None = None  # a running Ray cluster (engine ray)

    @field_validator("device")
    @classmethod
    def _device(cls, device: str) -> str:
        if device not in ("auto", "cpu", "cuda") and not (
                device.startswith("cuda:") and device[5:].isdigit()):
            raise ValueError(f"unknown device {device!r}; valid: auto, cpu, cuda, cuda:<index>")
        return device

    @field_validator("checkpoint_every", "stream_above_mb")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError(f"must not be negative, got {value}")
        return value

    @field_validator("workers_per_run")
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError(f"workers per run must be at least 1, got {value}")
        return value

    @model_validator(mode="after")
    def _address_needs_ray(self) -> TrainSetup:
        if self.address is not None and self.engine != "ray":
            raise ValueError("an address (a Ray cluster) needs engine ray")
        return self

    def check_device(self) -> None:
        """Refuse a CUDA device that is not there, before any work; ``auto`` and ``cpu`` are
        always there (checked without importing torch)."""
        if self.device not in ("auto", "cpu"):
            self.torch_device()

    def torch_device(self) -> torch.device:
        """The device this process trains on (checked: a CUDA device that is not there is a
        user error, not a crash deep in a run)."""
        import torch

        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        device = torch.device(self.device)
        if device.type == "cuda":
            if not torch.cuda.is_available():
                raise ConfigError(f"device {self.device!r}: no CUDA device on this machine; "
                                  "valid: auto, cpu")
            if device.index is not None and device.index >= torch.cuda.device_count():
                raise ConfigError(f"device {self.device!r}: this machine has "
                                  f"{torch.cuda.device_count()} CUDA device(s)")
        return device

    def autocast_dtype(self, device: torch.device) -> torch.dtype | None:
        """bf16 for autocast, or None for plain fp32."""
        import torch

        if self.precision == "bf16" or (self.precision == "auto" and device.type == "cuda"):
            return torch.bfloat16
        return None

    def streams(self, decoded_bytes: int) -> bool:
        """Whether a set of ``decoded_bytes`` (as uint8 tensors) is read from disk while training."""
        if self.stream == "auto":
            return decoded_bytes > self.stream_above_mb * 2**20
        return self.stream == "always"
