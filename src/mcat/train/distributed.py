"""Data-parallel training with ``torch.distributed``: the world a process is part of, and the few collective
steps the training loop needs.

``torchrun`` (or a Kubeflow Trainer / PyTorchJob pod) sets ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``; without
them a process is a world of one and every helper here is a no-op, so the loop is the same code with and
without DDP. ``train.batch_size`` stays the *global* batch (the paper's 32): each of N processes takes
``batch_size / N`` clips a step, so the number of steps, the learning-rate schedule and the effective batch do
not depend on N. Rank 0 alone writes checkpoints, ``model.pt``, ``history.csv`` and the MLflow run.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Iterator

import torch
import torch.distributed as dist

from mcat.errors import McatError

LOST_PEER = ("gloo", "NCCL", "Connection reset", "Connection closed", "timed out")  # how backends report it


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        """Whether this process writes the outputs (rank 0)."""
        return self.rank == 0

    def device(self, device: torch.device) -> torch.device:
        """This process's device: ``cuda:<local rank>`` on GPUs (an error when this machine has fewer GPUs than
        processes), the CPU otherwise."""
        if device.type != "cuda" or self.size == 1:
            return device
        if self.local_rank >= (gpus := torch.cuda.device_count()):
            raise McatError(f"process {self.local_rank} of this machine has no GPU of its own: the machine has {gpus} "
                            f"GPU(s), one process each; start at most {gpus} processes per machine (--nproc, "
                            "train_accelerator_count) or train on the CPU (-S train.device=cpu)")
        return torch.device("cuda", self.local_rank)

    def sum(self, values: torch.Tensor) -> torch.Tensor:
        """``values`` summed over every process (float64 on the CPU, a copy)."""
        values = values.detach().to(torch.float64).cpu().clone()
        if self.size > 1:
            on = values.cuda(self.local_rank) if dist.get_backend() == "nccl" else values
            dist.all_reduce(on)
            values = on.cpu()
        return values

    def gather(self, obj: Any) -> list[Any]:
        """Every process's ``obj``, in rank order."""
        if self.size == 1:
            return [obj]
        gathered: list[Any] = [None] * self.size
        dist.all_gather_object(gathered, obj)
        return gathered


def world_from_env() -> World:
    """The world ``torchrun`` describes in the environment; a world of one without it."""
    if "WORLD_SIZE" not in os.environ:
        return World()
    try:
        world = World(int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"]), int(os.environ.get("LOCAL_RANK", "0")))
    except (KeyError, ValueError):
        raise McatError("WORLD_SIZE is set but RANK/LOCAL_RANK are missing or not numbers: start distributed "
                        "training with torchrun (or `mcat train --nproc N`)") from None
    if not 0 <= world.rank < world.size:
        raise McatError(f"RANK={world.rank} is outside WORLD_SIZE={world.size}: start training with torchrun")
    return world


@contextlib.contextmanager
def process_group(world: World, device: torch.device, timeout_s: float) -> Iterator[None]:
    """Join the other processes (NCCL on GPUs, gloo on CPUs) for the duration; collective calls time out after
    ``timeout_s``, so a rank that dies makes the others fail with a clear error instead of hanging."""
    if world.size == 1:
        yield
        return
    if device.type == "cuda":
        torch.cuda.set_device(world.device(device))
    where = f"{os.environ.get('MASTER_ADDR', '?')}:{os.environ.get('MASTER_PORT', '?')}"
    try:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", rank=world.rank,
                                world_size=world.size, timeout=timedelta(seconds=timeout_s))
    except (RuntimeError, ValueError) as exc:
        raise McatError(f"rank {world.rank} could not join the other {world.size - 1} training process(es) at "
                        f"{where} ({_first_line(exc)}): check MASTER_ADDR/MASTER_PORT and that every node started") from None
    try:
        yield
    except RuntimeError as exc:
        if not (isinstance(exc, dist.DistError) or any(word in str(exc) for word in LOST_PEER)):
            raise
        raise McatError(f"rank {world.rank} lost the other training processes ({_first_line(exc)}): one of them "
                        "failed or the network broke; the last checkpoint is kept, rerun to resume") from None
    finally:
        dist.destroy_process_group()


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0][:200]
