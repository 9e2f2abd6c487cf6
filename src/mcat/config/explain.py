"""A pydantic validation error as lines a user can act on: the key, its value and the file it came from."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


def _lookup(tree: Any, loc: tuple) -> tuple[bool, Any]:
    for part in loc:
        if isinstance(tree, dict) and part in tree:
            tree = tree[part]
        elif isinstance(tree, (list, tuple)) and isinstance(part, int) and part < len(tree):
            tree = tree[part]
        else:
            return False, None
    return True, tree


def explain(exc: ValidationError, layers: list[tuple[str, dict]]) -> str:
    lines = []
    for err in exc.errors():
        loc = tuple(err["loc"])
        origin, value = layers[0][0], None
        for name, layer in reversed(layers):
            found, value = _lookup(layer, loc)
            if found:
                origin = name
                break
        key = ".".join(str(p) for p in loc) or "(top level)"
        if err["type"] == "extra_forbidden":
            message = "unknown key (remove it or check its spelling)"
        elif err["type"] == "missing":
            message = "missing (add it to the params file)"
        else:
            message = err["msg"].removeprefix("Value error, ")
        shown = "" if err["type"] == "missing" or isinstance(value, dict) else f" = {value!r}"
        lines.append(f"{origin}: {key}{shown}: {message}")
    return "invalid parameters:\n  " + "\n  ".join(lines)
