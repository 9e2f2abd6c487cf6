"""``dvc.yaml`` lists the code each stage runs: every module of ``mcat`` that the stage's entry point imports,
at any depth and inside functions too (read from the source, not from a run), must sit under one of the
stage's deps, so that a change there re-runs the stage. The CLI shell itself (argument mapping) is not a dep."""

import ast
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"

#: dvc stage → the library module its ``mcat`` sub-command calls
ENTRY_POINTS = {"synth": "mcat.synth.stage", "ingest": "mcat.ingest.stage", "masks": "mcat.masks.stage",
                "pose": "mcat.pose.stage", "validate": "mcat.validate.stage", "windows": "mcat.windows.stage", "train": "mcat.train.stage",
                "evaluate": "mcat.evaluate.stage", "speedtest": "mcat.speedtest.stage",
                "register": "mcat.registry.stage"}


def module_file(name: str) -> Path | None:
    base = SRC / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_files(entry: str) -> set[Path]:
    """The files of every ``mcat`` module ``entry`` imports, transitively (package ``__init__`` files included)."""
    seen: set[Path] = set()
    todo = [entry]
    while todo:
        name = todo.pop()
        parts = name.split(".")
        for i in range(1, len(parts) + 1):  # importing a.b.c runs a/__init__, a/b/__init__ too
            path = module_file(".".join(parts[:i]))
            if path is None or path in seen:
                continue
            seen.add(path)
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mcat"):
                    todo.append(node.module)
                    todo.extend(f"{node.module}.{alias.name}" for alias in node.names)
                elif isinstance(node, ast.Import):
                    todo.extend(alias.name for alias in node.names if alias.name.startswith("mcat"))
    return {p for p in seen if p != SRC / "mcat" / "__init__.py"}  # the version string only


@pytest.mark.parametrize("stage", sorted(ENTRY_POINTS))
def test_every_module_a_stage_runs_is_a_dep_of_it(stage):
    spec = yaml.safe_load((ROOT / "dvc.yaml").read_text())["stages"][stage]
    assert spec["cmd"].startswith(f"mcat {stage}")
    deps = [ROOT / d for d in spec["deps"] if str(d).startswith("src/")]
    uncovered = sorted(str(p.relative_to(ROOT)) for p in imported_files(ENTRY_POINTS[stage])
                       if not any(p == d or d in p.parents for d in deps))
    assert not uncovered, f"dvc.yaml stage '{stage}' runs code it does not list as deps: {uncovered}"
    for dep in deps:
        assert dep.exists(), f"dvc.yaml stage '{stage}' lists {dep.relative_to(ROOT)}, which does not exist"
