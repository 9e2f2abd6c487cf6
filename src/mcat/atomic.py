"""Write outputs under a temporary name and rename them into place, so a crash leaves nothing half-written;
and hold an output for one writer at a time."""

from __future__ import annotations

import contextlib
import csv
import fcntl
import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable, Iterator

from mcat.errors import McatError


@contextlib.contextmanager
def atomic_dir(final: Path) -> Iterator[Path]:
    """Yield an empty temporary directory beside ``final``; on success it replaces ``final``.

    On any exception the temporary directory is removed and ``final`` is left as it was.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; the output is an ordinary directory
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    replace_dir(tmp, final)


def replace_dir(folder: Path, final: Path) -> None:
    """Rename the complete ``folder`` to ``final`` (same file system), replacing what was there."""
    if final.exists():
        trash = final.with_name(f".{final.name}.old-{os.getpid()}")
        final.rename(trash)
        folder.rename(final)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        folder.rename(final)


@contextlib.contextmanager
def atomic_file(final: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``final`` (same suffix); on success it is renamed to ``final``."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{final.stem}.tmp-", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    tmp = Path(name)
    tmp.chmod(0o644)
    try:
        yield tmp
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    os.replace(tmp, final)


@contextlib.contextmanager
def exclusive(output: Path, command: str) -> Iterator[None]:
    """Hold ``output`` for this process while ``command`` writes it: a second writer of the same output on this
    machine fails at once with a clear error instead of interleaving its files. The lock (``flock``) lives in
    the temporary directory, not in the project, and goes with the process, however it ends."""
    key = hashlib.sha256(str(Path(output).resolve()).encode()).hexdigest()[:32]
    folder = Path(tempfile.gettempdir()) / f"mcat-locks-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(folder / key, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise McatError(f"another `{command}` is writing {output} right now: wait for it to finish, or write "
                            "somewhere else") from None
        yield
    finally:
        os.close(fd)


def write_text(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    with atomic_file(path) as tmp:
        tmp.write_text(text)


def write_csv(path: Path, header: list[str], rows: Iterable) -> None:
    """Write a CSV with ``header`` and ``rows`` (sequences) atomically."""
    with atomic_file(path) as tmp, open(tmp, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
