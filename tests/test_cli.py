"""The stages end to end through the CLI, as `make demo` runs them, on the tiny preset."""

import json
import os

import pytest

from mcat.cli import EXAMPLES, build_parser, main

from conftest import ROOT


def test_synth_ingest_masks_windows(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    common = ["--params", str(ROOT / "params.yaml"), "--preset", "tiny"]
    for stage in ("synth", "ingest", "masks", "windows"):
        assert main([stage, *common]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "KL(train||test)" in out and "windows (T=16, stride=8, crop none)" in out
    assert sorted(os.listdir("data")) == ["ingested", "masks", "synthetic", "windows"]
    stats = json.loads((tmp_path / "data/windows/stats.json").read_text())
    assert stats["windows"]["train"] > 0 and stats["class_names"][0] == "non_activity"
    assert main(["ingest", *common]) == 0
    assert "0 ingested, 4 unchanged" in capsys.readouterr().out
    assert main([]) == 0  # mcat alone: where the pipeline stands here, and what comes next
    said = capsys.readouterr().out
    assert "[x] mcat windows" in said and "[ ] mcat pose" in said and "next: mcat pose" in said


def test_help_shows_worked_examples_and_path_defaults(capsys):

    commands = build_parser()._subparsers._group_actions[0].choices
    assert set(EXAMPLES) == {"", *commands}  # every sub-command has examples
    for command in ("", *commands):
        with pytest.raises(SystemExit):
            main([command, "--help"] if command else ["--help"])
        text = capsys.readouterr().out
        assert "examples:\n  " in text and "``" not in text, command
    with pytest.raises(SystemExit):
        main(["evaluate", "--help"])
    assert "--windows WINDOWS     (default: data/windows)" in capsys.readouterr().out


def test_train_and_evaluate_through_the_cli(tmp_path, capsys, monkeypatch, tiny_windows):
    monkeypatch.chdir(tmp_path)
    windows, store, masks = tiny_windows
    paths = ["--windows", str(windows), "--store", str(store), "--masks", str(masks), "--no-track"]
    common = ["--params", str(ROOT / "params.yaml"), "--preset", "tiny", "-S", "train.epochs=1"]
    assert main(["train", *common, *paths]) == 0, capsys.readouterr().err
    assert main(["evaluate", *common, *paths]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "best val macro-F1" in out and "gap (val - test)" in out
    assert (tmp_path / "models/model.pt").is_file() and (tmp_path / "reports/metrics.json").is_file()
    assert main(["train", *common, *paths, "-S", "train.model=resnet"]) == 1
    assert "unknown model 'resnet'" in capsys.readouterr().err
