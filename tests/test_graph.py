"""The canonical graph: counts, attributes, multi-edges, derived graphs."""

from __future__ import annotations

import networkx as nx

from tracker.graph import citations, collapse, edge_summary, filter_graph, neighbourhood, resolve


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


def test_neighbourhood_and_filters(mini_graph: nx.MultiDiGraph) -> None:
    E = neighbourhood(mini_graph, ["theta-foundation"], 1)
    assert set(E) == {"theta-foundation", "beta-daughter", "iota-house", "pa"}
    assert set(filter_graph(mini_graph, spheres=["offshore"])) == {"delta-holdings", "theta-foundation", "vg", "pa", "mu-vehicles"}
    past = filter_graph(mini_graph, as_of="2005")
    assert not past.has_edge("gamma-soninlaw", "delta-holdings")  # from 2006
    assert past.has_edge("alpha-ruler", "beta-daughter")  # no dates: always
    assert not filter_graph(mini_graph, as_of="2013").has_edge("gamma-soninlaw", "zeta-bank")  # 2008-2012
    # degrees in the mini graph: gamma-soninlaw 6, beta-daughter 4, delta-holdings 4, the rest 3 or fewer
    assert sorted(filter_graph(mini_graph, min_degree=4)) == ["beta-daughter", "delta-holdings", "gamma-soninlaw"]
    assert mini_graph.number_of_edges() == 18  # filters never change the canonical graph


def test_resolve_and_summary(mini_graph: nx.MultiDiGraph) -> None:
    assert resolve(mini_graph, "Гамма Кулибаев") == "gamma-soninlaw"
    assert edge_summary(mini_graph, "alpha-ruler", "beta-daughter", "r01") == "Alpha Ruler -[family of (parent)]-- Beta Rulerova"


def _reference_build(ds, compact: bool) -> nx.MultiDiGraph:  # type: ignore[no-untyped-def]
    """The graph as `build` made it with networkx's public API, one add_edge per relation."""
    from tracker.graph import _EDGE_ALWAYS, _EDGE_FIELDS, _plain
    from tracker.model import load_model

    model = load_model()
    H = nx.MultiDiGraph()
    for eid in sorted(ds.entities):
        H.add_node(eid)
    refs: dict[str, list[str]] = {}
    for rid in sorted(ds.relations):
        for ref in ds.relations[rid].refers_to:
            refs.setdefault(ref, []).append(rid)
    for rid in sorted(ds.relations):
        rel = ds.relations[rid]
        kind = model.relation_kinds[rel.kind]
        attrs = _plain(rel, _EDGE_FIELDS, _EDGE_ALWAYS if compact else None)
        attrs.update(label=kind.label, directed=kind.directed, ownership=kind.ownership)
        if refs.get(rid) or not compact:
            attrs["referred_by"] = refs.get(rid, [])
        H.add_edge(rel.source, rel.target, key=rid, **attrs)
    return H


def _edges(G: nx.MultiDiGraph) -> list[tuple[str, str, str, list[tuple[str, object]]]]:
    return [(u, v, k, list(d.items())) for u, v, k, d in G.edges(keys=True, data=True)]


def test_build_fills_the_adjacency_as_add_edge_does() -> None:
    # build writes edges straight into the adjacency (speed); the result must be the graph that
    # add_edge makes: same edges, same attribute order, predecessors shared with successors.
    from dataclasses import replace

    from conftest import MINI_PATH

    from tracker.dataset import load
    from tracker.graph import build

    ds = load([MINI_PATH])
    for compact in (False, True):
        G, H = build(ds, compact=compact), _reference_build(ds, compact)
        assert _edges(G) == _edges(H)
        assert [list(G.pred[n].items()) == list(H.pred[n].items()) for n in H] == [True] * len(H)
        assert all(G._succ[u][v] is G._pred[v][u] for u, v in G.edges())  # one key dict per pair, as add_edge makes
    compact = build(ds, compact=True)
    r05 = compact.edges["gamma-soninlaw", "delta-holdings", "r05"]
    assert list(r05)[:4] == ["kind", "sources", "evidence", "dataset"] and "amount" not in r05
    # A relation whose end is not an entity (validation rules it out) still adds the node.
    rel = replace(ds.relations["r05"], id="r99", target="nowhere")
    ds.relations["r99"] = rel
    G = build(ds, compact=True)
    assert G.has_edge("gamma-soninlaw", "nowhere", "r99") and G.nodes["nowhere"] == {}


def test_build_and_load_leave_the_garbage_collector_as_they_found_it() -> None:
    import gc

    from conftest import MINI_PATH

    from tracker.dataset import gc_paused, load
    from tracker.graph import build

    assert gc.isenabled()
    build(load([MINI_PATH]))
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # a caller that paused it keeps it paused
    finally:
        gc.enable()
