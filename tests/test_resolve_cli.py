"""Every command that takes an ENTITY resolves it the same way, on the shipped data.

An exact id, name or alias is silent; a close spelling is taken with one notice line on stderr
naming whom it chose; anything else exits 1 with the best candidates. Never the wrong person.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import cli

DATASETS = Path(__file__).resolve().parents[1] / "datasets"
NOTICE = 'resolved "Timur Kulbayev" to Timur Kulibayev (timur-kulibayev), score 96'


def commands(name: str, tmp: Path) -> dict[str, list[str]]:
    return {
        "path": ["path", name, "barclays", "--format", "json"],
        "neighbours": ["neighbours", name, "--format", "json"],
        "chains": ["chains", name, "--down", "--format", "json"],
        "view --focus": ["view", "--focus", name, "--depth", "1", "-o", str(tmp / "v.html")],
        "view --path": ["view", "--path", name, "barclays", "-o", str(tmp / "p.html")],
        "export --focus": ["export", "--format", "json", "--focus", name, "--depth", "1", "-o", str(tmp / "e.json")],
    }


@pytest.mark.parametrize("cmd", ["path", "neighbours", "chains", "view --focus", "view --path", "export --focus"])
def test_a_close_name_is_taken_with_one_notice(cmd: str, tmp_path: Path) -> None:
    args = commands("Timur Kulbayev", tmp_path)[cmd]
    r = CliRunner().invoke(cli, [args[0], "--data", str(DATASETS), *args[1:]])
    assert r.exit_code == 0, r.stderr
    assert r.stderr.splitlines()[0] == NOTICE
    assert r.stderr.count("resolved ") == 1


@pytest.mark.parametrize("cmd", ["path", "neighbours", "chains", "view --focus", "view --path", "export --focus"])
def test_a_missing_person_is_never_replaced(cmd: str, tmp_path: Path) -> None:
    args = commands("Nurlan Nazarbayev", tmp_path)[cmd]
    r = CliRunner().invoke(cli, [args[0], "--data", str(DATASETS), *args[1:]])
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr.startswith("Error: no entity named 'Nurlan Nazarbayev'; close matches: ")
    assert "resolved" not in r.stderr


def test_exact_names_are_silent(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["path", "--data", str(DATASETS), "Тимур Кулибаев", "Barclays", "--format", "json"])
    assert r.exit_code == 0 and r.stderr == ""


def test_the_ambiguity_list_names_the_bearer_of_the_surname() -> None:
    r = CliRunner().invoke(cli, ["neighbours", "--data", str(DATASETS), "Nazarbayev"])
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: 'Nazarbayev' names several entities: ")
    assert "Nursultan Nazarbayev (nursultan-nazarbayev)" in r.stderr


def test_search_has_no_hit_without_a_shared_word() -> None:
    r = CliRunner().invoke(cli, ["search", "--data", str(DATASETS), "Кулибаев", "--format", "csv"])
    assert r.exit_code == 0
    assert [line.split(",")[0] for line in r.stdout.splitlines()[1:]] == ["timur-kulibayev", "dinara-kulibayeva"]
