"""The training loop of §4.2: AdamW, cosine annealing over all steps without warm-up, effective-number
class-weighted cross-entropy, clip-consistent augmentation, model selection on validation macro-F1.

Seeded per epoch (shuffling, augmentation, dropout), checkpointed after every epoch, so a run resumed
from its last checkpoint ends with the same weights as one that was never interrupted. Data-parallel over
the processes of a :class:`~mcat.train.distributed.World` (one process: plain training). Torch, numpy and the
project's own modules only: no MLflow or scikit-learn (tracking comes in through ``Tracker``).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Protocol

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, Subset
from tqdm import tqdm

from mcat.atomic import write_csv
from mcat.config import TrainParams, digest
from mcat.data.dataset import WindowDataset
from mcat.data.digest import data_digest
from mcat.data.windowing import label_frame
from mcat.errors import McatError
from mcat.inference import autocast, predict_proba, prepare, resolve_device, trains_bf16
from mcat.modelfile import Preprocessing, pose_input, save_model_file
from mcat.models import build
from mcat.stats import class_counts
from mcat.train.augment import augment
from mcat.train.checkpoint import load_checkpoint, save_checkpoint
from mcat.train.class_weights import effective_number_weights
from mcat.train.distributed import World
from mcat.train.metrics import accuracy, confusion_matrix, f1_from_confusion, macro_f1


class Tracker(Protocol):
    """Where params and per-epoch metrics go (MLflow in ``mcat.tracking``)."""

    run_id: str | None

    def log_params(self, params: dict[str, Any]) -> None: ...

    def log_metrics(self, metrics: dict[str, float], step: int) -> None: ...


class NoTracking:
    run_id = None

    def log_params(self, params: dict[str, Any]) -> None:
        pass

    def log_metrics(self, metrics: dict[str, float], step: int) -> None:
        pass


@dataclass
class TrainResult:
    model_path: Path
    best_epoch: int
    best_val_macro_f1: float
    epochs_run: int
    resumed_from_epoch: int  # 0 when the run started from scratch
    clips_per_second: float
    parameters: int
    history: list[dict[str, float]] = field(default_factory=list)
    run_id: str | None = None  # the MLflow run, when tracked


def _seeded(seed: int, epoch: int, stream: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed * 1_000_003 + epoch * 101 + stream)


def _train_epoch(model: nn.Module, loader: DataLoader, optimizer, scheduler, loss_fn, device, tp: TrainParams,
                 generator: torch.Generator, num_classes: int, desc: str, world: World, bf16: bool) -> dict[str, float]:
    """One pass over this process's share of the train windows (``bf16``: the step under bf16 autocast); the
    metrics are over every process's share."""
    model.train()
    losses, labels, predictions, seen = [], [], [], 0
    start = time.perf_counter()
    bar = tqdm(loader, desc=desc, unit="batch", leave=False, disable=None if world.main else True)
    for step, (clips, *joints, target) in enumerate(bar, 1):
        clips = clips.to(device, non_blocking=True)
        target = target.to(device, non_blocking=True)
        clips, pose = augment(clips, tp.augment, generator, joints[0].to(device, non_blocking=True) if joints else None)
        with autocast(device, bf16):
            logits = model(clips) if pose is None else model(clips, pose)
        loss = loss_fn(logits.float(), target)
        if not torch.isfinite(loss):
            raise McatError(f"training diverged: the loss is {loss.item()} at {desc}, batch {step}; nothing was "
                            f"written to model.pt. Lower train.lr (now {tp.lr}) or check the data")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        seen += len(target)
        losses.append(loss.item() * len(target))
        labels.append(target.cpu().numpy())
        predictions.append(logits.argmax(dim=1).cpu().numpy())
        bar.set_postfix(loss=f"{loss.item():.3f}", clips_s=f"{seen / (time.perf_counter() - start):.1f}")
    seconds = time.perf_counter() - start
    confusion = confusion_matrix(np.concatenate(labels), np.concatenate(predictions), num_classes)
    totals = world.sum(torch.tensor([sum(losses), seen, *confusion.ravel()], dtype=torch.float64))
    loss_sum, seen_all, confusion = float(totals[0]), int(totals[1]), totals[2:].long().numpy().reshape(confusion.shape)
    return {"train_loss": loss_sum / seen_all, "train_accuracy": float(np.trace(confusion) / seen_all),
            "train_macro_f1": f1_from_confusion(confusion), "train_clips": seen_all,
            "clips_per_second": seen_all * world.size / float(world.sum(torch.tensor([seconds]))[0])}


def _validate(model: nn.Module, val_set: WindowDataset, batch_size: int, workers: int, device, num_classes: int,
              world: World) -> dict[str, float]:
    """Metrics over every val window; each process scores every ``world.size``-th window."""
    share = Subset(val_set, range(world.rank, len(val_set), world.size))
    loader = DataLoader(share, batch_size=batch_size, num_workers=workers, pin_memory=device.type == "cuda")
    parts = world.gather(predict_proba(model, loader, device))
    labels, probs = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    predictions = probs.argmax(axis=1)
    loss = float(-np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, None))))
    return {"val_loss": loss, "val_accuracy": accuracy(labels, predictions),
            "val_macro_f1": macro_f1(labels, predictions, num_classes)}


def pose_read(tp: TrainParams, pose: Path | None) -> Path | None:
    """The pose store a training of ``tp`` reads (:func:`mcat.modelfile.pose_input`)."""
    return pose_input(tp.input_mode, pose, f"model '{tp.model}'")


def training_recipe(tp: TrainParams, windows: Path, store: Path, masks: Path, pose: Path | None = None) -> str:
    """What a checkpoint must have been made with to be resumed: the train params, the data digest and the
    training and model code (a `dvc repro` after a code change trains anew)."""
    return f"{digest(tp)}:{data_digest(windows, store, masks, pose_read(tp, pose))[:16]}:{_code_digest()}"


def _code_digest() -> str:
    sha = hashlib.sha256()
    for package in ("train", "models"):
        for source in sorted((Path(__file__).parents[1] / package).rglob("*.py")):
            sha.update(source.read_bytes())
    return sha.hexdigest()[:16]


def _order(train_set: WindowDataset, seed: int, epoch: int, world: World) -> dict[str, Any]:
    """How the epoch's windows are shuffled: one seeded permutation, dealt over the processes in a world of
    several (``DistributedSampler``, reseeded each epoch)."""
    if world.size == 1:
        return {"shuffle": True, "generator": _seeded(seed, epoch, 0)}
    sampler = DistributedSampler(train_set, num_replicas=world.size, rank=world.rank, shuffle=True, seed=seed)
    sampler.set_epoch(epoch)
    return {"sampler": sampler}


def resumable_run_id(tp: TrainParams, windows: Path, store: Path, masks: Path, out: Path,
                     pose: Path | None = None) -> str | None:
    """The MLflow run of the checkpoint in ``out`` that this training would resume, if any."""
    state = load_checkpoint(Path(out) / "checkpoints" / "last.pt", training_recipe(tp, windows, store, masks, pose))
    return state.get("mlflow_run_id") if state else None


def check_world(tp: TrainParams, world: World, train_windows: int) -> None:
    """The errors of a process count that cannot split the training: raised before any process starts work."""
    if tp.batch_size % world.size:
        raise McatError(f"train.batch_size={tp.batch_size} (the global batch) does not split over {world.size} "
                        f"processes: use a multiple of {world.size}, or fewer processes")
    if train_windows < world.size:
        raise McatError(f"{world.size} processes for {train_windows} training windows: use at most {train_windows}")


def _write_history(path: Path, history: list[dict[str, float]]) -> None:
    """``history.csv``: one row per epoch of ``history`` (what ``dvc plots`` draws)."""
    write_csv(path, list(history[0]), ([h[k] for k in history[0]] for h in history))


def fit(tp: TrainParams, windows: Path, store: Path, masks: Path, out: Path, *, pose: Path | None = None,
        tracker: Tracker | None = None, on_epoch_end: Callable[[int, dict[str, float]], None] | None = None,
        world: World = World()) -> TrainResult:
    """Train ``tp.model`` on the train windows, select on val, write ``out/model.pt`` (the best
    epoch's weights) and ``out/history.csv`` (per-epoch metrics, for ``dvc plots``). ``pose``: the keypoints
    (``mcat pose``), which the pose input modes read.

    Resumes from ``out/checkpoints/last.pt`` when it was made with the same params and data; a finished
    run with the same recipe returns at once. ``on_epoch_end(epoch, metrics)`` runs after each checkpoint.
    In a ``world`` of several processes (its process group joined), each trains on its share of every batch
    and rank 0 alone writes and tracks.
    """
    out = Path(out)
    tracker = tracker or NoTracking()
    device = world.device(resolve_device(tp.device))
    pose = pose_read(tp, pose)
    train_set = WindowDataset(windows, "train", store, masks, tempo=tp.augment.tempo, pose_dir=pose)
    val_set = WindowDataset(windows, "val", store, masks, pose_dir=pose)
    if not len(train_set) or not len(val_set):
        raise McatError(f"training needs train and val windows in {windows} (got {len(train_set)} and {len(val_set)})")
    check_world(tp, world, len(train_set))
    names = train_set.class_names
    torch.manual_seed(tp.seed)  # the initial weights, the same in every process
    model = prepare(build(tp.model, tp.input_mode, len(names), **tp.model_options), device)
    counts = class_counts(train_set.labels, len(names))
    weights = torch.tensor(effective_number_weights(counts, tp.class_weight_beta), dtype=torch.float32)
    loss_fn = nn.CrossEntropyLoss(weight=weights.to(device))
    optimizer = torch.optim.AdamW(model.parameters(), lr=tp.lr, weight_decay=tp.weight_decay, betas=tp.betas)
    batch = tp.batch_size // world.size  # per process
    steps_per_epoch = math.ceil(math.ceil(len(train_set) / world.size) / batch)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=tp.epochs * steps_per_epoch)
    data = data_digest(windows, store, masks, pose)
    recipe = training_recipe(tp, windows, store, masks, pose)

    pin = device.type == "cuda"
    state = load_checkpoint(out / "checkpoints" / "last.pt", recipe)
    start_epoch, best_f1, best_epoch, history = 1, -1.0, 0, []
    best_state = None
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, best_f1, best_epoch = state["epoch"] + 1, state["best_val_macro_f1"], state["best_epoch"]
        history, best_state = state["history"], state["best_model"]
    resumed_from = start_epoch - 1
    trained = model if world.size == 1 else DistributedDataParallel(
        model, device_ids=[device.index] if device.type == "cuda" else None)
    bf16 = trains_bf16(tp.precision, device)
    if resumed_from == 0:
        tracker.log_params({"model_parameters": sum(p.numel() for p in model.parameters()), "data_digest": data,
                            "train_windows": len(train_set), "val_windows": len(val_set), "device": str(device),
                            "autocast": "bf16" if bf16 else "none"})

    for epoch in range(start_epoch, tp.epochs + 1):
        torch.manual_seed(tp.seed * 7919 + epoch + 100_003 * world.rank)  # dropout
        train_set.set_epoch(tp.seed, epoch)  # tempo draws
        loader = DataLoader(train_set, batch_size=batch, num_workers=tp.workers, pin_memory=pin,
                            **_order(train_set, tp.seed, epoch, world))
        lr = scheduler.get_last_lr()[0]
        metrics = _train_epoch(trained, loader, optimizer, scheduler, loss_fn, device, tp,
                               _seeded(tp.seed, epoch, 1 + 2 * world.rank), len(names), f"epoch {epoch}/{tp.epochs}",
                               world, bf16)
        metrics.update(_validate(model, val_set, batch, tp.workers, device, len(names), world), lr=lr)
        if not world.main:
            continue
        history.append({"epoch": epoch, **metrics})
        _write_history(out / "history.csv", history)
        tracker.log_metrics(metrics, step=epoch)
        if metrics["val_macro_f1"] > best_f1:
            best_f1, best_epoch = metrics["val_macro_f1"], epoch
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        save_checkpoint(out / "checkpoints" / "last.pt", {
            "recipe": recipe, "epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(), "best_model": best_state, "best_val_macro_f1": best_f1,
            "best_epoch": best_epoch, "history": history, "mlflow_run_id": tracker.run_id})
        print(f"epoch {epoch}/{tp.epochs}: loss {metrics['train_loss']:.3f}, val accuracy "
              f"{metrics['val_accuracy']:.3f}, val macro-F1 {metrics['val_macro_f1']:.3f}, "
              f"{metrics['clips_per_second']:.1f} clips/s")
        if on_epoch_end is not None:
            on_epoch_end(epoch, metrics)

    if not world.main:
        return TrainResult(out / "model.pt", best_epoch, best_f1, tp.epochs - resumed_from, resumed_from, 0.0,
                           sum(p.numel() for p in model.parameters()))
    if resumed_from < tp.epochs:  # the chosen model's figures on the run page, apart from the per-epoch curve
        tracker.log_metrics({"best_epoch": best_epoch, "best_val_macro_f1": best_f1}, step=best_epoch)
    else:  # a finished run asked again (`dvc repro` after a code change deletes its outputs first): write them again
        _write_history(out / "history.csv", history)
    framing = train_set.framing()
    preprocessing = Preprocessing(framing.resolution, train_set.T, train_set.stride, label_frame(train_set.T),
                                  train_set.mask_store.backend(), framing.fps, framing.fit, train_set.crop,
                                  train_set.crop_margin, train_set.pose_store.backend() if pose else "",
                                  tp.tempo_averaging)
    meta = {"best_epoch": best_epoch, "val_macro_f1": best_f1, "data_digest": data, "recipe": recipe,
            "mlflow_run_id": tracker.run_id, "train": tp.model_dump(mode="json")}
    save_model_file(out / "model.pt", model, best_state, class_names=names, preprocessing=preprocessing, meta=meta)
    rates = [h["clips_per_second"] for h in history]
    return TrainResult(out / "model.pt", best_epoch, best_f1, tp.epochs - resumed_from, resumed_from,
                       float(np.mean(rates)) if rates else 0.0, sum(p.numel() for p in model.parameters()), history,
                       tracker.run_id)
