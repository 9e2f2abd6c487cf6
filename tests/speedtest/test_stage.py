"""The stage on the tiny preset: a curve per factor, its summary, a clean error for impossible factors."""

import json

import pytest

from mcat.cli import main
from mcat.errors import McatError
from mcat.speedtest.stage import speedtest, summarise

from conftest import ROOT, tiny_params


def test_curve_summary_and_outputs(tiny_trained, tiny_windows, tmp_path):
    _, store, masks = tiny_windows
    params = tiny_params("speedtest.splits=[test, val]", "speedtest.factors=[0.5, 1, 2, 4, 40]")
    result = speedtest(params.speedtest, tiny_trained[2] / "model.pt", store, masks, tmp_path / "speed")
    test = result.curve["test"]
    assert [r["factor"] for r in test] == [0.5, 1, 2, 4, 40]
    assert test[-1]["skipped"] and "16 frames at 40x" in test[-1]["skipped"]  # too short: recorded, not fatal
    assert test[0]["windows"] > test[1]["windows"] > test[2]["windows"] > 0  # slower play: more windows
    assert all(0 <= r[k] <= 1 for r in test[:4] for k in ("accuracy", "macro_f1"))
    assert result.summary["test"]["worst_macro_f1"] == min(r["macro_f1"] for r in test[:4])
    for name in ("curve.json", "curve.csv", "summary.json", "curve.png"):
        assert (tmp_path / "speed" / name).is_file()
    assert json.loads((tmp_path / "speed" / "summary.json").read_text()) == result.summary
    scored = sum(not r.get("skipped") for rows in result.curve.values() for r in rows)
    assert (tmp_path / "speed" / "curve.csv").read_text().count("\n") == 1 + scored


def test_area_under_a_flat_curve_is_its_f1():
    rows = [{"factor": f, "macro_f1": 0.6} for f in (0.5, 1, 2, 4)] + [{"factor": 8, "skipped": "short"}]
    assert summarise(rows) == pytest.approx({"worst_macro_f1": 0.6, "worst_factor": 0.5, "macro_f1_auc": 0.6})


def test_impossible_factors_and_splits_are_clean_errors(tiny_trained, tiny_windows, tmp_path, capsys):
    _, store, masks = tiny_windows
    with pytest.raises(McatError, match="lower the largest factors"):
        speedtest(tiny_params("speedtest.factors=[50]").speedtest, tiny_trained[2] / "model.pt", store, masks, tmp_path / "a")
    with pytest.raises(McatError, match="no 'nope' recordings"):
        speedtest(tiny_params("speedtest.splits=[nope]").speedtest, tiny_trained[2] / "model.pt", store, masks, tmp_path / "b")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    code = main(["speedtest", "--params", str(ROOT / "params.yaml"), "--preset", "tiny", "-S", "speedtest.factors=[2, 0]",
                 "--out", str(tmp_path / "c")])
    err = capsys.readouterr().err.strip()
    assert code == 1 and "speedtest.factors" in err and "must be > 0" in err and "Traceback" not in err


def test_without_tracking_no_mlflow_run_is_named_even_when_the_model_has_one(tiny_trained, tiny_windows, tmp_path):
    import torch

    from mcat.evaluate.stage import evaluate

    payload = torch.load(tiny_trained[2] / "model.pt", weights_only=True)
    payload["meta"]["mlflow_run_id"] = "0123456789abcdef"  # trained with tracking; scored here without
    torch.save(payload, tmp_path / "model.pt")
    params = tiny_params("speedtest.factors=[1, 2]")
    assert speedtest(params.speedtest, tmp_path / "model.pt", *tiny_windows[1:], tmp_path / "speed").run_id is None
    assert evaluate(params.evaluate, tmp_path / "model.pt", *tiny_windows, tmp_path / "reports").run_id is None
