"""`tracker schema`, `validate` and `build` through click, as a user runs them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner
from conftest import MINI_PATH

from tracker.cli import cli


def test_version_and_help(cli_runner: CliRunner) -> None:
    r = cli_runner.invoke(cli, ["--version"])
    assert r.exit_code == 0 and r.stdout.startswith("tracker, version ")
    r = cli_runner.invoke(cli, ["--help"])
    assert r.exit_code == 0 and "Exit codes" in r.stdout


def test_schema(cli_runner: CliRunner) -> None:
    r = cli_runner.invoke(cli, ["schema"])
    assert r.exit_code == 0
    assert "beneficial_owner_of" in r.stdout and "court_judgment" in r.stdout
    r = cli_runner.invoke(cli, ["schema", "--json"])
    assert json.loads(r.stdout)["relation_kinds"]["family"]["directed"] is False


def test_validate_ok(cli_runner: CliRunner) -> None:
    r = cli_runner.invoke(cli, ["validate", "--data", str(MINI_PATH)])
    assert r.exit_code == 0, r.output
    assert r.stdout == ""
    assert r.stderr == "valid: 14 entities, 18 relations, 5 sources; 0 errors, 0 warnings\n"


def test_validate_broken_lists_every_error_and_exits_1(cli_runner: CliRunner, tmp_path: Path) -> None:
    root = tmp_path / "d"
    shutil.copytree(MINI_PATH, root)
    p = root / "relations.csv"
    p.write_text(p.read_text(encoding="utf-8").replace("r02,family", "r02,cousin").replace("2008,2012", "2012,2008"), encoding="utf-8")
    r = cli_runner.invoke(cli, ["validate", "--data", str(root)])
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    head, allowed = lines[0].split(" is not one of: ")
    assert head == "relations.csv:3: kind: error [unknown-relation-kind] 'cousin'"
    assert allowed.split(", ")[:4] == ["advised", "alleged", "associate", "beneficial_owner_of"]  # the schema's kinds, sorted
    assert "family" in allowed.split(", ") and "cousin" not in allowed.split(", ")
    assert lines[1] == "relations.csv:19: end: error [reversed-dates] end 2008 is before start 2012"
    assert lines[-1].startswith("INVALID: ")
    r = cli_runner.invoke(cli, ["validate", "--data", str(root), "--json"])
    assert r.exit_code == 1
    report = json.loads(r.stdout)
    assert report["valid"] is False and [e["line"] for e in report["errors"]] == [3, 19]


def test_missing_data_folder_is_a_usage_error(cli_runner: CliRunner, tmp_path: Path) -> None:
    r = cli_runner.invoke(cli, ["validate", "--data", str(tmp_path / "nope")])
    assert r.exit_code == 2
    assert "does not exist" in r.stderr and r.stdout == ""


def test_build_writes_outputs_and_is_deterministic(cli_runner: CliRunner, tmp_path: Path) -> None:
    out1, out2 = tmp_path / "g1", tmp_path / "g2"
    r = cli_runner.invoke(cli, ["build", "--data", str(MINI_PATH), "--out", str(out1)])
    assert r.exit_code == 0, r.output
    assert r.stdout == ""
    assert "14 entities, 18 relations" in r.stderr
    names = sorted(p.name for p in out1.iterdir())
    for expected in ["graph.graphml", "graph.json", "nodes.csv", "edges.csv", "sources.csv", "centrality.csv", "network.html"]:
        assert expected in names
    assert not any(n.startswith(".") for n in names)  # no temp files left
    r = cli_runner.invoke(cli, ["build", "--data", str(MINI_PATH), "--out", str(out2)])
    assert r.exit_code == 0
    for name in names:
        assert (out1 / name).read_bytes() == (out2 / name).read_bytes(), name


def test_build_refuses_invalid_data_with_one_line(cli_runner: CliRunner, tmp_path: Path) -> None:
    root = tmp_path / "d"
    shutil.copytree(MINI_PATH, root)
    p = root / "entities.csv"
    p.write_text(p.read_text(encoding="utf-8").replace("pa,jurisdiction,Panama", "vg,jurisdiction,Panama"), encoding="utf-8")
    r = cli_runner.invoke(cli, ["build", "--data", str(root), "--out", str(tmp_path / "g")])
    assert r.exit_code == 1
    assert r.stderr.count("\n") == 1
    assert r.stderr.startswith("Error: ") and "entities.csv:12: id: error [duplicate-id]" in r.stderr
    assert not (tmp_path / "g").exists()


def test_build_refuses_to_write_into_its_input(cli_runner: CliRunner, tmp_path: Path) -> None:
    root = tmp_path / "d"
    shutil.copytree(MINI_PATH, root)
    before = sorted(p.name for p in root.iterdir())
    r = cli_runner.invoke(cli, ["build", "--data", str(root), "--out", str(root / "out")])
    assert r.exit_code == 1 and "refusing to write over an input" in r.stderr
    assert sorted(p.name for p in root.iterdir()) == before


def test_python_m_tracker_works() -> None:
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "tracker", "--version"], capture_output=True, text=True, check=False)
    assert r.returncode == 0 and r.stdout.startswith("tracker, version")


def test_large_graphs_exit_fast_with_all_output_written(tmp_path: Path) -> None:
    """Above FAST_EXIT_ITEMS the process ends with os._exit after success: output must be whole."""
    import subprocess
    import sys

    code = (
        "import tracker.cli.common as c; c.FAST_EXIT_ITEMS = 10; "
        "from tracker.cli import cli; cli(['export', '--data', r'%s', '--format', 'json'])" % MINI_PATH
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["graph"]["name"] == "mini"
    code = (
        "import tracker.cli.common as c; c.FAST_EXIT_ITEMS = 10; "
        "from tracker.cli import cli; cli(['build', '--data', r'%s', '--out', r'%s'])" % (MINI_PATH, tmp_path / "g")
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stderr
    assert "wrote" in r.stderr and (tmp_path / "g" / "network.html").stat().st_size > 0
