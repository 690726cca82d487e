"""Outputs are written atomically and never over an input."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.exc import OutputError
from tracker.output import atomic_path, check_not_input, protect, safe_child, write_text


def test_atomic_write_replaces_whole_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "a.txt"
    write_text(target, "old")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    assert [p.name for p in target.parent.iterdir()] == ["a.txt"]  # no temp file left
    write_text(target, "new")
    assert target.read_text() == "new"


def test_inputs_are_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    protect([data])
    with pytest.raises(OutputError, match="refusing to write over an input"):
        check_not_input(data / "entities.csv")
    with pytest.raises(OutputError):
        write_text(data / "x.csv", "x")
    check_not_input(tmp_path / "graphs" / "x.csv")


@pytest.mark.parametrize("name", ["../x", "a/b", "..", "", "a\\b"])
def test_safe_child_refuses_traversal(tmp_path: Path, name: str) -> None:
    with pytest.raises(OutputError):
        safe_child(tmp_path, name)
