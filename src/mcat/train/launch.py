"""``mcat train --nproc N``: data-parallel training in N processes on this machine, started with torchrun.

The launcher checks that N processes can split the training before it starts any, runs ``torchrun
--standalone`` with the same command line (less ``--nproc``), passes the processes' output through, and turns
a failure into one line: the processes' own ``mcat train: error:`` message, or where a process died without one,
the exit and a log of everything torchrun printed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from mcat.errors import McatError

ERROR_PREFIX = "mcat train: error: "


def without_nproc(argv: list[str]) -> list[str]:
    """``argv`` less ``--nproc N`` / ``--nproc=N``."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--nproc":
            skip = True
        elif not arg.startswith("--nproc="):
            out.append(arg)
    return out


@dataclass(frozen=True)
class Nodes:
    """Where this machine stands among ``count`` machines that train together (torchrun's static rendezvous:
    node 0 hosts it at ``master_addr:master_port``)."""

    count: int
    rank: int
    master_addr: str
    master_port: int

    def torchrun_args(self) -> list[str]:
        return [f"--nnodes={self.count}", f"--node-rank={self.rank}", f"--master-addr={self.master_addr}",
                f"--master-port={self.master_port}"]


def train_in_processes(params_json: str, nproc: int, windows: Path, store: Path, masks: Path, pose: Path, out: Path,
                       *, track: bool, nodes: Nodes | None = None) -> Path:
    """``mcat train`` of validated params (their JSON) in ``nproc`` processes on this machine (the Kubeflow train
    pod with N GPUs), or on each of ``nodes`` (a Kubeflow Trainer TrainJob); returns the model file. ``pose``: the
    keypoints, read by the pose input modes."""
    with tempfile.TemporaryDirectory(prefix="mcat-params-") as folder:
        params_file = Path(folder) / "params.yaml"  # JSON is YAML
        params_file.write_text(params_json)
        run_torchrun(nproc, ["train", "--params", str(params_file), "--windows", str(windows), "--store", str(store),
                             "--masks", str(masks), "--pose", str(pose), "--out", str(out),
                             *([] if track else ["--no-track"])], nodes)
    return Path(out) / "model.pt"


def run_torchrun(nproc: int, argv: list[str], nodes: Nodes | None = None) -> None:
    """Run ``mcat <argv>`` in ``nproc`` processes here (with ``nodes``: here and on the other nodes); a
    :class:`McatError` when any of them fails."""
    threads = max(1, (os.cpu_count() or 1) // nproc)
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", str(threads))}
    rendezvous = nodes.torchrun_args() if nodes else ["--standalone"]
    command = [sys.executable, "-m", "torch.distributed.run", *rendezvous, f"--nproc-per-node={nproc}",
               "-m", "mcat.cli", *without_nproc(argv)]
    with tempfile.NamedTemporaryFile("w", prefix="mcat-torchrun-", suffix=".log", delete=False) as log:
        proc = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True, bufsize=1)
        errors = []
        for line in proc.stderr:
            log.write(line)
            if line.startswith(ERROR_PREFIX):
                errors.append(line[len(ERROR_PREFIX):].strip())
            elif line.startswith("mcat "):
                print(line, end="", file=sys.stderr)
        code = proc.wait()
    if code == 0:
        Path(log.name).unlink()
        return
    if errors:
        raise McatError(errors[0])
    cause = re.search(r"Root Cause.*?rank\s*:\s*(\d+).*?exitcode\s*:\s*(-?\d+)[^\n]*?(SIG\w+)?\)?\n",
                      Path(log.name).read_text(), re.S)
    who = f"rank {cause[1]} ended with {cause[3] or f'exit code {cause[2]}'}" if cause else f"torchrun exit {code}"
    raise McatError(f"a training process ended without finishing ({who}; everything torchrun printed is in "
                    f"{log.name}); the last checkpoint is kept: rerun to resume")
