"""Reading ``params.yaml``, a preset and ``-S`` overrides into validated :class:`Params`.

Precedence, lowest first: the params file, ``presets/<name>.yaml`` beside it, ``-S key.path=value``.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import yaml
from pydantic import ValidationError

from mcat.config.explain import explain
from mcat.config.params import Params
from mcat.errors import McatError


def load_params(path: Path | str = "params.yaml", preset: str | None = None, overrides: list[str] = ()) -> Params:
    """Read, merge and validate parameters.

    Args:
        path: the params file (normally ``params.yaml`` at the project root).
        preset: a preset name (``presets/<name>.yaml`` beside ``path``) or a YAML file path.
        overrides: ``key.path=value`` strings; the value is parsed as YAML (``3``, ``0.5``, ``[1, 2]``, ``abc``).
    """
    path = Path(path)
    layers: list[tuple[str, dict]] = [(str(path), _read_yaml(path, "the params file"))]
    if preset:
        preset_path = Path(preset) if preset.endswith((".yaml", ".yml")) else path.parent / "presets" / f"{preset}.yaml"
        layers.append((str(preset_path), _read_yaml(preset_path, f"preset '{preset}'")))
    if overrides:
        layers.append(("-S override", _parse_overrides(overrides)))

    merged: dict = {}
    for _, layer in layers:
        merged = _deep_merge(merged, layer)
    try:
        return Params.model_validate_json(json.dumps(merged, default=str))
    except ValidationError as exc:
        raise McatError(explain(exc, layers)) from None


def _read_yaml(path: Path, what: str) -> dict:
    if not path.is_file():
        raise McatError(f"{what} {path} does not exist: run from the project root or pass --params/--preset")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)
    except UnicodeDecodeError as exc:
        raise McatError(f"{path} is not UTF-8 text ({exc.reason} at byte {exc.start}): save it as UTF-8") from None
    except yaml.YAMLError as exc:
        raise McatError(f"{path} is not valid YAML: {' '.join(str(exc).split())}") from None
    if not isinstance(data, dict):
        raise McatError(f"{path} must hold a mapping of sections (synth, ingest, ...), got {type(data).__name__}")
    return data


def _parse_overrides(overrides: list[str]) -> dict:
    tree: dict = {}
    for item in overrides:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise McatError(f"override '{item}' must look like section.key=value, e.g. windows.stride=4")
        node = tree
        *parents, leaf = key.strip().split(".")
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise McatError(f"override '{item}' conflicts with another override of '{part}'")
        try:
            node[leaf] = yaml.load(raw, Loader=_Loader)
        except yaml.YAMLError:
            node[leaf] = raw
    return tree


class _Loader(yaml.SafeLoader):
    """YAML 1.1 as PyYAML reads it, except that ``1e-3`` is a number (YAML 1.2's rule) and not a string."""


_Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$"),
                              list("-+0123456789."))


def _deep_merge(base: dict, top: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
