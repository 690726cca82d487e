"""Explained paths, neighbours and search, through the library and the CLI."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from tests.conftest import FIXTURES_PATH, MINI_PATH
from tracker.cli import cli
from tracker.exc import TrackerError
from tracker.paths import explained_paths, neighbours, relations_between, search

OWNERSHIP_PATH = FIXTURES_PATH / "analysis" / "ownership"


def test_shortest_paths_in_order(mini_graph: nx.MultiDiGraph) -> None:
    found = explained_paths(mini_graph, "alpha-ruler", "zeta-bank", k=3)
    assert [p["nodes"] for p in found] == [
        ["alpha-ruler", "gamma-soninlaw", "zeta-bank"],
        ["alpha-ruler", "beta-daughter", "gamma-soninlaw", "zeta-bank"],
        ["alpha-ruler", "gamma-soninlaw", "delta-holdings", "zeta-bank"],
    ]
    # Every relation between the two entities of a hop, both directions, with its sources.
    first = found[0]["hops"][0]
    assert [r["id"] for r in first["relations"]] == ["r12", "r13"]
    claim = first["relations"][0]
    assert claim["evidence"] == "allegation" and claim["referred_by"] == ["r13"] and claim["outcome"] == "unproven"
    assert claim["sources"][0]["title"] == "Adversary alleges bribe"


def test_max_hops_and_directed(mini_graph: nx.MultiDiGraph) -> None:
    assert explained_paths(mini_graph, "alpha-ruler", "zeta-bank", k=5, max_hops=2) == explained_paths(
        mini_graph, "alpha-ruler", "zeta-bank", k=1
    )
    directed = explained_paths(mini_graph, "beta-daughter", "iota-house", directed=True)
    assert directed[0]["nodes"] == ["beta-daughter", "theta-foundation", "iota-house"]
    assert explained_paths(mini_graph, "iota-house", "beta-daughter", directed=True) == []
    # Family ties go both ways even when directed.
    assert explained_paths(mini_graph, "beta-daughter", "alpha-ruler", directed=True)[0]["length"] == 1


def test_no_path_and_errors() -> None:
    from tracker.dataset import load
    from tracker.graph import build

    G = build(load([OWNERSHIP_PATH]))
    assert explained_paths(G, "lone-island", "co-direct") == []
    with pytest.raises(TrackerError, match="the same"):
        explained_paths(G, "co-direct", "co-direct")
    with pytest.raises(TrackerError, match="no entity with id 'x'"):
        explained_paths(G, "x", "co-direct")


def test_relations_between_directed_keeps_undirected() -> None:
    G = nx.MultiDiGraph(sources={})
    G.add_edge("a", "b", key="r1", kind="family", label="family of", directed=False, sources=[])
    G.add_edge("b", "a", key="r2", kind="owns", label="owns", directed=True, sources=[])
    assert [r["id"] for r in relations_between(G, "a", "b", directed=True)] == ["r1"]
    assert [r["id"] for r in relations_between(G, "b", "a", directed=True)] == ["r1", "r2"]
    assert [r["id"] for r in relations_between(G, "a", "b")] == ["r1", "r2"]


def test_neighbours(mini_graph: nx.MultiDiGraph) -> None:
    found = neighbours(mini_graph, "theta-foundation", 1)
    assert [(n["id"], [r["id"] for r in n["via"]]) for n in found] == [
        ("beta-daughter", ["r03"]),
        ("iota-house", ["r04"]),
        ("pa", ["r10"]),
    ]
    two = neighbours(mini_graph, "theta-foundation", 2)
    assert {n["id"]: n["distance"] for n in two}["kappa-agency"] == 2


def test_search_latin_and_cyrillic(mini_graph: nx.MultiDiGraph) -> None:
    rows = search(mini_graph, "Альфа Правитель")
    assert (rows[0]["id"], rows[0]["score"]) == ("alpha-ruler", 100.0)
    rows = search(mini_graph, "qulybaev")
    assert rows[0]["id"] == "gamma-soninlaw"
    assert search(mini_graph, "qwpvx") == []


def test_cli_path_text_and_json(cli_runner) -> None:  # type: ignore[no-untyped-def]
    args = ["path", "--data", str(MINI_PATH)]
    result = cli_runner.invoke(cli, [*args, "Alpha Ruler", "Zeta Bank plc", "-k", "1", "--format", "text"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "[1] 2 hops: Alpha Ruler - Gamma Qulybaev - Zeta Bank plc"
    assert "source: Adversary alleges bribe, Example Wire, 2010, http://claims.example.net/claim (allegation)" in result.stdout
    assert "answered by r13" in result.stdout
    result = cli_runner.invoke(cli, [*args, "alpha-ruler", "iota-house", "--format", "json"])
    data = json.loads(result.stdout)
    assert data["from"] == "alpha-ruler" and data["paths"][0]["nodes"][-1] == "iota-house"


def test_cli_no_path_is_one_line_exit_1(cli_runner) -> None:  # type: ignore[no-untyped-def]
    result = cli_runner.invoke(cli, ["path", "--data", str(OWNERSHIP_PATH), "Lone Island Ltd", "co-direct"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "Error: no path between Lone Island Ltd (lone-island) and Direct Co Ltd (co-direct) within 6 hops\n"
    result = cli_runner.invoke(cli, ["path", "--data", str(MINI_PATH), "iota-house", "beta-daughter", "--directed"])
    assert result.exit_code == 1 and "no directed path" in result.stderr


def test_cli_neighbours_and_search(cli_runner) -> None:  # type: ignore[no-untyped-def]
    result = cli_runner.invoke(cli, ["neighbours", "--data", str(MINI_PATH), "Бета Правителева", "--format", "text"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "Beta Rulerova (beta-daughter): 4 entities within 1 hop"
    result = cli_runner.invoke(cli, ["neighbours", "--data", str(MINI_PATH), "beta-daughter", "--depth", "2"])
    data = json.loads(result.stdout)
    assert {n["id"] for n in data["neighbours"] if n["distance"] == 2} >= {"iota-house", "zeta-bank"}
    result = cli_runner.invoke(cli, ["search", "--data", str(MINI_PATH), "Правитель", "--format", "json"])
    rows = json.loads(result.stdout)["rows"]
    assert rows[0]["id"] == "alpha-ruler" and rows[0]["score"] >= 90
    result = cli_runner.invoke(cli, ["search", "--data", str(MINI_PATH), "qwpvx"])
    assert result.exit_code == 0 and result.stderr == "no entity matches 'qwpvx'\n"
    result = cli_runner.invoke(cli, ["neighbours", "--data", str(MINI_PATH), "Nobody"])
    assert result.exit_code == 1 and result.stderr.startswith("Error: no entity named 'Nobody'")


def test_neighbours_walk_as_focus_does(mini_graph: nx.MultiDiGraph) -> None:
    # delta-holdings is registered in vg, which lambda-ngo ranks: vg is listed, not walked through.
    # (the old walk went on through vg to lambda-ngo at distance 2)
    two = neighbours(mini_graph, "delta-holdings", 2)
    assert [(n["id"], n["distance"]) for n in two] == [
        ("epsilon-mining", 1),
        ("gamma-soninlaw", 1),
        ("vg", 1),
        ("zeta-bank", 1),
        ("alpha-ruler", 2),
        ("beta-daughter", 2),
        ("mu-vehicles", 2),
    ]
