"""Centrality among actors: rankings, reports and answers are not ties; jurisdictions are not brokers."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from tracker.cli import cli
from tracker.metrics import brokers, centrality, tie_kinds
from tracker.model import load_model

DATASETS = Path(__file__).resolve().parents[1] / "datasets"


def test_the_schema_says_which_kinds_are_not_ties() -> None:
    model = load_model()
    assert set(model.relation_kinds) - tie_kinds(model) == {
        "ranked",
        "reported_on",
        "response",
        "constitutional_tie",
        "declared_unknown_owner",
    }
    assert tie_kinds(model, include_meta=True) == set(model.relation_kinds)


def test_default_centrality_leaves_out_rankings_and_jurisdiction_paths(mini_graph: nx.MultiDiGraph) -> None:
    df = centrality(mini_graph, ["degree", "betweenness"])
    # lambda-ngo's only relations are two rankings (r14, r15): no tie at all
    assert int(df.loc["lambda-ngo", "degree"]) == 0
    # vg keeps its registered_in (a tie) but no shortest path runs through a jurisdiction
    assert (int(df.loc["vg", "degree"]), float(df.loc["vg", "betweenness"])) == (1, 0.0)
    # delta-holdings: epsilon-mining reaches the 8 entities beyond gamma-soninlaw through delta or
    # zeta-bank equally (8 x 1/2 = 4 pairs), normalised by (14 - 1)(14 - 2) / 2 = 78
    assert df.loc["delta-holdings", "betweenness"] == pytest.approx(4 / 78)
    assert "ranked, reported_on, response are not ties between actors" in df.attrs["notes"]["ties"]


def test_include_meta_counts_everything(mini_graph: nx.MultiDiGraph) -> None:
    df = centrality(mini_graph, ["degree", "betweenness"], include_meta=True)
    assert int(df.loc["lambda-ngo", "degree"]) == 2
    assert float(df.loc["vg", "betweenness"]) > 0.0
    assert df.attrs["notes"]["ties"] == "every relation kind counted (--include-meta), and jurisdictions are in betweenness"


def test_brokers_say_what_they_left_out(mini_graph: nx.MultiDiGraph) -> None:
    assert brokers(mini_graph).attrs["notes"]["ties"].startswith("centrality among actors: relations of kinds constitutional_tie, ")


def test_a_ranking_index_is_not_the_top_entity() -> None:
    top = CliRunner().invoke(cli, ["report", "--data", str(DATASETS), "--metric", "pagerank", "--top", "10", "--format", "csv"])
    assert top.exit_code == 0
    assert "financial-secrecy-index" not in top.stdout
    meta = CliRunner().invoke(
        cli, ["report", "--data", str(DATASETS), "--metric", "pagerank", "--top", "10", "--format", "csv", "--include-meta"]
    )
    assert "financial-secrecy-index" in meta.stdout
    assert "ties: every relation kind counted (--include-meta)" in meta.stderr
