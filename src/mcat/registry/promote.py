"""``mcat promote`` and ``mcat models``: move the ``champion`` alias to the challenger only through the gates
of ``params.yaml: registry``, and list what the registry holds.

The gates are :func:`mcat.registry.gates.promotion_gates`. ``--force`` promotes anyway and says so in the
version's tags.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from mcat.config import RegistryParams
from mcat.errors import McatError
from mcat.registry.gates import promotion_gates, tagged_metric
from mcat.registry.stage import CHALLENGER, CHAMPION
from mcat.tracking import connected_client


@dataclass(frozen=True)
class PromoteResult:
    name: str
    version: str
    previous: str | None
    forced: bool
    failed_gates: list[str]


def _by_alias(client, name: str, alias: str):
    from mlflow.exceptions import MlflowException

    try:
        return client.get_model_version_by_alias(name, alias)
    except MlflowException:
        return None


def promote(params: RegistryParams, *, force: bool = False) -> PromoteResult:
    """Move ``champion`` to the ``challenger`` version; raises :class:`McatError` naming the failed gates
    unless ``force``."""
    client, name = connected_client(), params.model_name
    challenger = _by_alias(client, name, CHALLENGER)
    if challenger is None:
        raise McatError(f"registered model '{name}' has no '{CHALLENGER}': run `mcat register` first")
    champion = _by_alias(client, name, CHAMPION)
    failed = promotion_gates(params, challenger, champion)
    if failed and not force:
        raise McatError(f"promotion of {name} v{challenger.version} refused:\n  " + "\n  ".join(failed))
    client.set_registered_model_alias(name, CHAMPION, challenger.version)
    stamp = {"promoted_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
             "promotion_forced": str(bool(failed)).lower(),
             "promotion_failed_gates": " | ".join(failed) or "none",
             "previous_champion": str(champion.version) if champion else "none"}
    for key, value in stamp.items():
        client.set_model_version_tag(name, challenger.version, key, value)
    return PromoteResult(name, str(challenger.version), str(champion.version) if champion else None, bool(failed),
                         failed)


def list_versions(params: RegistryParams) -> str:
    """A table of the registered model's versions: aliases, key metrics, data digest, run."""
    client, name = connected_client(), params.model_name
    versions = sorted(client.search_model_versions(f"name='{name}'"), key=lambda v: int(v.version))
    if not versions:
        raise McatError(f"no registered model '{name}' at this tracking URI: run `mcat register` first")
    aliases: dict[str, list[str]] = {}
    for alias, version in client.get_registered_model(name).aliases.items():
        aliases.setdefault(str(version), []).append(alias)
    rows = [f"{'version':<8}{'aliases':<22}{'model':<14}{'val F1':>8}{'test acc':>9}{'test F1':>8}  {'data':<14}run"]
    for v in versions:
        t = v.tags  # the version is an int in some stores, a str in others
        rows.append(f"{v.version!s:<8}{','.join(sorted(aliases.get(str(v.version), []))) or '-':<22}"
                    f"{t.get('model', '?') + '-' + t.get('input_mode', '?'):<14}"
                    f"{tagged_metric(v, 'val', 'macro_f1'):>8.3f}{tagged_metric(v, 'test', 'accuracy'):>9.3f}"
                    f"{tagged_metric(v, 'test', 'macro_f1'):>8.3f}  {t.get('data_digest', '?')[:12]:<14}{v.run_id}")
    return "\n".join(rows)
