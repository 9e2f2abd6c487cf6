"""The training loop of §4.2: AdamW, cosine annealing over all steps without warm-up, effective-number
class-weighted cross-entropy, clip-consistent augmentation, model selection on validation macro-F1.

Seeded per epoch (shuffling, augmentation, dropout), checkpointed after every epoch, so a run resumed
from its last checkpoint ends with the same weights as one that was never interrupted. Torch, numpy
and the project's own modules only: no MLflow or scikit-learn (tracking comes in through ``Tracker``).
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
from torch.utils.data import DataLoader
from tqdm import tqdm

from mcat.atomic import write_csv
from mcat.config import TrainParams, digest
from mcat.data.dataset import WindowDataset
from mcat.data.digest import data_digest
from mcat.data.windowing import label_frame
from mcat.errors import McatError
from mcat.inference import autocast, predict_proba, resolve_device
from mcat.modelfile import Preprocessing, save_model_file
from mcat.models import build
from mcat.stats import class_counts
from mcat.train.augment import augment
from mcat.train.checkpoint import load_checkpoint, save_checkpoint
from mcat.train.class_weights import effective_number_weights
from mcat.train.metrics import accuracy, macro_f1


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
                 generator: torch.Generator, num_classes: int, desc: str) -> dict[str, float]:
    model.train()
    losses, labels, predictions, seen = [], [], [], 0
    start = time.perf_counter()
    bar = tqdm(loader, desc=desc, unit="batch", leave=False, disable=None)
    for step, (clips, target) in enumerate(bar, 1):
        clips = clips.to(device, non_blocking=True)
        target = target.to(device, non_blocking=True)
        inputs = augment(clips, tp.augment, generator)
        with autocast(device):
            logits = model(inputs)
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
    y, p = np.concatenate(labels), np.concatenate(predictions)
    return {"train_loss": sum(losses) / seen, "train_accuracy": accuracy(y, p),
            "train_macro_f1": macro_f1(y, p, num_classes), "clips_per_second": seen / (time.perf_counter() - start)}


def _validate(model: nn.Module, loader: DataLoader, device, num_classes: int) -> dict[str, float]:
    labels, probs = predict_proba(model, loader, device)
    predictions = probs.argmax(axis=1)
    loss = float(-np.mean(np.log(np.clip(probs[np.arange(len(labels)), labels], 1e-12, None))))
    return {"val_loss": loss, "val_accuracy": accuracy(labels, predictions),
            "val_macro_f1": macro_f1(labels, predictions, num_classes)}


def training_recipe(tp: TrainParams, windows: Path, store: Path, masks: Path) -> str:
    """What a checkpoint must have been made with to be resumed: the train params, the data digest and the
    training and model code (a `dvc repro` after a code change trains anew)."""
    return f"{digest(tp)}:{data_digest(windows, store, masks)[:16]}:{_code_digest()}"


def _code_digest() -> str:
    sha = hashlib.sha256()
    for package in ("train", "models"):
        for source in sorted((Path(__file__).parents[1] / package).rglob("*.py")):
            sha.update(source.read_bytes())
    return sha.hexdigest()[:16]


def resumable_run_id(tp: TrainParams, windows: Path, store: Path, masks: Path, out: Path) -> str | None:
    """The MLflow run of the checkpoint in ``out`` that this training would resume, if any."""
    state = load_checkpoint(Path(out) / "checkpoints" / "last.pt", training_recipe(tp, windows, store, masks))
    return state.get("mlflow_run_id") if state else None


def fit(tp: TrainParams, windows: Path, store: Path, masks: Path, out: Path, *, tracker: Tracker | None = None,
          on_epoch_end: Callable[[int, dict[str, float]], None] | None = None) -> TrainResult:
    """Train ``tp.model`` on the train windows, select on val, write ``out/model.pt`` (the best
    epoch's weights) and ``out/history.csv`` (per-epoch metrics, for ``dvc plots``).

    Resumes from ``out/checkpoints/last.pt`` when it was made with the same params and data; a finished
    run with the same recipe returns at once. ``on_epoch_end(epoch, metrics)`` runs after each checkpoint.
    """
    out = Path(out)
    tracker = tracker or NoTracking()
    device = resolve_device(tp.device)
    train_set = WindowDataset(windows, "train", store, masks, tempo=tp.augment.tempo)
    val_set = WindowDataset(windows, "val", store, masks)
    if not len(train_set) or not len(val_set):
        raise McatError(f"training needs train and val windows in {windows} (got {len(train_set)} and {len(val_set)})")
    names = train_set.class_names
    torch.manual_seed(tp.seed)  # the initial weights
    model = build(tp.model, tp.input_mode, len(names), **tp.model_options).to(device)
    counts = class_counts(train_set.labels, len(names))
    weights = torch.tensor(effective_number_weights(counts, tp.class_weight_beta), dtype=torch.float32)
    loss_fn = nn.CrossEntropyLoss(weight=weights.to(device))
    optimizer = torch.optim.AdamW(model.parameters(), lr=tp.lr, weight_decay=tp.weight_decay, betas=tp.betas)
    steps_per_epoch = math.ceil(len(train_set) / tp.batch_size)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=tp.epochs * steps_per_epoch)
    data = data_digest(windows, store, masks)
    recipe = training_recipe(tp, windows, store, masks)

    pin = device.type == "cuda"
    val_loader = DataLoader(val_set, batch_size=tp.batch_size, num_workers=tp.workers, pin_memory=pin)
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
    if resumed_from == 0:
        tracker.log_params({"model_parameters": sum(p.numel() for p in model.parameters()), "data_digest": data,
                            "train_windows": len(train_set), "val_windows": len(val_set), "device": str(device)})

    for epoch in range(start_epoch, tp.epochs + 1):
        torch.manual_seed(tp.seed * 7919 + epoch)  # dropout
        train_set.set_epoch(tp.seed, epoch)  # tempo draws
        loader = DataLoader(train_set, batch_size=tp.batch_size, shuffle=True, num_workers=tp.workers,
                            pin_memory=pin, generator=_seeded(tp.seed, epoch, 0))
        lr = scheduler.get_last_lr()[0]
        metrics = _train_epoch(model, loader, optimizer, scheduler, loss_fn, device, tp,
                               _seeded(tp.seed, epoch, 1), len(names), f"epoch {epoch}/{tp.epochs}")
        metrics.update(_validate(model, val_loader, device, len(names)), lr=lr)
        history.append({"epoch": epoch, **metrics})
        write_csv(out / "history.csv", list(history[0]), ([h[k] for k in history[0]] for h in history))
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

    preprocessing = Preprocessing(train_set.resolution, train_set.T, train_set.stride, label_frame(train_set.T),
                                  train_set.mask_store.backend())
    meta = {"best_epoch": best_epoch, "val_macro_f1": best_f1, "data_digest": data, "recipe": recipe,
            "mlflow_run_id": tracker.run_id, "train": tp.model_dump(mode="json")}
    save_model_file(out / "model.pt", model, best_state, class_names=names, preprocessing=preprocessing, meta=meta)
    rates = [h["clips_per_second"] for h in history]
    return TrainResult(out / "model.pt", best_epoch, best_f1, tp.epochs - resumed_from, resumed_from,
                       float(np.mean(rates)) if rates else 0.0, sum(p.numel() for p in model.parameters()), history,
                       tracker.run_id)
