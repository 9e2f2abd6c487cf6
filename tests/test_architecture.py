"""The house rules of docs/architecture.md that code can check: the library never imports a shell, params
validation imports no stage and no torch, and each list of names has one owner."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "src" / "mcat"


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_library_never_imports_the_kubeflow_shell():
    # mcat/cli.py is the CLI shell: its `mcat pipeline` hands over to the Kubeflow shell beside it.
    offenders = sorted(str(p.relative_to(ROOT)) for p in LIBRARY.rglob("*.py")
                       if p.name != "cli.py" and any(m.split(".")[0] in ("mcat_kubeflow", "components", "pipelines")
                                                     for m in imports_of(p)))
    assert offenders == []


def test_validating_params_imports_no_stage_and_no_torch():
    code = ("import sys, mcat.config; mods = set(sys.modules); "
            "print(sorted(m for m in mods if m == 'torch' or m.startswith(('mcat.synth', 'mcat.models', 'mcat.train'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_the_stages_start_without_torchvision():
    """Importing torchvision takes seconds (about 2 s on the 2-core build machine) and only the person crop uses it:
    training, scoring, the speed test and prediction must not pay for it when the crop is off."""
    code = ("import sys, mcat.train.stage, mcat.evaluate.stage, mcat.speedtest.stage, mcat.predict.stage, "
            "mcat.explain.stage, mcat.registry.stage; print('torchvision' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "False"


def test_every_name_list_has_one_owner():
    from mcat.classes import EXERCISES
    from mcat.model_names import MODEL_NAMES
    from mcat.models import MODELS
    from mcat.synth.exercises import EXERCISES as RENDERED

    assert tuple(MODELS) == MODEL_NAMES  # the zoo registers exactly the names params accept
    assert set(RENDERED) == set(EXERCISES)  # the renderer draws exactly the exercises params accept


def test_every_stage_entry_point_lives_in_a_stage_module():
    for package in ("synth", "ingest", "masks", "validate", "windows", "train", "evaluate", "speedtest", "registry",
                    "predict", "export"):
        assert (LIBRARY / package / "stage.py").is_file(), package
