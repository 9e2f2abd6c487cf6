"""Every export format next to the fp32 model, measured in one run: test accuracy and macro-F1 (and their
change), file size, and latency per clip on 1 and 2 threads. The second row is the fp32 model with its batch norms
kept, as trained (the pipeline scores with them folded into the convolutions).

    python bench/export_bench.py [--model models/model.pt] [--windows data/windows] [--store data/ingested]
                                 [--masks data/masks] [--pose data/pose] [--split test] [--clips 64]
                                 [--variants onnx,torchscript]

Needs a trained model and its data (`make demo`; ``--pose``: the keypoints, for a model that reads them). Each
format is written with `mcat export`'s stage into a scratch folder and scored through the same loader `mcat
evaluate` and `mcat predict` use. Latency: the mean over ``--clips`` clips run one at a time (a live stream) and
in one batch of 32 (a recording), per thread count.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import DataLoader

from mcat.config import load_params
from mcat.data.dataset import WindowDataset
from mcat.evaluate.metrics import classification_metrics
from mcat.export.stage import FILE_NAMES, export
from mcat.inference import predict_proba
from mcat.modelfile import load_model_file, tempo_averaged

VARIANTS = {  # name: (export.format, export.int8); the fp32 model file is always the first row
    "onnx": ("onnx", None), "onnx-int8 static": ("onnx-int8", "static"), "onnx-int8 dynamic": ("onnx-int8", "dynamic"),
    "torchscript": ("torchscript", None)}


def latency_ms(model: torch.nn.Module, inputs: list[torch.Tensor], threads: int, batch: int) -> float:
    """Milliseconds per clip running ``inputs`` (clips [N, 2, T, R, R], and keypoints [N, T, K, 3] for a model that
    reads them) ``batch`` at a time on ``threads`` threads."""
    session = getattr(model, "session", None)
    if session is not None:  # ONNX Runtime sets its threads per session
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        model.session = ort.InferenceSession(str(model.path), options, providers=["CPUExecutionProvider"])
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        with torch.inference_mode():
            model(*(x[:batch] for x in inputs))
            start = time.perf_counter()
            for i in range(0, len(inputs[0]), batch):
                model(*(x[i:i + batch] for x in inputs))
            return (time.perf_counter() - start) * 1000 / len(inputs[0])
    finally:
        torch.set_num_threads(previous)
        if session is not None:
            model.session = session


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="models/model.pt")
    parser.add_argument("--windows", type=Path, default=Path("data/windows"))
    parser.add_argument("--store", type=Path, default=Path("data/ingested"))
    parser.add_argument("--masks", type=Path, default=Path("data/masks"))
    parser.add_argument("--pose", type=Path, default=Path("data/pose"), help="keypoints, for a model that reads them")
    parser.add_argument("--split", default="test")
    parser.add_argument("--clips", type=int, default=64, help="clips timed per latency figure")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="comma-separated, from: " + ", ".join(VARIANTS))
    args = parser.parse_args()
    variants = args.variants.split(",")
    if unknown := set(variants) - set(VARIANTS):
        parser.error(f"unknown variant {', '.join(sorted(unknown))}: choose from {', '.join(VARIANTS)}")
    data = (args.windows, args.store, args.masks)
    pose = load_model_file(args.model).pose_store(args.pose, Path(args.model))
    dataset = WindowDataset(args.windows, args.split, args.store, args.masks, pose_dir=pose)
    picked = [dataset[i][:-1] for i in np.linspace(0, len(dataset) - 1, args.clips).astype(int)]
    inputs = [torch.stack(column) for column in zip(*picked)]  # clips, and keypoints for a model that reads them
    params = load_params("params.yaml")
    print(f"{args.model} on {len(dataset)} {args.split} windows; latency over {args.clips} clips "
          f"{' + '.join(str(tuple(x.shape[1:])) for x in inputs)}, torch {torch.__version__}")
    print(f"{'format':<20}{'MB':>7}{'accuracy':>10}{'macro-F1':>10}{'dF1 pts':>9}{'agree':>8}"
          f"{'ms/clip b1 1t':>15}{'b1 2t':>8}{'b32 1t':>8}{'b32 2t':>8}")
    reference = None
    with tempfile.TemporaryDirectory() as scratch:
        rows = [("fp32 model.pt", (None, None)), ("  batch norms kept", ("unfolded", None)),
                *((v, VARIANTS[v]) for v in variants)]
        for name, (fmt, int8) in rows:
            path, agreement = Path(args.model), None
            if fmt not in (None, "unfolded"):
                settings = params.export.model_copy(update={"format": fmt, "int8": int8 or params.export.int8})
                result = export(settings, args.model, Path(scratch) / f"{int8 or ''}{FILE_NAMES[fmt]}", *data,
                                pose=pose)
                path, agreement = result.path, result.agreement
            model = load_model_file(path)
            if fmt == "unfolded":  # the network as trained, before mcat.inference.fold_batch_norm
                model = tempo_averaged(model, model.preprocessing.tempo_averaging, fold=False)
            labels, probs = predict_proba(model.model, DataLoader(dataset, batch_size=64), torch.device("cpu"))
            metrics = classification_metrics(labels, probs, model.class_names)
            reference = reference or metrics
            delta = 100 * (metrics["macro_f1"] - reference["macro_f1"])
            times = [latency_ms(model.model, inputs, threads, batch) for batch in (1, 32) for threads in (1, 2)]
            agree = "-" if agreement is None else f"{100 * agreement:.1f}%"
            print(f"{name:<20}{path.stat().st_size / 1e6:>7.2f}{100 * metrics['accuracy']:>9.1f}%"
                  f"{100 * metrics['macro_f1']:>9.1f}%{delta:>+9.1f}{agree:>8}"
                  + "".join(f"{t:>{15 if i == 0 else 8}.1f}" for i, t in enumerate(times)), flush=True)


if __name__ == "__main__":
    main()
