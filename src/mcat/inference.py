"""Running a model over clips: the device, autocast, and class probabilities. Torch and numpy only."""

from __future__ import annotations

import contextlib
import copy
import ctypes
import functools
from typing import Iterable

import numpy as np
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval
from torch.utils.data import DataLoader

from mcat.errors import McatError


def resolve_device(name: str) -> torch.device:
    """``auto`` → cuda when available, else cpu; ``cuda`` without a GPU is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise McatError("device 'cuda' was asked for but torch sees no GPU: set train.device=auto or cpu")
    return torch.device(name)


_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt parameters, <malloc.h>


@functools.cache
def keep_freed_memory() -> bool:
    """Make glibc's malloc keep the memory of large freed blocks in the process instead of giving it back to the
    kernel (``mallopt``: the mmap and trim thresholds at their largest), for this whole process and the processes it
    forks; True where it applied (glibc), False elsewhere (another C library: nothing changes).

    Why: every batch allocates and frees activation buffers of tens to hundreds of MB. With glibc's defaults each
    is a fresh ``mmap`` given back by ``munmap`` on free, so the next batch takes a page fault on every 4 KiB it
    touches: 184,000 faults and 35 % of the CPU time in the kernel per forward pass of MCAT at batch 64 and 48 px
    (``bench/malloc_bench.py``). Kept, the same pages are reused. It is what the jemalloc or tcmalloc that
    PyTorch's CPU tuning guide preloads would buy here, without another library. The cost: the process keeps its
    peak heap until it exits."""
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process runs on
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    largest = 2 ** 31 - 1
    return bool(mallopt(_M_MMAP_THRESHOLD, largest)) and bool(mallopt(_M_TRIM_THRESHOLD, largest))


def prepare(model: nn.Module, device: torch.device) -> nn.Module:
    """``model`` on ``device`` with its convolution weights channels_last (NHWC), so the convolutions and the
    batch-norm, ReLU and pooling passes between them run on NHWC activations: 1.3-1.4x the training clips/s of
    NCHW on a 2-core AVX2 CPU (docs/performance.md), and the layout tensor cores want. Only the 2-D
    convolutions' weights change layout (``Module.to(memory_format=...)`` on a whole model refuses ViViT's 5-D
    Conv3d weights); the values, and the state dict's keys and shapes, stay as they are. The process keeps the
    memory of freed activations from then on (:func:`keep_freed_memory`)."""
    keep_freed_memory()
    model = model.to(device)
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            module.to(memory_format=torch.channels_last)
    return model


_CONV_BN = ((nn.Conv1d, nn.BatchNorm1d), (nn.Conv2d, nn.BatchNorm2d), (nn.Conv3d, nn.BatchNorm3d))


def fold_batch_norm(model: nn.Module) -> nn.Module:
    """A copy of ``model`` in eval mode in which every batch norm that follows a convolution in an ``nn.Sequential``
    is folded into that convolution's weights and bias (``torch.nn.utils.fusion.fuse_conv_bn_eval``) and replaced
    by an identity: the same function up to float rounding, one memory-bound pass less per block. For scoring
    only; training and Grad-CAM keep the network as trained. MCAT at 48 px scores 1.2x the windows per second on
    2 CPU cores (docs/performance.md). Weights keep their memory format (channels_last stays)."""
    folded = copy.deepcopy(model).eval()
    for sequence in folded.modules():
        if not isinstance(sequence, nn.Sequential):
            continue
        for i in range(len(sequence) - 1):
            if any(isinstance(sequence[i], conv) and isinstance(sequence[i + 1], norm) for conv, norm in _CONV_BN):
                conv = fuse_conv_bn_eval(sequence[i], sequence[i + 1])
                if sequence[i].weight.is_contiguous(memory_format=torch.channels_last):
                    conv.to(memory_format=torch.channels_last)
                sequence[i], sequence[i + 1] = conv, nn.Identity()
    return folded


def device_of(model: nn.Module) -> torch.device:
    """Where ``model``'s parameters are; the CPU for a module without any (an ONNX Runtime session)."""
    return next((p.device for p in model.parameters()), torch.device("cpu"))


def native_bf16_cpu() -> bool:
    """Whether this CPU computes bf16 natively (AVX-512 BF16 or AMX, which oneDNN's kernels use). On an AVX2 CPU
    bf16 is emulated and a training step of MCAT several times slower than fp32 (docs/performance.md)."""
    # torch exposes the two checks only as private helpers of torch.cpu; a torch without them: no native bf16
    return any(getattr(torch.cpu, check, lambda: False)() for check in ("_is_avx512_bf16_supported",
                                                                         "_is_amx_tile_supported"))


def trains_bf16(precision: str, device: torch.device) -> bool:
    """Whether training with ``train.precision`` runs under bf16 autocast on ``device``: ``bf16`` always, ``fp32``
    never, ``auto`` on CUDA and on a CPU with native bf16."""
    if precision == "auto":
        return device.type == "cuda" or (device.type == "cpu" and native_bf16_cpu())
    return precision == "bf16"


def autocast(device: torch.device, bf16: bool | None = None) -> contextlib.AbstractContextManager:
    """bf16 autocast when ``bf16`` (default: on CUDA only, as evaluation and prediction run: fp32 on a CPU keeps
    their scores equal to an exported fp32 model's); nothing otherwise."""
    if device.type == "cuda" if bf16 is None else bf16:
        return torch.autocast(device.type, dtype=torch.bfloat16)
    return contextlib.nullcontext()


def predict_proba(model: nn.Module, loader: DataLoader, device: torch.device) -> tuple[np.ndarray, np.ndarray]:
    """(labels int64 [N], probabilities float32 [N, C]) over every batch of ``loader``: (clips, label), or
    (clips, keypoints, label) for a model that reads keypoints."""
    model.eval()
    labels, probs = [], []
    with torch.inference_mode():
        for *inputs, target in loader:
            with autocast(device):
                logits = model(*(x.to(device, non_blocking=True) for x in inputs))
            probs.append(torch.softmax(logits.float(), dim=1).cpu().numpy())
            labels.append(np.asarray(target, np.int64))
    return np.concatenate(labels), np.concatenate(probs)


def scores_by_frames(model: nn.Module) -> bool:
    """Whether ``model`` can score windows from per-frame tokens (:func:`proba_by_frames`): MCAT, alone or inside
    test-time tempo averaging; not the other models of the zoo, an exported file, or :class:`ClipsOnly`."""
    from mcat.models.mcat import MaskCrossAttentionTransformer
    from mcat.models.tempo import TempoAveraged

    return isinstance(model.network if isinstance(model, TempoAveraged) else model, MaskCrossAttentionTransformer)


def proba_by_frames(model: nn.Module, recordings: Iterable[tuple[np.ndarray, np.ndarray, tuple[np.ndarray, ...]]],
                    windows: int, batch_size: int, device: torch.device) -> np.ndarray:
    """Class probabilities float32 [windows, C] of windows given per recording as (their item indices int64 [W_r],
    the frame positions of each window int64 [W_r, T] into the recording's arrays, those arrays: frames, masks uint8
    [N, R, R] and, for a model that reads them, keypoints float32 [N, K, 3]).

    For a model with per-frame tokens (:func:`scores_by_frames`) and uncropped windows: each frame a window uses
    is encoded once, ``batch_size`` × T frames a pass, and the windows (and their tempo
    replays) are scored from their frames' tokens, with the same probabilities as from their clips."""
    model.eval()
    probs: np.ndarray | None = None
    with torch.inference_mode(), autocast(device):
        for items, positions, (frames, masks, *joints) in recordings:
            used, inverse = np.unique(positions, return_inverse=True)
            chunk = batch_size * positions.shape[1]
            tokens = torch.cat([model.frame_tokens(torch.from_numpy(np.stack([frames[used[i:i + chunk]],
                                                                              masks[used[i:i + chunk]]]))[None]
                                                   .to(device))[0] for i in range(0, len(used), chunk)])  # [U, S, d]
            inverse = torch.from_numpy(inverse.reshape(positions.shape)).to(device)
            for i in range(0, len(items), batch_size):
                pose = [torch.from_numpy(np.asarray(joints[0][positions[i:i + batch_size]], np.float32)).to(device)
                        ] if joints else []
                logits = model.from_frame_tokens(tokens[inverse[i:i + batch_size]], *pose)
                scores = torch.softmax(logits.float(), dim=1).cpu().numpy()
                if probs is None:
                    probs = np.zeros((windows, scores.shape[1]), np.float32)
                probs[items[i:i + batch_size]] = scores
    return np.zeros((0, 0), np.float32) if probs is None else probs


def windows_proba(model: nn.Module, dataset, batch_size: int, device: torch.device) -> tuple[np.ndarray, np.ndarray]:
    """(labels int64 [N], probabilities float32 [N, C]) of every window of ``dataset`` (a
    :class:`~mcat.data.dataset.WindowDataset` or the speed test's resampled windows): from frame tokens encoded once
    (:func:`proba_by_frames`) when the model has them and the windows are uncropped, else clip by clip."""
    if scores_by_frames(model) and dataset.uncropped():
        return np.asarray(dataset.labels, np.int64), proba_by_frames(model, dataset.by_recording(), len(dataset),
                                                                     batch_size, device)
    return predict_proba(model, DataLoader(dataset, batch_size=batch_size), device)


class ClipsOnly(nn.Module):
    """``network`` scored from whole window clips only: it hides MCAT's per-frame tokens, with which prediction,
    evaluation and the speed test encode each frame once (:func:`proba_by_frames`); the reference that path is
    checked against."""

    def __init__(self, network: nn.Module):
        super().__init__()
        self.network = network

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        return self.network(*inputs)
