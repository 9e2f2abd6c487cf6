"""One node of a multi-node TrainJob (:mod:`mcat_kubeflow.trainjob`): ``python -m mcat_kubeflow.node JOB_URI``.

It fetches ``JOB_URI/inputs/``, runs ``mcat train`` in ``PET_NPROC_PER_NODE`` processes with torchrun's static
rendezvous at ``PET_MASTER_ADDR:PET_MASTER_PORT`` as node ``PET_NODE_RANK`` of ``PET_NNODES`` (Kubeflow Trainer's
``torch-distributed`` runtime sets all five), and on node 0, which holds global rank 0, uploads the training folder
(model.pt, history.csv, checkpoints/) to ``JOB_URI/model/``. A failure is one line on stderr and exit 1, which
fails the TrainJob.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from mcat.errors import McatError
from mcat.train.launch import Nodes

PET = ("PET_NNODES", "PET_NPROC_PER_NODE", "PET_NODE_RANK", "PET_MASTER_ADDR", "PET_MASTER_PORT")


def layout_from_env(env: dict[str, str] | os._Environ = os.environ) -> tuple[Nodes, int]:
    """(this node among the others, its number of processes) from the ``PET_*`` variables."""
    missing = [key for key in PET if not env.get(key)]
    if missing:
        raise McatError(f"{', '.join(missing)} not set: this runs as a node of a Kubeflow Trainer TrainJob on the "
                        "torch-distributed runtime, which sets them")
    try:
        nodes = Nodes(int(env["PET_NNODES"]), int(env["PET_NODE_RANK"]), env["PET_MASTER_ADDR"],
                      int(env["PET_MASTER_PORT"]))
        nproc = int(env["PET_NPROC_PER_NODE"])
    except ValueError:
        raise McatError(f"PET_NNODES, PET_NPROC_PER_NODE, PET_NODE_RANK and PET_MASTER_PORT must be whole numbers "
                        f"(got {', '.join(env[k] for k in PET if k != 'PET_MASTER_ADDR')}): set numProcPerNode "
                        "to the GPUs per node in the TrainJob") from None
    if not 0 <= nodes.rank < nodes.count:
        raise McatError(f"PET_NODE_RANK={nodes.rank} is outside PET_NNODES={nodes.count}")
    return nodes, nproc


def run_node(job_uri: str, work: Path) -> Path:
    """Train this node's share; returns the local training folder (complete on node 0 only)."""
    from mcat.data.s3 import mirror, upload
    from mcat.train.launch import train_in_processes

    nodes, nproc = layout_from_env()
    setting = f"the TrainJob's staging {job_uri} (written by the pipeline's train_job step)"
    inputs = mirror(f"{job_uri}/inputs", work / "inputs", setting=setting)
    out = work / "model"
    train_in_processes((inputs / "params.json").read_text(), nproc, inputs / "windows", inputs / "store",
                       inputs / "masks", inputs / "pose", out, track=True, nodes=nodes)
    if nodes.rank == 0:
        upload(out, f"{job_uri}/model", setting=setting)
        print(f"node 0: uploaded the training folder to {job_uri}/model")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mcat_kubeflow.node", description=__doc__.splitlines()[0])
    parser.add_argument("job_uri", help="s3://BUCKET/PREFIX/<job>: the TrainJob's staging folder")
    parser.add_argument("--work", type=Path, help="local folder for the inputs and the model (default: a temporary "
                        "one)")
    args = parser.parse_args(argv)
    try:
        if args.work:
            run_node(args.job_uri, args.work)
        else:
            with tempfile.TemporaryDirectory(prefix="mcat-node-") as work:
                run_node(args.job_uri, Path(work))
    except McatError as exc:
        print(f"mcat node: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
