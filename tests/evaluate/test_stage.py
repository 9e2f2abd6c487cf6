import json

import numpy as np
import pytest
from sklearn.metrics import accuracy_score, f1_score

from mcat.data.dataset import WindowDataset
from mcat.errors import McatError
from mcat.evaluate.stage import evaluate
from mcat.modelfile import load_model_file
from mcat.train.loop import fit
from mcat.windows.stage import make_windows

from conftest import tiny_params


@pytest.fixture(scope="module")
def model_path(tmp_path_factory, tiny_windows):
    return fit(tiny_params("train.epochs=2").train, *tiny_windows, tmp_path_factory.mktemp("model")).model_path


def test_reports_per_split_and_the_speed_shift_gap(tmp_path, tiny_windows, model_path):
    result = evaluate(tiny_params().evaluate, model_path, *tiny_windows, tmp_path)
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["val"]["domain"] == "slow" and metrics["test"]["domain"] == "fast"
    for key in ("accuracy", "macro_f1", "macro_roc_auc"):
        assert metrics["speed_shift"][key] == pytest.approx(metrics["val"][key] - metrics["test"][key])
    # independent recomputation of the test split with scikit-learn
    model = load_model_file(model_path)
    dataset = WindowDataset(tiny_windows[0], "test", *tiny_windows[1:])
    import torch
    with torch.no_grad():
        predictions = np.concatenate([model.model(torch.stack([dataset[i][0] for i in range(s, min(s + 32, len(dataset)))]))
                                      .argmax(1).numpy() for s in range(0, len(dataset), 32)])
    assert metrics["test"]["accuracy"] == pytest.approx(accuracy_score(dataset.labels, predictions))
    assert metrics["test"]["macro_f1"] == pytest.approx(f1_score(dataset.labels, predictions, average="macro"))
    per_class = json.loads((tmp_path / "per_class.json").read_text())
    assert sum(c["support"] for c in per_class["test"]["per_class"].values()) == metrics["test"]["windows"]
    for name in ("val_confusion.png", "test_roc.png", "test_confusion.csv", "test_roc.csv"):
        assert (tmp_path / "plots" / name).stat().st_size > 0
    assert "gap (val - test)" in result.summary


def test_missing_split_and_mismatched_model_are_clear(tmp_path, tiny_windows, model_path):
    with pytest.raises(McatError, match="no windows for split\\(s\\) unseen"):
        evaluate(tiny_params("evaluate.splits=[test, unseen]").evaluate, model_path, *tiny_windows, tmp_path)
    with pytest.raises(McatError, match="model file .* does not exist"):
        evaluate(tiny_params().evaluate, tmp_path / "none.pt", *tiny_windows, tmp_path)
    cropped = make_windows(tiny_params("windows.crop=person").windows, *tiny_windows[1:], tmp_path / "cropped").out
    with pytest.raises(McatError, match="crop none, .* but the windows have .* crop person \\(margin 0.15\\)"):
        evaluate(tiny_params().evaluate, model_path, cropped, *tiny_windows[1:], tmp_path / "r")
    assert not (tmp_path / "r").exists()


def test_damaged_model_files_and_empty_splits_are_clean_errors(tmp_path, tiny_windows, model_path):
    import shutil

    bad = tmp_path / "bad.pt"
    for content in (b"random bytes " * 50, model_path.read_bytes()[:1000]):  # garbage, truncated
        bad.write_bytes(content)
        with pytest.raises(McatError, match="is not a readable model file") as err:
            evaluate(tiny_params().evaluate, bad, *tiny_windows, tmp_path / "r")
        assert "weights_only" not in str(err.value)
    windows = tmp_path / "windows"
    shutil.copytree(tiny_windows[0], windows)
    (windows / "test.csv").write_text("recording_id,start,label\n")  # a header only
    with pytest.raises(McatError, match="split\\(s\\) test have no window"):
        evaluate(tiny_params().evaluate, model_path, windows, *tiny_windows[1:], tmp_path / "reports")
    assert not (tmp_path / "reports").exists()  # nothing half-written (val's plots included)
    with pytest.raises(McatError, match="holds no window index: run `mcat windows`"):
        evaluate(tiny_params().evaluate, model_path, tmp_path / "nowhere", *tiny_windows[1:], tmp_path / "reports")
