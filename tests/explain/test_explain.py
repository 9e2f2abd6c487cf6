"""``mcat explain``: Grad-CAM maps and cross-attention weights for every model of the zoo, side by side, on the
windows of a split or of a video, and the errors of what cannot be explained."""

import dataclasses
import json

import numpy as np
import pytest
import torch

from mcat.cli import main
from mcat.explain.maps import _tubelet_grid, cross_attention, grad_cams
from mcat.evaluate.stage import evaluate
from mcat.explain.stage import explain
from mcat.export.stage import export
from mcat.model_names import MODEL_NAMES
from mcat.modelfile import load_model_file, save_model_file
from mcat.models.zoo import build

from conftest import leftovers, tiny_params

STREAMS = {"mcat": ["appearance", "mask"], "vivit": ["tubelets"]}  # the others: one encoder over stacked frames


@pytest.fixture(scope="module")
def zoo_files(tmp_path_factory, tiny_trained):
    """The trained tiny MCAT and an untrained model of every other zoo name, as model files with its clips."""
    trained = load_model_file(tiny_trained[2] / "model.pt")
    folder = tmp_path_factory.mktemp("zoo")
    files = {"mcat": tiny_trained[2] / "model.pt"}
    for name in MODEL_NAMES:
        if name != "mcat":
            model = build(name, "both", len(trained.class_names), **({"d": 32, "heads": 2, "ffn": 64, "depth": 1}
                                                                     if name in ("transformer", "vivit") else {}))
            files[name] = folder / f"{name}.pt"
            save_model_file(files[name], model, model.state_dict(), class_names=trained.class_names,
                            preprocessing=trained.preprocessing, meta={})
    return files


def test_every_zoo_model_is_mapped_side_by_side(zoo_files, tiny_windows, tmp_path):
    params = tiny_params("explain.per_class=2")
    result = explain(params.explain, [str(f) for f in zoo_files.values()], *tiny_windows, tmp_path / "explain")
    index = json.loads((tmp_path / "explain/index.json").read_text())
    assert index["models"] == {name: sorted(STREAMS.get(name, ["frames"])) for name in zoo_files}
    classes = {w.true for w in result.windows}
    assert len(result.windows) == 2 * len(classes) and len(classes) >= 3  # two per class of the test split
    for window in result.windows:
        assert (tmp_path / "explain" / window.grid).stat().st_size > 10_000
        assert (tmp_path / "explain" / window.attention).is_file()  # MCAT has cross-attention
        assert set(window.predicted) == set(zoo_files) and window.target == window.predicted  # target: predicted
    assert leftovers(tmp_path) == []


def test_maps_are_one_per_frame_and_follow_the_evidence():
    """A model whose every weight is positive and whose convolutions have no bias sees only the bright square:
    its CAM must sit on the square, in the clip and the frame that hold it (B·T order kept through grad-cam)."""
    model = build("mlp", "raw", 2, channels=(4, 4, 4), hidden=4).eval()
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(p.abs())
        for block in model.encoder.net:
            block[0].bias.zero_()
    clips = torch.zeros(2, 2, 4, 32, 32, dtype=torch.uint8)
    clips[0, 0, 1, 2:10, 2:10] = 255  # clip 0: top left, frame 1
    clips[1, 0, 3, 20:30, 20:30] = 255  # clip 1: bottom right, frame 3
    [cams] = grad_cams(model, clips, [0, 0]).values()
    assert cams.shape == (2, 4, 32, 32) and cams.min() >= 0 and cams.max() <= 1
    assert cams[0, 1, :16, :16].sum() > 0.8 * cams[0, 1].sum() > 0  # (8x8 maps, upsampled: some spills over)
    assert cams[1, 3, 16:, 16:].sum() > 0.8 * cams[1, 3].sum() > 0
    assert cams[0, [0, 2, 3]].max() == 0 and cams[1, :3].max() == 0  # nothing where nothing is


def test_vivit_tokens_go_back_to_their_tubelet():
    model = build("vivit", "both", 3, d=6, heads=2, ffn=8, depth=1)
    clips = torch.zeros(2, 2, 4, 32, 32)
    tokens = torch.arange(2 * 2 * 2 * 2, dtype=torch.float32).reshape(2, 8, 1).expand(2, 8, 6)  # [B, t·h·w, d]
    grid = _tubelet_grid(model, clips)(tokens)  # [B·t, d, h, w]
    assert grid.shape == (4, 6, 2, 2)
    assert grid[1 * 2 + 1, 0, 1, 0].item() == tokens[1, 1 * 4 + 1 * 2 + 0, 0].item()  # clip 1, time 1, row 1, col 0


def test_cross_attention_rows_are_distributions(tiny_trained, tiny_windows):
    from mcat.data.dataset import WindowDataset

    model = load_model_file(tiny_trained[2] / "model.pt").network
    clips = torch.stack([WindowDataset(tiny_windows[0], "test", *tiny_windows[1:])[i][0] for i in (0, 1)])
    alpha = cross_attention(model, clips)
    assert alpha.shape == (2, 16, 16) and np.allclose(alpha.sum(axis=2), 1, atol=1e-4)
    assert cross_attention(build("tcn", "both", 4), clips) is None


def test_cli_explains_a_video_and_refuses_what_it_cannot(zoo_files, tiny_dataset, tiny_windows, tmp_path, capsys):
    out = tmp_path / "video"
    assert main(["explain", "--model", str(zoo_files["mcat"]), "--video", str(tiny_dataset / "videos/test_000.mp4"),
                 "--out", str(out), "--preset", "tiny", "-S", "predict.mask_backend=background"]) == 0
    said = capsys.readouterr().out
    index = json.loads((out / "index.json").read_text())
    assert said.count("test_000.mp4 @") == len(index["windows"]) >= 1 and "index:" in said
    assert all(w["true"] is None and (out / w["grid"]).is_file() for w in index["windows"])

    paths = ["--windows", str(tiny_windows[0]), "--store", str(tiny_windows[1]), "--masks", str(tiny_windows[2]),
             "--preset", "tiny"]
    onnx = tmp_path / "model.onnx"
    export(tiny_params().export, str(zoo_files["mcat"]), onnx, *tiny_windows)
    other_T = tmp_path / "t8.pt"  # the same model, said to cut windows of 8 frames
    trained = load_model_file(zoo_files["mcat"])
    save_model_file(other_T, trained.network, trained.network.state_dict(), class_names=trained.class_names,
                    preprocessing=dataclasses.replace(trained.preprocessing, T=8), meta={})
    mcat = ["--model", str(zoo_files["mcat"])]
    for args, expected in ((["--model", str(onnx)], "no gradients"),
                           ([*mcat, "--model", str(other_T)], "T: 16 vs 8"),
                           ([*mcat, "-S", "explain.split=nope"], "no windows for split 'nope'"),
                           ([*mcat, "-S", "explain.per_class=0"], "explain.per_class is 0")):
        code = main(["explain", *args, *paths, "--out", str(tmp_path / "bad")])
        err = capsys.readouterr().err
        assert code == 1 and expected in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
        assert not (tmp_path / "bad").exists()


def test_evaluate_says_why_it_drew_no_pictures(tiny_trained, tiny_windows, tmp_path):
    params = tiny_params("explain.split=train")
    result = evaluate(params.evaluate, tiny_trained[2] / "model.pt", *tiny_windows, tmp_path, explain=params.explain)
    assert result.explained.startswith("explain: none (explain.split 'train' is not among evaluate.splits")
    assert not (tmp_path / "plots/explain").exists()
