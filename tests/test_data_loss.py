"""No data loss: inputs are never rewritten, outputs are atomic, a killed run leaves the old output.

Every input file is hashed before and after every command; every writing command is pointed at
its own input and must refuse; `--out` folders hold everything written; and a real
`python -m tracker build` is SIGKILLed midway through writing a large dataset's outputs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES_PATH, MINI_PATH

from tracker.cli import EXIT_ERROR, cli
from tracker.output import write_text

ROOT = Path(__file__).resolve().parents[1]
IMPORTS = FIXTURES_PATH / "import"


def tree_hashes(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under `root` (symlinks not followed)."""
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture()
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    shutil.copytree(MINI_PATH, folder)
    return folder


# Every command, with its outputs in {out}; each must leave the dataset's bytes alone.
EVERY_COMMAND = [
    ["validate"],
    ["build", "--out", "{out}/graphs"],
    ["view", "-o", "{out}/view.html"],
    ["report", "--table", "brokers", "-o", "{out}/brokers.csv"],
    ["chains", "iota-house", "--format", "json"],
    ["path", "alpha-ruler", "zeta-bank", "--format", "json"],
    ["neighbours", "alpha-ruler", "--format", "json"],
    ["search", "alpha", "--format", "json"],
    ["export", "-f", "csv", "-o", "{out}/csv"],
    ["export", "-f", "neo4j", "-o", "{out}/neo4j"],
    ["export", "-f", "gexf", "-o", "{out}/g.gexf"],
    ["export", "-f", "graphml", "-o", "{out}/g.graphml"],
    ["export", "-f", "ftm", "-o", "{out}/g.ftm.json"],
    ["match", "--data", str(FIXTURES_PATH / "match" / "right"), "-o", "{out}/decisions.csv"],
]


@pytest.mark.parametrize("args", EVERY_COMMAND, ids=lambda a: "-".join(a[:3]))
def test_no_command_changes_its_input(args: list[str], data: Path, tmp_path: Path, cli_runner: CliRunner) -> None:
    before = tree_hashes(data)
    argv = [a.replace("{out}", str(tmp_path / "out")) for a in args]
    r = cli_runner.invoke(cli, [argv[0], "--data", str(data), *argv[1:]])
    assert r.exit_code == 0, r.stderr
    assert tree_hashes(data) == before
    if "{out}" in " ".join(args):
        assert any((tmp_path / "out").rglob("*")), "the command wrote nothing"


@pytest.mark.parametrize("fmt", ["ftm", "bods", "psc", "icij"])
def test_import_leaves_its_files_alone(fmt: str, tmp_path: Path, cli_runner: CliRunner) -> None:
    src = tmp_path / "src"
    shutil.copytree(IMPORTS / fmt, src)
    before = tree_hashes(src)
    files = [str(src)] if fmt == "icij" else [str(p) for p in sorted(src.iterdir())]
    r = cli_runner.invoke(
        cli, ["import", fmt, *files, "--out", str(tmp_path / "out"), "--url", "https://example.org/data", "--base", str(MINI_PATH)]
    )
    assert r.exit_code == 0, r.stderr
    assert tree_hashes(src) == before


# Each writing command pointed at one of its inputs: (arguments, the input file it would hit).
def _over_input(data: Path) -> list[list[str]]:
    return [
        ["build", "--data", str(data), "--out", str(data)],
        ["build", "--data", str(data), "--out", str(data / "graphs")],
        ["view", "--data", str(data), "-o", str(data / "entities.csv")],
        ["report", "--data", str(data), "-o", str(data / "relations.csv")],
        ["export", "--data", str(data), "-f", "csv", "-o", str(data)],
        ["export", "--data", str(data), "-f", "neo4j", "-o", str(data / "neo4j")],
        ["export", "--data", str(data), "-f", "json", "-o", str(data / "sources.csv")],
        ["export", "--data", str(data), "-f", "graphml", "-o", str(data / "datapackage.yaml")],
        ["match", "--data", str(data), "--data", str(MINI_PATH), "-o", str(data / "entities.csv")],
        ["import", "psc", str(data / "entities.csv"), "--out", str(data)],
        ["import", "psc", str(IMPORTS / "psc" / "psc-snapshot.txt"), "--base", str(data), "--out", str(data)],
    ]


@pytest.mark.parametrize("i", range(11))
def test_an_output_that_is_an_input_is_refused(i: int, data: Path, cli_runner: CliRunner) -> None:
    argv = _over_input(data)[i]
    before = tree_hashes(data)
    r = cli_runner.invoke(cli, argv)
    assert r.exit_code == EXIT_ERROR, (argv, r.stderr)
    errors = [line for line in r.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and r.stderr.splitlines()[-1] == errors[0] and "Traceback" not in r.output
    assert "refusing to write over an input" in r.stderr or "refusing to overwrite" in r.stderr
    assert tree_hashes(data) == before and sorted(p.name for p in data.iterdir()) == sorted(before)


def test_import_refuses_to_overwrite_a_curated_dataset_but_refreshes_its_own(tmp_path: Path, cli_runner: CliRunner) -> None:
    curated = tmp_path / "curated"
    shutil.copytree(MINI_PATH, curated)
    before = tree_hashes(curated)
    snap = str(IMPORTS / "psc" / "psc-snapshot.txt")
    r = cli_runner.invoke(cli, ["import", "psc", snap, "--out", str(curated)])
    assert r.exit_code == EXIT_ERROR and "holds a dataset that `tracker import` did not write" in r.stderr
    assert tree_hashes(curated) == before
    out = tmp_path / "imported"
    assert cli_runner.invoke(cli, ["import", "psc", snap, "--out", str(out)]).exit_code == 0
    first = tree_hashes(out)
    assert cli_runner.invoke(cli, ["import", "psc", snap, "--out", str(out)]).exit_code == 0  # a refresh
    assert tree_hashes(out) == first


def test_match_updates_decisions_in_place_and_keeps_every_reviewed_row(tmp_path: Path, cli_runner: CliRunner) -> None:
    left, right = tmp_path / "left", tmp_path / "right"
    shutil.copytree(FIXTURES_PATH / "match" / "left", left)
    shutil.copytree(FIXTURES_PATH / "match" / "right", right)
    decisions = right / "decisions.csv"
    r = cli_runner.invoke(cli, ["match", "--data", str(left), "--data", str(right), "-o", str(decisions)])
    assert r.exit_code == 0, r.stderr  # the README's workflow: write the file in the folder
    lines = decisions.read_text(encoding="utf-8").splitlines()
    pending = next(i for i, line in enumerate(lines) if ",pending," in line)
    lines[pending] = lines[pending].replace(",pending,", ",not_same,") + "reviewer-x"
    header = lines[0].split(",")
    cells = lines[pending].split(",")
    assert len(cells) >= len(header) - 1
    decisions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reviewed = decisions.read_text(encoding="utf-8").splitlines()[pending]
    data_before = {k: v for k, v in tree_hashes(right).items() if k != "decisions.csv"}
    r = cli_runner.invoke(cli, ["match", "--data", str(left), "--data", str(right), "-o", str(decisions)])
    assert r.exit_code == 0, r.stderr
    assert reviewed in decisions.read_text(encoding="utf-8").splitlines()
    assert {k: v for k, v in tree_hashes(right).items() if k != "decisions.csv"} == data_before


def test_out_never_writes_outside_the_folder_it_names(tmp_path: Path, cli_runner: CliRunner) -> None:
    """Path-like ids and names (../../etc/passwd, x..y:z) stay cell text; files have fixed names."""
    hostile = FIXTURES_PATH / "hostile"
    work = tmp_path / "work"
    work.mkdir()
    before = set(tmp_path.rglob("*"))
    for fmt in ("csv", "neo4j"):
        r = cli_runner.invoke(cli, ["export", "--data", str(hostile), "-f", fmt, "-o", str(work / fmt)])
        assert r.exit_code == 0, r.stderr
    ftm = tmp_path / "ftm.json"
    ftm.write_text(
        "\n".join(
            json.dumps({"id": i, "schema": "Person", "properties": {"name": [i]}, "datasets": ["x"]})
            for i in ("../../escape", "/etc/passwd", "..\\..\\win", "a/b/c", ".", "..")
        )
        + "\n",
        encoding="utf-8",
    )
    r = cli_runner.invoke(cli, ["import", "ftm", str(ftm), "--out", str(work / "imp")])
    assert r.exit_code == 0, r.stderr
    r = cli_runner.invoke(cli, ["build", "--data", str(work / "imp"), "--out", str(work / "graphs"), "--no-view"])
    assert r.exit_code == 0, r.stderr
    created = set(tmp_path.rglob("*")) - before - {ftm}
    assert created and all(work in p.parents for p in created), sorted(map(str, created - {p for p in created if work in p.parents}))
    assert sorted(p.name for p in (work / "imp").iterdir()) == ["datapackage.yaml", "entities.csv", "relations.csv", "sources.csv"]
    assert sorted(p.name for p in (work / "csv").iterdir()) == ["edges.csv", "nodes.csv", "sources.csv"]


def test_a_failing_writer_leaves_the_previous_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli_runner: CliRunner) -> None:
    out = tmp_path / "g"
    assert cli_runner.invoke(cli, ["build", "--data", str(MINI_PATH), "--out", str(out)]).exit_code == 0
    before = tree_hashes(out)
    import tracker.report

    def fail(*args: object, **kwargs: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tracker.report, "report_html", fail)
    r = cli_runner.invoke(cli, ["build", "--data", str(FIXTURES_PATH / "analysis" / "ownership"), "--out", str(out)])
    assert r.exit_code != 0 and "Traceback" not in r.output and "No space left on device" in r.stderr
    after = tree_hashes(out)
    assert after["report.html"] == before["report.html"]
    assert sorted(after) == sorted(before)  # no temporary file left by an exception


# --- a real process, killed midway -------------------------------------------------------


@pytest.fixture(scope="module")
def big_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic ICIJ import of about 800 nodes: its build takes seconds, mostly writing."""
    from tracker.importers import Meta, run_import
    from tracker.synthetic import generate_icij

    root = tmp_path_factory.mktemp("big")
    generate_icij(root / "icij", 800, seed=7)
    run_import("icij", [root / "icij"], root / "data", Meta(url="https://example.org/icij"))
    return root / "data"


def _complete(path: Path) -> bool:
    """Whether a file is whole by its own format (a half-written one is not)."""
    data = path.read_bytes()
    if path.suffix == ".json":
        json.loads(data)
        return True
    if path.suffix == ".graphml":
        ET.fromstring(data)
        return True
    if path.suffix == ".html":
        return data.rstrip().endswith(b"</html>")
    return data.endswith(b"\n")


def test_a_killed_build_leaves_the_old_outputs_intact(big_dataset: Path, tmp_path: Path, cli_runner: CliRunner) -> None:
    out = tmp_path / "graphs"
    assert cli_runner.invoke(cli, ["build", "--data", str(MINI_PATH), "--out", str(out)]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tracker", "build", "--data", str(big_dataset), "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
    )
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if any(p.name.endswith(".tmp") for p in out.iterdir()):
                break  # the run is writing its outputs now
            time.sleep(0.005)
        assert proc.poll() is None, f"the build ended before it could be killed: {proc.stderr.read() if proc.stderr else ''}"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
        if proc.stderr:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    final = {p.name for p in out.iterdir() if not p.name.startswith(".")}
    assert final == set(before)  # nothing lost, nothing new under a final name
    kept = [name for name in sorted(final) if (out / name).read_bytes() == before[name]]
    assert kept, "the kill came too late to test anything"
    for name in sorted(final - set(kept)):
        assert _complete(out / name), f"{name} is half-written"  # replaced whole before the kill
    temps = [p for p in out.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp")]
    # The next run cleans the temporary files the killed one left, and writes every output.
    assert cli_runner.invoke(cli, ["build", "--data", str(MINI_PATH), "--out", str(out)]).exit_code == 0
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")], f"stale temp files remain (the kill left {len(temps)})"
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_stale_temp_files_of_dead_runs_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    target = tmp_path / "nodes.csv"
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True)
    stale = tmp_path / f".nodes.csv.{int(dead.stdout)}.abc123.tmp"
    live = tmp_path / f".nodes.csv.{os.getpid()}.def456.tmp"
    other = tmp_path / f".edges.csv.{int(dead.stdout)}.abc123.tmp"
    for p in (stale, live, other):
        p.write_text("half", encoding="utf-8")
    write_text(target, "id\n")
    assert not stale.exists() and live.exists() and other.exists()  # only this file's, only a dead writer's
    assert target.read_text(encoding="utf-8") == "id\n"
