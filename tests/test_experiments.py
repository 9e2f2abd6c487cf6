import csv

from mlflow.tracking import MlflowClient

from mcat.experiments import markdown_table, run_experiments

from conftest import tiny_params


def test_matrix_of_runs_on_the_same_windows_makes_a_linked_table(mlflow_env, tmp_path, tiny_windows):
    params = tiny_params("train.epochs=1", "mlflow.experiment=matrix-test")
    result = run_experiments(params, *tiny_windows, tmp_path / "models", tmp_path / "reports", tracking=params.mlflow)
    assert [r["run"] for r in result.rows] == ["mcat-both", "tcn-mask-width32"]
    with open(tmp_path / "reports/table.csv") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 2 and rows[1]["options"] == "width=32" and rows[1]["input"] == "MASK"
    client = MlflowClient(mlflow_env)
    for row in rows:
        run = client.get_run(row["mlflow_run"])
        assert run.data.params["train.model"] == row["model"]
        assert float(row["test_macro_f1"]) == round(run.data.metrics["test_macro_f1"], 4)
    assert rows[0]["paper_test_accuracy"] == "85.5"  # MCAT-BOTH in the paper's Table 2
    assert result.markdown.count("\n") == 4 and "| mcat | BOTH | – |" in result.markdown
    for name in ("mcat-both", "tcn-mask-width32"):
        assert (tmp_path / "reports" / name / "metrics.json").is_file()


def test_markdown_shows_missing_values_as_dashes():
    row = {"model": "mlp", "input": "RAW", "options": "", "params_M": 0.04, "val_accuracy": 0.5, "test_accuracy": 0.25,
           "paper_test_accuracy": None, "paper_test_macro_f1": None, "paper_test_macro_roc_auc": None,
           "wall_s": 1.0, "train_clips_per_s": 2.0, "mlflow_run": ""}
    line = markdown_table([row]).splitlines()[2]
    assert "| 50.0 | – | – | 25.0 | – | – | – | – | – |" in line
