"""``mcat export``: ONNX fp32, ONNX int8 (static and dynamic) and TorchScript files that evaluation and
prediction take as --model, and the errors of files that are not what they should be."""

import json

import numpy as np
import onnx
import pytest
import torch
from torch.utils.data import DataLoader

from mcat.cli import main
from mcat.data.dataset import WindowDataset
from mcat.errors import McatError
from mcat.evaluate.stage import evaluate
from mcat.export.stage import FILE_NAMES, export
from mcat.inference import predict_proba
from mcat.modelfile import load_model_file
from mcat.predict.stage import predict

from conftest import leftovers, tiny_params


@pytest.fixture(scope="module")
def onnx_file(tmp_path_factory, tiny_trained, tiny_windows):
    """The tiny model exported once as fp32 ONNX. Read-only."""
    out = tmp_path_factory.mktemp("onnx") / "model.onnx"
    return export(tiny_params().export, str(tiny_trained[2] / "model.pt"), out, *tiny_windows)


def _probabilities(model_path, windows):
    model = load_model_file(model_path)
    return predict_proba(model.model, DataLoader(WindowDataset(*windows[:1], "val", *windows[1:]), batch_size=16),
                         torch.device("cpu"))


@pytest.mark.parametrize("fmt", ["onnx", "torchscript"])
def test_an_exported_model_gives_the_model_files_probabilities(fmt, onnx_file, tiny_trained, tiny_windows, tmp_path):
    params = tiny_params(f"export.format={fmt}")
    result = onnx_file if fmt == "onnx" else export(params.export, str(tiny_trained[2] / "model.pt"),
                                                    tmp_path / "m" / FILE_NAMES[fmt], *tiny_windows)
    assert result.path.is_file() and result.size_bytes == result.path.stat().st_size and result.agreement is None
    labels, probs = _probabilities(result.path, tiny_windows)
    labels_pt, probs_pt = _probabilities(tiny_trained[2] / "model.pt", tiny_windows)
    np.testing.assert_array_equal(labels, labels_pt)
    np.testing.assert_allclose(probs, probs_pt, atol=1e-5)
    exported, original = load_model_file(result.path), load_model_file(tiny_trained[2] / "model.pt")
    assert exported.class_names == original.class_names and exported.preprocessing == original.preprocessing
    assert "mlflow_run_id" not in exported.meta  # evaluating the export never logs into the training run
    assert exported.meta["export"]["format"] == fmt and leftovers(result.path.parent) == []


@pytest.mark.parametrize("mode", ["static", "dynamic"])
def test_int8_is_smaller_agrees_with_fp32_and_evaluates(mode, onnx_file, tiny_trained, tiny_windows, tmp_path):
    params = tiny_params("export.format=onnx-int8", f"export.int8={mode}", "export.calibration_windows=40")
    int8 = export(params.export, str(tiny_trained[2] / "model.pt"), tmp_path / "model.int8.onnx", *tiny_windows)
    assert int8.size_bytes < 0.6 * onnx_file.size_bytes
    assert int8.windows == 40 and 0.5 <= int8.agreement <= 1.0
    quantized = {node.op_type for node in onnx.load(str(int8.path)).graph.node}
    assert ("QuantizeLinear" in quantized) if mode == "static" else ("DynamicQuantizeLinear" in quantized)
    result = evaluate(tiny_params().evaluate, int8.path, *tiny_windows, tmp_path / "reports")
    assert 0 <= result.metrics["test"]["macro_f1"] <= 1 and result.run_id is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.int8.onnx", "reports"]


def test_predict_runs_an_exported_model_on_a_video(onnx_file, tiny_dataset, tiny_trained, tmp_path):
    params = tiny_params("predict.mask_backend=background")
    path = onnx_file.path
    video = tiny_dataset / "videos/test_000.mp4"
    [onnx_run] = predict(params.predict, str(path), [video], tmp_path / "onnx", masks=params.masks).videos
    [torch_run] = predict(params.predict, str(tiny_trained[2] / "model.pt"), [video], tmp_path / "pt",
                          masks=params.masks).videos
    np.testing.assert_allclose(onnx_run.probs, torch_run.probs, atol=1e-5)


def test_cli_exports_with_the_format_shorthand(tiny_trained, tmp_path, capsys):
    out = tmp_path / "model.pt"
    assert main(["export", "--model", str(tiny_trained[2] / "model.pt"), "--format", "torchscript", "--out", str(out),
                 "--preset", "tiny", "--no-track"]) == 0
    assert "torchscript:" in capsys.readouterr().out and isinstance(load_model_file(out).model, torch.jit.ScriptModule)


def _tampered(source, tmp_path, change):
    proto = onnx.load(str(source))
    entry = next(p for p in proto.metadata_props if p.key == "mcat")
    metadata = json.loads(entry.value)
    change(proto, metadata)
    entry.value = json.dumps(metadata)
    path = tmp_path / "tampered.onnx"
    onnx.save(proto, str(path))
    return path


@pytest.mark.parametrize("problem, message", [
    ("unknown format", "export.format"),
    ("not an mcat model file", "is not a readable model file"),
    ("already exported", "is already an exported model"),
    ("int8 without windows", "int8 export calibrates and checks on the training windows"),
    ("ONNX named otherwise", "an ONNX file's name must end in .onnx"),
])
def test_bad_exports_say_what_is_wrong_and_write_nothing(problem, message, onnx_file, tiny_trained, tmp_path, capsys):
    model, more = tiny_trained[2] / "model.pt", []
    if problem == "unknown format":
        more = ["--format", "tflite"]
    elif problem == "not an mcat model file":
        (model := tmp_path / "random.pt").write_bytes(np.random.default_rng(0).bytes(4096))
    elif problem == "already exported":
        model = onnx_file.path
    elif problem == "int8 without windows":
        more = ["--format", "onnx-int8", "--windows", str(tmp_path / "none")]
    capsys.readouterr()
    before = sorted(tmp_path.iterdir())
    out = tmp_path / ("model.bin" if problem == "ONNX named otherwise" else "out.onnx")
    code = main(["export", "--model", str(model), "--out", str(out), *more, "--preset", "tiny",
                 "--no-track"])
    err = capsys.readouterr().err.strip()
    one_line = "\n" not in err or problem == "unknown format"  # invalid params: one line per invalid key
    assert code == 1 and message in err and one_line, err
    assert sorted(tmp_path.iterdir()) == before  # nothing written, no temporary left


@pytest.mark.parametrize("problem, message", [
    ("another model's shape", "takes clips [batch, 2, 16, 32, 32] but its metadata says [batch, 2, 16, 48, 48]"),
    ("no mcat metadata", "was not exported by mcat"),
    ("not ONNX", "is not a readable ONNX model"),
])
def test_an_onnx_file_that_does_not_fit_is_refused(problem, message, onnx_file, tmp_path):
    source = onnx_file.path
    if problem == "another model's shape":
        path = _tampered(source, tmp_path, lambda proto, m: m["preprocessing"].update(resolution=48))
    elif problem == "no mcat metadata":
        path = _tampered(source, tmp_path, lambda proto, m: m.clear())
    else:
        (path := tmp_path / "noise.onnx").write_bytes(b"not a protobuf at all")
    with pytest.raises(McatError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_model_file(path)

