"""Writing output files safely: atomically, and never over an input.

Every file the tool writes goes through `atomic_path`: it is written to a temporary file in the
same folder and renamed into place, so an interrupted run leaves the previous output whole and
a reader never sees half a file. A path that is one of the run's inputs is refused.

A run killed outright (SIGKILL, power loss) cannot remove its temporary file. Temporary names
are `.<name>.<pid>.<random>.tmp`: hidden, never the final name, and carrying the writer's
process id, so that the next write of the same file removes those left by processes that no
longer run (and never one that another live process is still writing).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from tracker.exc import OutputError

__all__ = ["atomic_path", "write_text", "write_bytes", "protect", "check_not_input", "safe_child", "remove_stale_temps"]

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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists but is not ours, or we cannot tell: leave its file alone
    return True


def remove_stale_temps(path: Path) -> list[Path]:
    """Remove temporary files of `path` left by runs that were killed; returns those removed.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> _ = (d / ".a.csv.999999999.x1.tmp").write_text("half"), (d / f".a.csv.{os.getpid()}.x2.tmp").write_text("live")
    >>> [p.name for p in remove_stale_temps(d / "a.csv")]
    ['.a.csv.999999999.x1.tmp']
    >>> [p.name for p in d.iterdir()] == [f".a.csv.{os.getpid()}.x2.tmp"]
    True
    """
    path = Path(path)
    prefix = f".{path.name}."
    removed: list[Path] = []
    try:
        candidates = sorted(p for p in path.parent.iterdir() if p.name.startswith(prefix) and p.name.endswith(".tmp"))
    except OSError:
        return removed
    for p in candidates:
        pid_text = p.name[len(prefix) :].split(".", 1)[0]
        if not pid_text.isdigit() or not p.is_file() or _pid_alive(int(pid_text)):
            continue
        with contextlib.suppress(OSError):
            p.unlink()
            removed.append(p)
    return removed


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
    remove_stale_temps(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o644)
        os.replace(tmp_path, path)
    except OSError as exc:
        # Disk full, quota, device gone: a one-line error naming the file, not a crash.
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        raise OutputError(f"{path}: cannot write: {exc.strerror or exc}") from exc
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
