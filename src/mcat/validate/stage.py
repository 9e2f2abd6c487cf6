"""``mcat validate``: the Great Expectations (1.x) suite over the per-recording table, its JSON result and
Data Docs under ``reports/validation/``, and one line per failed critical expectation.

Critical (the stage fails): mean coverage inside [coverage_min, coverage_max], empty-mask ratio ≤
empty_ratio_max, frames = labels = masks per recording, labels inside the class ids, no missing value; with
keypoints (``--pose``): frames = keypoint rows, share of frames where nobody is found ≤ pose_empty_ratio_max.
Warning only: temporal flicker ≤ flicker_max; missing joints ≤ missing_joints_max, joint jitter ≤ jitter_max.

Output::

    reports/validation/result.json     the checkpoint's validation result (GX JSON)
    reports/validation/report.html     the gate as one self-contained page (renders offline)
    reports/validation/docs/index.html GX Data Docs (the suite and this run; their CSS/JS come from CDNs)
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mcat.atomic import atomic_dir
from mcat.config import QualityParams
from mcat.errors import McatError
from mcat.validate.report import report_html
from mcat.validate.table import recording_table


@dataclass(frozen=True)
class Failure:
    recording: str
    expectation: str
    observed: str
    threshold: str
    critical: bool

    def line(self) -> str:
        return f"{self.recording}: {self.expectation} observed {self.observed}, allowed {self.threshold}"


@dataclass(frozen=True)
class ValidateResult:
    success: bool
    recordings: int
    failures: list[Failure]
    reports: Path


def _suite(gx, q: QualityParams, num_classes: int, pose: bool):
    E = gx.expectations
    critical, warning = {"critical": True}, {"critical": False}
    keypoints = [
        E.ExpectColumnPairValuesToBeEqual(column_A="frames", column_B="pose_frames", meta=critical),
        E.ExpectColumnValuesToBeBetween(column="pose_empty_ratio", min_value=0, max_value=q.pose_empty_ratio_max,
                                        meta=critical),
        E.ExpectColumnValuesToNotBeNull(column="pose_empty_ratio", meta=critical),
        E.ExpectColumnValuesToBeBetween(column="pose_missing_joints", min_value=0, max_value=q.missing_joints_max,
                                        meta=warning),
        E.ExpectColumnValuesToBeBetween(column="pose_jitter", min_value=0, max_value=q.jitter_max, meta=warning),
    ] if pose else []
    expectations = [
        E.ExpectColumnValuesToBeBetween(column="coverage_mean", min_value=q.coverage_min, max_value=q.coverage_max,
                                        meta=critical),
        E.ExpectColumnValuesToBeBetween(column="empty_ratio", min_value=0, max_value=q.empty_ratio_max, meta=critical),
        E.ExpectColumnPairValuesToBeEqual(column_A="frames", column_B="labels", meta=critical),
        E.ExpectColumnPairValuesToBeEqual(column_A="frames", column_B="masks", meta=critical),
        E.ExpectColumnValuesToBeBetween(column="label_min", min_value=0, max_value=num_classes - 1, meta=critical),
        E.ExpectColumnValuesToBeBetween(column="label_max", min_value=0, max_value=num_classes - 1, meta=critical),
        *(E.ExpectColumnValuesToNotBeNull(column=c, meta=critical)
          for c in ("coverage_mean", "coverage_std", "empty_ratio", "flicker")),
        E.ExpectColumnValuesToBeBetween(column="flicker", min_value=0, max_value=q.flicker_max, meta=warning),
        *keypoints,
    ]
    suite = gx.ExpectationSuite(name="mcat_data_quality")
    for expectation in expectations:
        suite.add_expectation(expectation)
    return suite


def _threshold(kwargs: dict) -> str:
    if "column_A" in kwargs:
        return f"{kwargs['column_A']} = {kwargs['column_B']}"
    if "min_value" in kwargs:
        return f"[{kwargs['min_value']}, {kwargs['max_value']}]"
    return "a value"


def _expectations(result) -> list[dict]:
    """Each expectation of a checkpoint result: its type, success, kwargs, result and whether it is critical."""
    return [{"expectation_type": r.expectation_config.type, "success": r.success, "kwargs": r.expectation_config.kwargs,
             "result": r.result, "critical": bool(r.expectation_config.meta.get("critical"))}
            for run in result.run_results.values() for r in run.results]


def _failures(result) -> list[Failure]:
    failures = []
    for run in result.run_results.values():
        for r in run.results:
            if r.success:
                continue
            config = r.expectation_config
            columns = [config.kwargs[k] for k in ("column", "column_A", "column_B") if k in config.kwargs]
            name = f"{config.type}({', '.join(columns)})"
            for row in r.result.get("unexpected_index_list") or [{"recording_id": "?"}]:
                observed = ", ".join(f"{c}={row[c]:.4g}" if isinstance(row.get(c), float) else f"{c}={row.get(c)}"
                                     for c in columns)
                failures.append(Failure(str(row["recording_id"]), name, observed, _threshold(config.kwargs),
                                        bool(config.meta.get("critical"))))
    return failures


def validate(params: QualityParams, store_dir: Path, masks_dir: Path, reports: Path,
             pose_dir: Path | None = None) -> ValidateResult:
    """Run the gate (on the keypoints too, with ``pose_dir``) and write its reports (replacing ``reports``
    atomically). Raises :class:`McatError` listing every failed critical expectation, after the reports are
    written."""
    table, num_classes = recording_table(store_dir, masks_dir, pose_dir)
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    reports = Path(reports)
    with atomic_dir(reports) as out, tempfile.TemporaryDirectory() as scratch:
        context = gx.get_context(mode="file", project_root_dir=scratch)
        context.variables.progress_bars = {"globally": False}
        batch = context.data_sources.add_pandas("mcat").add_dataframe_asset("recordings") \
            .add_batch_definition_whole_dataframe("all")
        suite = context.suites.add(_suite(gx, params, num_classes, pose_dir is not None))
        definition = context.validation_definitions.add(gx.ValidationDefinition(name="gate", data=batch, suite=suite))
        checkpoint = context.checkpoints.add(gx.Checkpoint(
            name="mcat_gate", validation_definitions=[definition], actions=[UpdateDataDocsAction(name="docs")],
            result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ["recording_id"]}))
        result = checkpoint.run(batch_parameters={"dataframe": table})
        (out / "result.json").write_text(json.dumps(result.describe_dict(), indent=2, default=str) + "\n")
        shutil.copytree(Path(scratch) / "gx" / "uncommitted" / "data_docs" / "local_site", out / "docs")
        table.to_csv(out / "recordings.csv", index=False)
        (out / "report.html").write_text(report_html(_expectations(result), table))
    failures = _failures(result)
    critical = [f for f in failures if f.critical]
    if critical:
        raise McatError("data-quality gate failed (" + f"{len(critical)} critical; report in {reports}):\n  "
                        + "\n  ".join(f.line() for f in critical))
    return ValidateResult(True, len(table), failures, reports)
