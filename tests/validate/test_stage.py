import json
import shutil

import numpy as np
import pytest

from mcat.atomic import write_csv
from mcat.errors import McatError
from mcat.masks.quality import QUALITY_COLUMNS, mask_quality
from mcat.validate.stage import validate

from conftest import tiny_params


def test_the_tiny_dataset_passes_and_the_reports_are_written(tmp_path, tiny_store):
    result = validate(tiny_params().quality, *tiny_store, tmp_path / "validation")
    assert result.success and result.recordings == 4
    report = json.loads((tmp_path / "validation/result.json").read_text())
    assert "validation_results" in report
    assert (tmp_path / "validation/docs/index.html").is_file()
    page = (tmp_path / "validation/report.html").read_text()  # the offline report: nothing fetched from anywhere
    assert "PASSED" in page and "http" not in page and "<script" not in page and page.count("<tr>") == 1 + 11 + 1 + 4


def test_all_empty_masks_fail_with_one_line_per_recording(tmp_path, tiny_store):
    store, masks = tiny_store
    empty = tmp_path / "masks"
    shutil.copytree(masks, empty)
    rows = []
    for path in sorted(empty.glob("*.npy")):
        zeros = np.zeros_like(np.load(path))
        np.save(path, zeros)
        rows.append({"recording_id": path.stem, **mask_quality(zeros)})
    write_csv(empty / "quality.csv", QUALITY_COLUMNS, ([r[c] for c in QUALITY_COLUMNS] for r in rows))
    with pytest.raises(McatError) as err:
        validate(tiny_params().quality, store, empty, tmp_path / "validation")
    lines = str(err.value).splitlines()
    assert "data-quality gate failed (8 critical" in lines[0]
    assert any(line.strip().startswith("val_000: expect_column_values_to_be_between(coverage_mean) observed "
                                       "coverage_mean=0, allowed [0.01, 0.6]") for line in lines)
    assert any("empty_ratio=1, allowed [0.0, 0.05]" in line for line in lines)
    assert (tmp_path / "validation/docs/index.html").is_file()  # the report of a failed gate is complete
    page = (tmp_path / "validation/report.html").read_text()
    assert "FAILED: 2 critical expectation(s)" in page
    assert page.count("class=' bad'") == 2 * 4  # coverage_mean and empty_ratio of each recording marked


def test_frame_and_label_counts_must_agree(tmp_path, tiny_store):
    store, masks = tiny_store
    short = tmp_path / "masks"
    shutil.copytree(masks, short)
    np.save(short / "test_000.npy", np.load(short / "test_000.npy")[:-5])
    with pytest.raises(McatError, match="test_000: expect_column_pair_values_to_be_equal\\(frames, masks\\)"):
        validate(tiny_params().quality, store, short, tmp_path / "validation")
