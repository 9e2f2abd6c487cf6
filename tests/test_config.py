from pathlib import Path

import pytest

from mcat.config import digest, load_params
from mcat.errors import McatError

from conftest import ROOT


def test_params_yaml_is_valid_and_presets_override_it():
    demo = load_params(ROOT / "params.yaml")
    tiny = load_params(ROOT / "params.yaml", "tiny")
    assert demo.windows.T == 16 and demo.windows.stride == 8
    assert tiny.ingest.resolution == 32 and demo.ingest.resolution == 48
    assert tiny.synth.splits["train"].recordings == 2
    assert tiny.synth.noise_std == demo.synth.noise_std  # untouched keys keep the params.yaml value


def test_override_beats_preset_and_parses_yaml_values():
    p = load_params(ROOT / "params.yaml", "tiny", ["ingest.resolution=48", "synth.reps_per_set=[1, 3]"])
    assert p.ingest.resolution == 48
    assert p.synth.reps_per_set == (1, 3)


@pytest.mark.parametrize(
    "override, expected",
    [
        ("windows.stride=0", ["-S override", "windows.stride = 0", "greater than or equal to 1"]),
        ("ingest.resolution=8", ["ingest.resolution = 8", "greater than or equal to 16"]),
        ("windows.T=abc", ["windows.T = 'abc'", "valid integer"]),
        ("windows.strid=4", ["windows.strid", "unknown key"]),
        ("synth.rest_seconds=[3, 1]", ["low <= high"]),
        ("synth.splits.test.domain=medium", ["'medium' is not one of domains"]),
        ("synth.exercises=[squats, burpees]", ["unknown exercises ['burpees']"]),
        ("train.tempo_averaging=[1, 2]", ["train.tempo_averaging", "distinct speed factors in (0, 1]"]),
        ("train.tempo_averaging=[]", ["train.tempo_averaging", "at least 1 item"]),
    ],
)
def test_bad_values_name_key_value_and_origin(override, expected):
    with pytest.raises(McatError) as err:
        load_params(ROOT / "params.yaml", None, [override])
    for text in expected:
        assert text in str(err.value)


def test_bad_key_in_file_names_the_file(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text((ROOT / "params.yaml").read_text().replace("  stride: 8", "  stride: -1"))
    with pytest.raises(McatError, match=rf"{bad}: windows.stride = -1"):
        load_params(bad)


def test_missing_section_and_files(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text("windows: {T: 16, stride: 8}\n")
    with pytest.raises(McatError, match="synth: missing"):
        load_params(bad)
    with pytest.raises(McatError, match="does not exist"):
        load_params(tmp_path / "nope.yaml")
    with pytest.raises(McatError, match="preset 'huge'"):
        load_params(ROOT / "params.yaml", "huge")
    with pytest.raises(McatError, match="section.key=value"):
        load_params(ROOT / "params.yaml", None, ["windows.stride"])


def test_digest_changes_only_with_its_sections():
    a = load_params(ROOT / "params.yaml")
    b = load_params(ROOT / "params.yaml", None, ["windows.stride=4"])
    assert digest(a.ingest) == digest(b.ingest)
    assert digest(a.windows) != digest(b.windows)


def test_preset_files_are_valid():
    for preset in sorted(Path(ROOT / "presets").glob("*.yaml")):
        load_params(ROOT / "params.yaml", preset.stem)
