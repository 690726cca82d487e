"""The data the user edits is the data the tool reads, and no output replaces it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import MINI_PATH

from tracker.cli import cli


@pytest.fixture()
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding a copy of the mini dataset as datasets/, as the cwd."""
    shutil.copytree(MINI_PATH, tmp_path / "datasets")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def add_entity(folder: Path) -> None:
    with (folder / "entities.csv").open("a", encoding="utf-8") as f:
        header = (folder / "entities.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
        row = {"id": "nu-added", "kind": "person", "name": "Nu Added", "sphere": "elite"}
        f.write(",".join(row.get(c, "") for c in header) + "\n")


def test_validate_reads_the_dataset_being_edited(project: Path) -> None:
    add_entity(project / "datasets")
    r = CliRunner().invoke(cli, ["validate"])
    assert r.exit_code == 0, r.stderr
    assert r.stderr.splitlines()[0] == "reading datasets (the dataset in the current folder; give --data to read another)"
    assert r.stderr.splitlines()[-1].startswith("valid: 15 entities, ")  # the mini dataset's 14, plus the one added


def test_inside_the_dataset_folder_itself(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project / "datasets")
    r = CliRunner().invoke(cli, ["search", "Nu Added", "--format", "csv"])
    assert r.stdout.splitlines()[1:] == []  # not added yet: no hit
    add_entity(project / "datasets")
    r = CliRunner().invoke(cli, ["search", "Nu Added", "--format", "csv"])
    assert r.stdout.splitlines()[1].startswith("nu-added,Nu Added,Nu Added,100.0,")


def test_elsewhere_the_shipped_copy_is_read_and_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["validate"])
    shipped = Path(__file__).resolve().parents[1] / "datasets"  # in a checkout, the shipped copy is its datasets/
    assert r.stderr.splitlines()[0] == f"reading {shipped} (the shipped dataset: no datapackage.yaml here or in ./datasets)"
    assert r.exit_code == 0


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--format", "csv", "-o", "datasets"],
        ["view", "-o", "datasets/entities.csv"],
        ["report", "-o", "datasets/sources.csv"],
        ["build", "--out", "datasets/graphs"],
    ],
)
def test_no_output_over_the_default_dataset(project: Path, args: list[str]) -> None:
    before = {p.name: p.read_bytes() for p in (project / "datasets").iterdir()}
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 1, r.stderr
    assert "refusing to write over an input" in r.stderr
    assert {p.name: p.read_bytes() for p in (project / "datasets").iterdir()} == before


def test_no_output_over_the_folder_here_when_reading_another(project: Path) -> None:
    before = (project / "datasets" / "sources.csv").read_bytes()
    r = CliRunner().invoke(cli, ["export", "--data", str(MINI_PATH), "--format", "csv", "-o", "datasets"])
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: datasets")
    assert (project / "datasets" / "sources.csv").read_bytes() == before
