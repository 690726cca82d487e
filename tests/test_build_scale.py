"""`tracker build` at scale: the graph files it leaves out, the tables it streams, the focus walk.

The real figures (100k and 1M generator nodes) are in benchmarks/; these tests pin the
behaviour on the mini dataset with the size threshold lowered.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path

import networkx as nx
import pytest
from click.testing import CliRunner
from conftest import MINI_PATH

import tracker.export as export
from tracker.cli import cli
from tracker.cli.common import apply_filters
from tracker.export.graphs import graphml_bytes, interchange_graph, node_link_data, node_link_json
from tracker.export.tables import edge_table, edges_csv, node_table, nodes_csv
from tracker.graph import neighbourhood
from tracker.pipeline import run_build


def test_build_leaves_out_graph_files_above_the_threshold_and_says_how_to_get_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = run_build([MINI_PATH], tmp_path / "small", view=False)
    assert [p.name for p in small.files[:2]] == ["graph.graphml", "graph.json"]
    assert not [s for s in small.skipped if "graph." in s]
    monkeypatch.setattr(export, "BUILD_GRAPH_FILES_MAX_RELATIONS", 17)
    big = run_build([MINI_PATH], tmp_path / "big", view=False)
    names = [p.name for p in big.files]
    assert "graph.graphml" not in names and "graph.json" not in names
    assert names[:3] == ["nodes.csv", "edges.csv", "sources.csv"]
    assert not (tmp_path / "big" / "graph.graphml").exists()
    skipped = [s for s in big.skipped if s.startswith("graph.")]
    assert skipped == [
        "graph.graphml: 18 relations is over the 17 relations written by build; "
        "write it anyway with: tracker export --format graphml -o graph.graphml",
        "graph.json: 18 relations is over the 17 relations written by build; "
        "write it anyway with: tracker export --format json -o graph.json",
    ]
    assert "  skipped: " + skipped[0] in big.summary()
    for name in ("nodes.csv", "edges.csv", "sources.csv", "report.html"):
        assert (tmp_path / "big" / name).read_bytes() == (tmp_path / "small" / name).read_bytes(), name


def test_csv_tables_stream_rows_with_the_same_bytes(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    header, rows = edge_table(mini_graph)
    assert iter(rows) is rows  # a generator: rows are made while writing, never all at once
    first = next(rows)
    assert header[:4] == ["id", "kind", "label", "source"] and first[0] == "r01"
    export.write_csv(mini_graph, tmp_path)
    assert (tmp_path / "edges.csv").read_bytes() == edges_csv(mini_graph).encode("utf-8")
    assert (tmp_path / "nodes.csv").read_bytes() == nodes_csv(mini_graph).encode("utf-8")
    assert (tmp_path / "edges.csv").read_bytes().count(b"\r\n") == 19
    names = [r["id"] for r in csv.DictReader(io.StringIO(nodes_csv(mini_graph), newline=""))]
    assert names == sorted(mini_graph.nodes) and len(list(node_table(mini_graph)[1])) == 14


def test_streamed_json_is_the_same_document(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    before = copy.deepcopy((dict(mini_graph.graph), list(mini_graph.nodes(data=True)), list(mini_graph.edges(keys=True, data=True))))
    for all_sources in (False, True):
        expected = json.dumps(node_link_data(mini_graph, all_sources), ensure_ascii=False, indent=1, sort_keys=True, default=str) + "\n"
        assert node_link_json(mini_graph, all_sources) == expected
        path = export.export_graph(mini_graph, "json", tmp_path / f"g{all_sources}.json", all_sources=all_sources)[0]
        assert path.read_text(encoding="utf-8") == expected
        back = nx.node_link_graph(json.loads(expected), edges="edges")
        assert sorted(back.edges(keys=True)) == sorted(mini_graph.edges(keys=True))
    cited = json.loads(node_link_json(mini_graph))["graph"]["sources"]
    assert set(cited) <= set(mini_graph.graph["sources"]) and cited
    assert (
        node_link_json(nx.MultiDiGraph())
        == '{\n "directed": true,\n "edges": [],\n "graph": {\n  "sources": {}\n },\n "multigraph": true,\n "nodes": []\n}\n'
    )
    after = (dict(mini_graph.graph), list(mini_graph.nodes(data=True)), list(mini_graph.edges(keys=True, data=True)))
    assert after == before


def test_focus_does_not_walk_through_jurisdictions(mini_graph: nx.MultiDiGraph) -> None:
    # delta-holdings is registered in vg; vg is ranked by lambda-ngo, which also ranks pa.
    around = neighbourhood(mini_graph, ["delta-holdings"], 2)
    assert "vg" in around and around.has_edge("delta-holdings", "vg")
    assert "lambda-ngo" not in around  # reached only through the jurisdiction
    assert sorted(around) == [
        "alpha-ruler",
        "beta-daughter",
        "delta-holdings",
        "epsilon-mining",
        "gamma-soninlaw",
        "mu-vehicles",
        "vg",
        "zeta-bank",
    ]
    # A jurisdiction in focus is walked from: what is registered there, and who ranks it.
    assert sorted(neighbourhood(mini_graph, ["vg"], 1)) == ["delta-holdings", "lambda-ngo", "vg"]
    assert "pa" in neighbourhood(mini_graph, ["vg"], 2)  # an end point, not walked through
    assert "lambda-ngo" not in neighbourhood(mini_graph, ["theta-foundation"], 3)


def test_focus_does_not_walk_through_hubs(mini_graph: nx.MultiDiGraph) -> None:
    assert "alpha-ruler" in neighbourhood(mini_graph, ["delta-holdings"], 2)  # through gamma-soninlaw
    # gamma-soninlaw has 6 relations: a hub when the limit is 5
    around = neighbourhood(mini_graph, ["delta-holdings"], 2, hub_relations=5)
    assert "gamma-soninlaw" in around and "alpha-ruler" not in around and "mu-vehicles" not in around
    assert "zeta-bank" in around and "epsilon-mining" in around
    assert "mu-vehicles" in neighbourhood(mini_graph, ["gamma-soninlaw"], 1, hub_relations=5)  # a hub in focus is walked from


def test_kind_filter_applies_after_the_neighbourhood(mini_graph: nx.MultiDiGraph) -> None:
    # The companies two hops from beta-daughter are reached through gamma-soninlaw, a person: the
    # hops count through every entity, then --kind keeps the companies.
    H = apply_filters(mini_graph, "beta-daughter", 2, (), ("company",), None, 0)
    assert sorted(H) == ["delta-holdings", "mu-vehicles"]
    assert apply_filters(mini_graph, None, 2, (), (), None, 0) is mini_graph  # no filter: no copy


def test_cli_focus_skips_jurisdiction_hubs(cli_runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "c.csv"
    r = cli_runner.invoke(cli, ["export", "--data", str(MINI_PATH), "--format", "csv", "--focus", "delta-holdings", "-o", str(out)])
    assert r.exit_code == 0, r.output
    ids = [row["id"] for row in csv.DictReader((out / "nodes.csv").open(encoding="utf-8", newline=""))]
    assert "vg" in ids and "lambda-ngo" not in ids and len(ids) == 8
    assert "--focus" in cli_runner.invoke(cli, ["view", "--help"]).stdout
    assert "never walked through" in " ".join(cli_runner.invoke(cli, ["export", "--help"]).stdout.split())


def _networkx_graphml(G: nx.MultiDiGraph) -> bytes:
    buffer = io.BytesIO()
    nx.write_graphml_xml(interchange_graph(G), buffer, encoding="utf-8", prettyprint=True)
    return buffer.getvalue()


def test_streamed_graphml_is_networkx_graphml_byte_for_byte(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    odd: nx.MultiDiGraph = nx.MultiDiGraph(name='<a & "b">', data_date="2020")
    odd.add_node("z", name="Zed\n<tab>\t&", kind="company", share=1, flag=True, sources=[])
    odd.add_node("a")  # no attributes at all: an empty element
    odd.add_node("m", name="Эм", kind="person", share=2.5, flag="yes", label="own label")
    odd.add_edge("z", "a", key="r2", kind="owns", share=5, sources=["s"])
    odd.add_edge("a", "z", key="r1", kind="owns", share=2.5, extra=True)
    odd.add_edge("z", "m", key="r0", kind="family")
    odd.add_edge("z", "a", key="r3", kind="owns", extra="x")
    for G in (mini_graph, odd, nx.MultiDiGraph(), nx.MultiDiGraph(name="only a name")):
        assert graphml_bytes(G) == _networkx_graphml(G)
    path = export.export_graph(mini_graph, "graphml", tmp_path / "g.graphml")[0]
    assert path.read_bytes() == _networkx_graphml(mini_graph)
    back = nx.read_graphml(path, force_multigraph=True, edge_key_type=str)
    assert sorted(back.edges(keys=True)) == sorted(mini_graph.edges(keys=True))
