"""The canonical graph: counts, attributes, multi-edges, derived graphs."""

from __future__ import annotations

import networkx as nx

from tracker.graph import citations, collapse, edge_summary, ego, filter_graph, resolve


def test_counts_and_attributes(mini_graph: nx.MultiDiGraph) -> None:
    G = mini_graph
    assert (G.number_of_nodes(), G.number_of_edges()) == (14, 18)
    assert G.nodes["gamma-soninlaw"]["aliases"] == ["Гамма Құлыбаев", "Gamma Kulibayev"]
    assert G.nodes["gamma-soninlaw"]["sphere"] == "elite"
    d = G.edges["gamma-soninlaw", "delta-holdings", "r05"]
    assert (d["kind"], d["label"], d["share_min"], d["share_max"], d["ownership"]) == ("owns", "owns", 25.0, 50.0, True)
    assert G.edges["alpha-ruler", "beta-daughter", "r01"]["directed"] is False
    assert G.graph["content_hash"] and G.graph["data_date"] == "2022"
    assert set(G.graph["sources"]) == {"judgment-2020", "news-2007", "filing-2007", "index-2022", "claim-2010"}


def test_claims_carry_their_answers(mini_graph: nx.MultiDiGraph) -> None:
    claim = mini_graph.edges["gamma-soninlaw", "alpha-ruler", "r12"]
    assert claim["evidence"] == "allegation" and claim["referred_by"] == ["r13"]
    assert mini_graph.edges["alpha-ruler", "gamma-soninlaw", "r13"]["refers_to"] == ["r12"]


def test_every_edge_has_citations(mini_graph: nx.MultiDiGraph) -> None:
    for _, _, d in mini_graph.edges(data=True):
        cites = citations(mini_graph, d["sources"])
        assert cites and all(c["url"].startswith(("http://", "https://")) for c in cites)


def test_multi_edges_are_kept_and_collapse_weights_them(mini_graph: nx.MultiDiGraph) -> None:
    G = mini_graph
    assert G.number_of_edges("gamma-soninlaw", "alpha-ruler") == 1
    assert G.number_of_edges("alpha-ruler", "gamma-soninlaw") == 1
    U = collapse(G, directed=False)
    assert U["alpha-ruler"]["gamma-soninlaw"]["weight"] == 2
    D = collapse(G)
    # family is undirected: both directions in the directed collapse
    assert D.has_edge("beta-daughter", "alpha-ruler") and D.has_edge("alpha-ruler", "beta-daughter")


def test_ego_and_filters(mini_graph: nx.MultiDiGraph) -> None:
    E = ego(mini_graph, "theta-foundation", 1)
    assert set(E) == {"theta-foundation", "beta-daughter", "iota-house", "pa"}
    assert set(filter_graph(mini_graph, spheres=["offshore"])) == {"delta-holdings", "theta-foundation", "vg", "pa", "mu-vehicles"}
    past = filter_graph(mini_graph, as_of="2005")
    assert not past.has_edge("gamma-soninlaw", "delta-holdings")  # from 2006
    assert past.has_edge("alpha-ruler", "beta-daughter")  # no dates: always
    assert not filter_graph(mini_graph, as_of="2013").has_edge("gamma-soninlaw", "zeta-bank")  # 2008-2012
    assert set(filter_graph(mini_graph, min_degree=4)) <= set(mini_graph)
    assert mini_graph.number_of_edges() == 18  # filters never change the canonical graph


def test_resolve_and_summary(mini_graph: nx.MultiDiGraph) -> None:
    assert resolve(mini_graph, "Гамма Кулибаев") == "gamma-soninlaw"
    assert edge_summary(mini_graph, "alpha-ruler", "beta-daughter", "r01") == "Alpha Ruler -[family of (parent)]-- Beta Rulerova"
