"""Ctrl-C and a full disk are not bugs: one line each, and the README's exit codes (130 and 1)."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MINI_PATH

import tracker.graph
import tracker.output
from tracker.cli import cli


def test_ctrl_c_exits_130_with_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(tracker.graph, "build", interrupted)
    r = CliRunner().invoke(cli, ["report", "--data", str(MINI_PATH)])
    assert r.exit_code == 130
    assert r.stderr == "Interrupted: outputs already written are whole, the one being written was discarded.\n"


def no_space(*args: object, **kwargs: object) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_exits_1_naming_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tracker.output.os, "chmod", no_space)  # the write of the temporary file fails
    out = tmp_path / "v.html"
    r = CliRunner().invoke(cli, ["view", "--data", str(MINI_PATH), "-o", str(out)])
    assert r.exit_code == 1
    assert r.stderr == f"Error: {out}: cannot write: No space left on device\n"
    assert list(tmp_path.iterdir()) == []  # no temporary file left


def test_a_full_disk_during_build_keeps_the_old_outputs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "graphs"
    assert CliRunner().invoke(cli, ["build", "--data", str(MINI_PATH), "--out", str(out), "--no-view"]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    monkeypatch.setattr(tracker.output.os, "chmod", no_space)
    r = CliRunner().invoke(cli, ["build", "--data", str(MINI_PATH), "--out", str(out), "--no-view"])
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [f"Error: {out / 'graph.graphml'}: cannot write: No space left on device"]
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_an_os_error_outside_a_write_names_its_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", "/some/file.csv")

    monkeypatch.setattr(tracker.graph, "build", denied)
    r = CliRunner().invoke(cli, ["report", "--data", str(MINI_PATH)])
    assert r.exit_code == 1
    assert r.stderr == "Error: /some/file.csv: Permission denied\n"
