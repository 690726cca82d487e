"""The shipped curated dataset goes through every output: build, exports with round trips, analysis."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner

from tracker.cli import cli
from tracker.dataset import load
from tracker.export import export_bytes, export_graph
from tracker.graph import build


@pytest.fixture(scope="module")
def shipped() -> nx.MultiDiGraph:
    return build(load())


def test_graphml_gexf_and_json_round_trip(shipped: nx.MultiDiGraph) -> None:
    n, m = shipped.number_of_nodes(), shipped.number_of_edges()
    for fmt, reader in [("graphml", nx.read_graphml), ("gexf", nx.read_gexf)]:
        H = reader(io.BytesIO(export_bytes(shipped, fmt)))
        assert (H.number_of_nodes(), H.number_of_edges()) == (n, m), fmt
        node = next(iter(sorted(shipped)))
        assert H.nodes[node]["name"] == shipped.nodes[node]["name"], fmt
    data = json.loads(export_bytes(shipped, "json"))
    H = nx.node_link_graph(data, edges="edges", multigraph=True, directed=True)
    assert (H.number_of_nodes(), H.number_of_edges()) == (n, m)
    for u, v, k, d in shipped.edges(keys=True, data=True):
        assert H.edges[u, v, k]["sources"] == d["sources"]


def test_ftm_export_is_valid_and_linked(shipped: nx.MultiDiGraph) -> None:
    from followthemoney import model

    records = [json.loads(line) for line in export_bytes(shipped, "ftm").decode("utf-8").splitlines()]
    assert len(records) == shipped.number_of_nodes() + shipped.number_of_edges()
    ids = {r["id"] for r in records}
    for data in records:
        proxy = model.get_proxy(data, cleaned=False)
        for required in proxy.schema.required:
            assert proxy.has(required), (data["id"], required)
        for prop in proxy.iterprops():
            if prop.type.name == "entity":
                assert set(proxy.get(prop)) <= ids, data["id"]
        if proxy.schema.is_a("Interval"):
            assert proxy.get("sourceUrl") and proxy.get("publisher"), data["id"]


def test_csv_and_neo4j_exports(shipped: nx.MultiDiGraph, tmp_path: Path) -> None:
    export_graph(shipped, "csv", tmp_path / "csv")
    with (tmp_path / "csv" / "edges.csv").open(encoding="utf-8", newline="") as fh:
        edges = list(csv.DictReader(fh))
    assert len(edges) == shipped.number_of_edges()
    export_graph(shipped, "neo4j", tmp_path / "neo4j")
    assert (tmp_path / "neo4j" / "import.cypher").is_file()


def test_build_writes_every_output_from_the_shipped_data(tmp_path: Path) -> None:
    r = CliRunner().invoke(cli, ["build", "--out", str(tmp_path)])
    assert r.exit_code == 0, r.output
    for name in [
        "graph.graphml",
        "graph.json",
        "nodes.csv",
        "edges.csv",
        "sources.csv",
        "centrality.csv",
        "brokers.csv",
        "jurisdictions.csv",
        "report.html",
        "network.html",
    ]:
        assert (tmp_path / name).stat().st_size > 0, name


@pytest.mark.parametrize(
    "args,expected",
    [
        (["search", "Кулибаев", "--format", "json"], "timur-kulibayev"),
        (["chains", "33 The Bishops Avenue", "--up", "--format", "json"], "nurali-aliyev"),
        (["path", "Dariga Nazarbayeva", "Mishcon de Reya", "--format", "json"], "mishcon"),
        (["neighbours", "Timur Kulibayev", "--format", "json"], "sunninghill"),
        (["report", "--top", "5", "--format", "json"], "betweenness"),
    ],
)
def test_analysis_commands_on_the_shipped_data(args: list[str], expected: str) -> None:
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 0, r.output
    assert expected in r.stdout
