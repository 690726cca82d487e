"""`tracker import` and `tracker match` through the CLI, and the real shared samples when present."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import FIXTURES_PATH, MINI_PATH
from tracker.cli import cli
from tracker.dataset import load
from tracker.graph import build
from tracker.validate import validate_paths

IMPORTS = FIXTURES_PATH / "import"


@pytest.mark.parametrize("fmt", ["bods", "ftm", "icij", "psc"])
def test_import_then_validate_and_build(cli_runner: CliRunner, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / fmt
    files = [str(p) for p in sorted((IMPORTS / fmt).iterdir())]
    result = cli_runner.invoke(cli, ["import", fmt, *files, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr.startswith(f"{fmt}: read ")
    assert f"wrote {out}" in result.stderr
    check = cli_runner.invoke(cli, ["validate", "--data", str(out)])
    assert check.exit_code == 0, check.output
    built = cli_runner.invoke(cli, ["build", "--data", str(out), "--out", str(tmp_path / "graphs"), "--no-view"])
    assert built.exit_code == 0, built.output


def test_import_with_base_reuses_jurisdictions(cli_runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "icij"
    result = cli_runner.invoke(cli, ["import", "icij", str(IMPORTS / "icij"), "--out", str(out), "--base", str(MINI_PATH)])
    assert result.exit_code == 0, result.output
    assert validate_paths([MINI_PATH, out]).ok
    G = build(load([MINI_PATH, out]))
    assert G.has_edge("icij:10000001", "vg")  # the curated British Virgin Islands
    assert G.nodes["vg"]["dataset"] == "mini"


def test_import_bad_input_exit_1(cli_runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "snap.txt"
    bad.write_text("{not json\n", encoding="utf-8")
    result = cli_runner.invoke(cli, ["import", "psc", str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert result.stderr == "Error: snap.txt:1: not valid JSON: Expecting property name enclosed in double quotes (column 2)\n"
    assert not (tmp_path / "o").exists()


def test_import_usage_errors(cli_runner: CliRunner, tmp_path: Path) -> None:
    result = cli_runner.invoke(cli, ["import", "xml", str(IMPORTS / "psc" / "psc-snapshot.txt"), "--out", str(tmp_path)])
    assert result.exit_code == 2
    result = cli_runner.invoke(
        cli, ["import", "psc", str(IMPORTS / "psc" / "psc-snapshot.txt"), "--out", str(tmp_path / "o"), "--retrieved", "yesterday"]
    )
    assert result.exit_code == 1 and "--retrieved: 'yesterday' is not a date" in result.stderr


def test_import_refuses_to_write_over_input(cli_runner: CliRunner, tmp_path: Path) -> None:
    snap = tmp_path / "entities.csv"
    snap.write_text((IMPORTS / "psc" / "psc-snapshot.txt").read_text(encoding="utf-8"), encoding="utf-8")
    result = cli_runner.invoke(cli, ["import", "psc", str(snap), "--out", str(tmp_path)])
    assert result.exit_code == 1 and "refusing to write over an input" in result.stderr


def test_match_cli(cli_runner: CliRunner, tmp_path: Path) -> None:
    match = FIXTURES_PATH / "match"
    out = tmp_path / "decisions.csv"
    result = cli_runner.invoke(cli, ["match", "--data", str(match / "left"), "--data", str(match / "right"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr == "4 candidate pairs (3 pending review) at threshold 85\n"
    assert out.read_text(encoding="utf-8").splitlines()[0].startswith("left_id,right_id,decision,score,explanation")
    to_stdout = cli_runner.invoke(cli, ["match", "--data", str(match / "left"), "--data", str(match / "right")])
    assert to_stdout.stdout == out.read_text(encoding="utf-8")
    one = cli_runner.invoke(cli, ["match", "--data", str(match / "left")])
    assert one.exit_code == 2


def test_shared_samples_import_and_build_with_mini(shared_path: Path, tmp_path: Path) -> None:
    samples = shared_path / "samples"
    if not samples.is_dir():
        pytest.skip("../shared/samples is absent")
    from tracker.importers import Meta, run_import

    roots = [MINI_PATH]
    psc = samples / "ch_psc_bods_uk_psc_pipeline"
    jobs = [
        ("icij", [samples / "icij_oldb_intermediaries"], Meta()),
        ("psc", [*sorted(psc.glob("psc-data-*.json")), psc / "company-data-1.json"], Meta()),
        (
            "bods",
            sorted((samples / "bods_data_standard_examples" / "examples").glob("*.json")),
            Meta(url="https://standard.openownership.org/en/0.4.0/examples/", publisher="Open Ownership"),
        ),
        (
            "ftm",
            [samples / "ftm_opensanctions_yente" / "zala.entities.ftm.json", samples / "ftm_opensanctions_yente" / "t1.entities.ftm.json"],
            Meta(),
        ),
    ]
    counts = {}
    for fmt, files, meta in jobs:
        out = tmp_path / fmt
        summary = run_import(fmt, files, out, meta, base=roots)  # earlier folders' jurisdictions are reused
        counts[fmt] = summary.written["entities"]
        roots.append(out)
    assert counts["icij"] > 26_000 and counts["psc"] >= 30 and counts["bods"] >= 50 and counts["ftm"] >= 30
    report = validate_paths(roots)
    assert report.ok, report.errors[:3]
    G = build(load(roots))
    assert G.number_of_nodes() > 26_000
    assert G.nodes["icij:298159"]["name"] == "Kausar Overseas Ltd."


def test_import_says_when_it_reads_record_by_record(cli_runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # One node number in two files: the column-wise path leaves the merge to the record path,
    # and the user hears so at once (on bulk data that costs several times the memory; this
    # small folder stands for bulk data).
    from tracker.importers import icij_columnar

    monkeypatch.setattr(icij_columnar, "NOTICE_ABOVE_BYTES", 0)
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("nodes-entities.csv", "nodes-officers.csv", "relationships.csv"):
        text = (IMPORTS / "icij" / name).read_text(encoding="utf-8")
        (raw / name).write_text(text.replace("12000001,Beta Rulerova", "10000001,Beta Rulerova"), encoding="utf-8")
    result = cli_runner.invoke(cli, ["import", "icij", str(raw), "--out", str(tmp_path / "out"), "--no-store"])
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[0] == (
        "icij: read record by record, not column-wise (a node_id given twice): slower and several times the memory on bulk data"
    )
    # A clean folder says nothing of the kind.
    clean = cli_runner.invoke(cli, ["import", "icij", str(IMPORTS / "icij"), "--out", str(tmp_path / "clean"), "--no-store"])
    assert clean.exit_code == 0, clean.output
    assert "record by record" not in clean.stderr
