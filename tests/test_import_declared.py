"""Declared-unknown owners: BODS unspecified parties and PSC statements kept, reported by chains, exported."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import FIXTURES_PATH
from tracker.chains import ownership_chains
from tracker.cli import cli
from tracker.dataset import load
from tracker.graph import build
from tracker.importers import Meta, run_import
from tracker.validate import validate_paths

DECLARED = FIXTURES_PATH / "import" / "declared"


@pytest.fixture(scope="module")
def psc_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("declared") / "psc"
    run_import("psc", [DECLARED / "psc-statements.txt"], out, Meta(name="psc"))
    return out


@pytest.fixture(scope="module")
def bods_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("declared") / "bods"
    run_import("bods", [DECLARED / "bods-unspecified.jsonl"], out, Meta(name="bods"))
    return out


def _statements(folder: Path) -> list[tuple[str, str, str, str, str]]:
    ds = load([folder])
    return sorted((r.source, r.role, r.start, r.end, r.target) for r in ds.relations.values() if r.kind == "declared_unknown_owner")


def test_psc_statements_become_declared_unknown_owners(psc_dir: Path) -> None:
    assert validate_paths([psc_dir]).ok
    # Codes verbatim (Companies House's "signficant" included); the ceased statement keeps both dates.
    assert _statements(psc_dir) == [
        ("psc:09990010", "no-individual-or-entity-with-signficant-control", "2016-09-11", "2021-12-13", "psc:09990010"),
        ("psc:09990011", "super-secure-person-with-significant-control", "", "", "psc:09990011"),
        ("psc:09990012", "psc-exists-but-not-identified", "2017-04-06", "", "psc:09990012"),
        ("psc:09990013", "psc-exempt-as-trading-on-regulated-market", "2016-06-30", "", "psc:09990013"),
    ]
    ds = load([psc_dir])
    # No placeholder person stands in for the unknown owner: the only person is the real PSC.
    assert sorted(e.id for e in ds.entities.values() if e.kind == "person") == ["psc:09990010:ind10-591aeae3"]


def test_psc_statement_summary_adds_up(tmp_path: Path) -> None:
    summary = run_import("psc", [DECLARED / "psc-statements.txt"], tmp_path / "o")
    assert (summary.read, dict(summary.outcomes)) == (6, {"mapped": 5, "used": 1})
    assert summary.adds_up()


def test_bods_unspecified_interested_parties_are_kept(bods_dir: Path) -> None:
    assert validate_paths([bods_dir]).ok
    assert _statements(bods_dir) == [
        ("bods:ent-sigma", "interestedPartyExemptFromDisclosure", "2019-05-01", "2020-11-30", "bods:ent-sigma"),
        ("bods:ent-sigma", "subjectUnableToConfirmOrIdentifyBeneficialOwner", "2021-02-01", "", "bods:ent-sigma"),
    ]
    note = load([bods_dir]).relations["bods:rel-sigma-unknown"].note
    assert note == (
        "The company has taken all reasonable steps and cannot identify its beneficial owner. "
        "BODS unspecified interested party (subjectUnableToConfirmOrIdentifyBeneficialOwner). Interests: shareholding."
    )


def test_chains_up_returns_the_declared_unknown_owner(psc_dir: Path) -> None:
    G = build(load([psc_dir]))
    found = ownership_chains(G, "psc:09990012", "up")
    assert (found.owners, found.paths) == ([], [])
    assert [(d["reason"], d["start"], d["end"], d["current"], d["evidence"]) for d in found.declared_unknown] == [
        ("psc-exists-but-not-identified", "2017-04-06", "", True, "official_register")
    ]
    assert found.declared_unknown[0]["sources"][0]["publisher"] == "Companies House"
    # A company with an owner now and a ceased statement before: both are reported.
    both = ownership_chains(G, "psc:09990010", "up")
    assert [o["id"] for o in both.owners] == ["psc:09990010:ind10-591aeae3"]
    assert [(d["reason"], d["current"]) for d in both.declared_unknown] == [("no-individual-or-entity-with-signficant-control", False)]


def test_chains_cli_text_and_json(psc_dir: Path, cli_runner: CliRunner) -> None:
    r = cli_runner.invoke(cli, ["chains", "psc:09990011", "--data", str(psc_dir), "--format", "json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert [(d["entity"], d["reason"], d["current"]) for d in data["declared_unknown"]] == [
        ("psc:09990011", "super-secure-person-with-significant-control", True)
    ]
    r = cli_runner.invoke(cli, ["chains", "psc:09990010", "--data", str(psc_dir), "--format", "text"])
    assert r.exit_code == 0, r.output
    assert (
        "  UK company 09990010 (psc:09990010): no-individual-or-entity-with-signficant-control "
        "[ceased, 2016-09-11..2021-12-13; psc:09990010:st10-396be1b9] Companies House persons with significant control statement."
    ) in r.stdout.splitlines()


def test_exports_carry_declared_unknown_owners(psc_dir: Path, cli_runner: CliRunner, tmp_path: Path) -> None:
    r = cli_runner.invoke(cli, ["export", "--data", str(psc_dir), "--format", "csv", "-o", str(tmp_path / "csv")])
    assert r.exit_code == 0, r.output
    with open(tmp_path / "csv" / "nodes.csv", encoding="utf-8", newline="") as fh:
        nodes = {row["id"]: row for row in csv.DictReader(fh)}
    assert (
        nodes["psc:09990010"]["declared_unknown_owner"]
        == "no-individual-or-entity-with-signficant-control (2016-09-11..2021-12-13, ceased)"
    )
    assert nodes["psc:09990012"]["declared_unknown_owner"] == "psc-exists-but-not-identified (since 2017-04-06)"
    assert nodes["psc:09990010:ind10-591aeae3"]["declared_unknown_owner"] == ""
    r = cli_runner.invoke(cli, ["export", "--data", str(psc_dir), "--format", "neo4j", "-o", str(tmp_path / "neo")])
    assert r.exit_code == 0, r.output
    with open(tmp_path / "neo" / "nodes.csv", encoding="utf-8", newline="") as fh:
        neo = {row["id:ID"]: row for row in csv.DictReader(fh)}
    assert neo["psc:09990011"]["declared_unknown_owner:string[]"] == "super-secure-person-with-significant-control (undated)"
    r = cli_runner.invoke(cli, ["export", "--data", str(psc_dir), "--format", "ftm"])
    assert r.exit_code == 0, r.output
    records = [json.loads(line) for line in r.stdout.splitlines()]
    company = next(rec for rec in records if rec["properties"].get("name") == ["UK company 09990012"])
    assert company["properties"]["notes"] == [
        "Named only by number in the PSC snapshot.",
        "Declares its owner unknown: psc-exists-but-not-identified (since 2017-04-06). Companies House persons with significant control statement.",
    ]
    # The statement is a note on the company, never a relation from the company to itself.
    assert not [rec for rec in records if rec["schema"] == "UnknownLink"]


def test_jurisdictions_count_declared_unknown_owners(psc_dir: Path, tmp_path: Path) -> None:
    from tracker.jurisdictions import jurisdiction_exposure

    shipped = Path(__file__).parents[1] / "datasets"
    out = tmp_path / "psc"
    run_import("psc", [DECLARED / "psc-statements.txt"], out, Meta(name="psc"), base=[shipped])
    ds = load([shipped, out])
    df = jurisdiction_exposure(build(ds))
    # The four companies with a statement are UK-registered (country gb); the fifth company in
    # the file has an owner and no statement.
    assert int(df.loc["gb", "declared_unknown_owner"]) == 4
    assert int(df.loc["vg", "declared_unknown_owner"]) == 0


def test_chains_on_the_store_return_the_declared_unknown_owner(psc_dir: Path, cli_runner: CliRunner) -> None:
    pytest.importorskip("duckdb")
    r = cli_runner.invoke(cli, ["chains", "psc:09990012", "--data", str(psc_dir), "--engine", "duckdb", "--format", "json"])
    assert r.exit_code == 0, r.output
    assert [(d["reason"], d["current"]) for d in json.loads(r.stdout)["declared_unknown"]] == [("psc-exists-but-not-identified", True)]
