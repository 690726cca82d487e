"""Writing output files safely: atomically, and never over an input.

Every file the tool writes goes through `atomic_path`: it is written to a temporary file in the
same folder and renamed into place, so an interrupted run leaves the previous output whole and
a reader never sees half a file. A path that is one of the run's inputs is refused.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from tracker.exc import OutputError

__all__ = ["atomic_path", "write_text", "write_bytes", "protect", "check_not_input", "safe_child"]

_PROTECTED: set[Path] = set()


def protect(paths: Iterable[Path]) -> None:
    """Register input files and folders that no output may overwrite in this process."""
    for p in paths:
        _PROTECTED.add(Path(p).resolve())


def check_not_input(path: Path) -> None:
    """Raise `OutputError` if `path` is, or lies inside, a registered input."""
    target = Path(path).resolve()
    for p in _PROTECTED:
        if target == p or p in target.parents:
            raise OutputError(f"{path}: refusing to write over an input ({p})")


def safe_child(folder: Path, name: str) -> Path:
    """The path of `name` inside `folder`, refusing names that would leave the folder."""
    if not name or name in {".", ".."} or "/" in name or "\\" in name or "\x00" in name:
        raise OutputError(f"{name!r}: not a plain file name")
    return folder / name


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` when the block succeeds."""
    path = Path(path)
    check_not_input(path)
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{folder}: cannot create folder: {exc.strerror or exc}") from exc
    if path.is_dir():
        raise OutputError(f"{path}: is a folder, expected a file path")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise


def write_bytes(path: Path, data: bytes) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text with '\\n' line ends, atomically."""
    return write_bytes(path, text.encode("utf-8"))
