import csv
import math

import pytest

from mlflow.tracking import MlflowClient

from mcat.experiments import (curve_points, curves_table, markdown_table, mean_ci95, run_experiments,
                              summarise_curves, summarise_runs)

from conftest import tiny_params


def test_matrix_of_runs_on_the_same_windows_makes_a_linked_table(mlflow_env, tmp_path, tiny_windows):
    params = tiny_params("train.epochs=1", "mlflow.experiment=matrix-test", "train.augment.tempo=[0.9, 1.2]")
    result = run_experiments(params, *tiny_windows, tmp_path / "models", tmp_path / "reports", tracking=params.mlflow)
    assert [r["run"] for r in result.rows] == ["mcat-both", "tcn-mask-width32"]
    with open(tmp_path / "reports/table.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and rows[1]["options"] == "width=32" and rows[1]["input"] == "MASK"
    assert [row["tempo"] for row in rows] == ["0.9-1.2"] * 2  # the tempo each run trained with: the params' own here
    client = MlflowClient(mlflow_env)
    for row in rows:
        run = client.get_run(row["mlflow_run"])
        assert run.data.params["train.model"] == row["model"]
        assert float(row["test_macro_f1"]) == round(run.data.metrics["eval.test.macro_f1"], 4)
    assert all(0 <= float(row["speed_worst_macro_f1"]) <= 1 for row in rows)
    assert (tmp_path / "reports" / "summary.csv").read_text().count("\n") == 3
    assert result.markdown.count("\n") == 4 and "| mcat | BOTH | – |" in result.markdown
    for name in ("mcat-both", "tcn-mask-width32"):
        assert (tmp_path / "reports" / name / "metrics.json").is_file()
    with open(tmp_path / "reports/curves.csv") as f:  # each configuration's speed curve, factor by factor
        curves = list(csv.DictReader(f))
    factors = [f for f in params.speedtest.factors]
    assert [(c["config"], float(c["factor"])) for c in curves] == [(r["config"], f) for r in rows for f in factors]
    assert [float(c["macro_f1_mean"]) for c in curves[:len(factors)]] == list(curve_points(rows[0]["speed_curve"]).values())
    assert (tmp_path / "reports/curves.png").stat().st_size > 0
    assert (tmp_path / "reports/curves.md").read_text() == result.curves_markdown


def test_seeds_give_a_mean_and_a_t_interval():
    assert mean_ci95([0.5, 0.6, 0.7]) == pytest.approx((0.6, 4.302653 * 0.1 / 3 ** 0.5))
    mean, ci = mean_ci95([0.5])
    assert mean == 0.5 and math.isnan(ci)
    rows = [{"config": "mcat-both", "model": "mcat", "input": "BOTH", "options": "", "tempo": "", "params_M": 1.0,
             "test_macro_f1": f1, "seed": s} for s, f1 in enumerate((0.5, 0.6, 0.7))]
    [summary] = summarise_runs(rows)
    assert summary["seeds"] == 3 and summary["test_macro_f1_mean"] == pytest.approx(0.6)
    assert summary["paper_test_macro_f1"] == 81.5  # MCAT-BOTH in the paper's Table 2
    line = markdown_table([summary]).splitlines()[2]
    assert "| 60.0 ± 24.8 |" in line and "| – |" in line  # measured F1 with its interval; missing values as dashes


def test_a_runs_own_noise_shares_name_it_in_the_tables():
    from mcat.config import ExperimentRun
    from mcat.experiments import config_name

    run = ExperimentRun(model="mcat", input_mode="mask+pose", mask_noise=0.2, pose_noise=0.5)
    assert config_name(run) == "mcat-mask+pose-masknoise0.2-posenoise0.5"
    line = markdown_table(summarise_runs([{"config": "c", "model": "mcat", "input": "MASK+POSE", "options": "",
                                           "tempo": "", "mask_noise": "0", "pose_noise": "0.5", "params_M": 1.0,
                                           "test_macro_f1": 0.5, "seed": 0}])).splitlines()[2]
    assert "| off | 0.5 |" in line  # mask noise off, pose noise 0.5


def test_speed_curves_are_averaged_factor_by_factor_over_the_seeds():
    rows = [{"config": "mcat-both", "speed_curve": "0.5x:0.500 1x:0.600 4x:0.300"},
            {"config": "mcat-both", "speed_curve": "0.5x:0.600 1x:0.700"},  # 4x skipped: too short at that factor
            {"config": "mcat-both", "speed_curve": "0.5x:0.700 1x:0.800 4x:0.500"},
            {"config": "tcn-mask", "speed_curve": "1x:0.400"}]
    assert curve_points(rows[0]["speed_curve"]) == {0.5: 0.5, 1.0: 0.6, 4.0: 0.3}
    curves = summarise_curves(rows)
    assert [(c["config"], c["factor"], c["seeds"]) for c in curves] == [
        ("mcat-both", 0.5, 3), ("mcat-both", 1.0, 3), ("mcat-both", 4.0, 2), ("tcn-mask", 1.0, 1)]
    assert (curves[1]["macro_f1_mean"], curves[1]["macro_f1_ci95"]) == pytest.approx(mean_ci95([0.6, 0.7, 0.8]))
    assert curves[2]["macro_f1_mean"] == pytest.approx(0.4)
    lines = curves_table(curves).splitlines()
    assert lines[0] == "| Configuration | Seeds | F1 at 0.5x | F1 at 1x | F1 at 4x |"
    assert lines[2] == "| mcat-both | 3 | 60.0 ± 24.8 | 70.0 ± 24.8 | 40.0 ± 127.1 |"
    assert lines[3] == "| tcn-mask | 1 | – | 40.0 | – |"  # one seed: no interval; factors it lacks: dashes
