"""Metrics against networkx computed independently, Padgett's Florentine families, brokers, jurisdictions."""

from __future__ import annotations

import networkx as nx
import pytest

from tests.conftest import FIXTURES_PATH
from tracker.cli.analysis import METRIC_NAMES
from tracker.dataset import load
from tracker.graph import build
from tracker.jurisdictions import jurisdiction_exposure
from tracker.metrics import METRICS, brokerage_roles, brokers, centrality, communities, eigenvector_by_component

OWNERSHIP_PATH = FIXTURES_PATH / "analysis" / "ownership"


def as_canonical(H: nx.Graph, kind: str = "family") -> nx.MultiDiGraph:
    """A simple graph as a canonical MultiDiGraph: one relation per edge, canonical attributes."""
    G = nx.MultiDiGraph(name="test", content_hash="h", data_date="2020", sources={})
    directed = H.is_directed()
    for n in sorted(H.nodes):
        G.add_node(n, name=str(n), kind="person", sphere="elite", aliases=[], country="")
    for i, (u, v) in enumerate(sorted(H.edges())):
        G.add_edge(u, v, key=f"r{i:03d}", kind=kind, label=kind, directed=directed, ownership=False, sources=[])
    return G


@pytest.fixture(scope="module")
def florentine() -> nx.MultiDiGraph:
    return as_canonical(nx.florentine_families_graph())


def test_registry_matches_cli_choices() -> None:
    assert tuple(METRICS) == METRIC_NAMES


def test_florentine_medici(florentine: nx.MultiDiGraph) -> None:
    df = centrality(florentine, ["betweenness", "degree"])
    assert df.index[0] == "Medici"
    assert df.loc["Medici", "betweenness"] == pytest.approx(0.5219780, abs=1e-6)
    assert df.loc["Medici", "degree"] == 6
    assert df.loc["Medici", "neighbours"] == 6
    assert df.loc["Medici", "degree_centrality"] == pytest.approx(6 / 14)
    # Family ties are undirected: neither in nor out.
    assert df.loc["Medici", "in_degree"] == 0 and df.loc["Medici", "out_degree"] == 0
    assert df.attrs["betweenness_method"] == "exact"
    assert df.loc["Guadagni", "betweenness"] == pytest.approx(0.2545788, abs=1e-6)


def test_florentine_against_networkx(florentine: nx.MultiDiGraph) -> None:
    F = nx.florentine_families_graph()
    df = centrality(florentine)
    expected = {
        "betweenness": nx.betweenness_centrality(F),
        "pagerank": nx.pagerank(F, tol=1e-12),
        "eigenvector": nx.eigenvector_centrality(F, tol=1e-12, max_iter=10000),
        "closeness": nx.closeness_centrality(F),
        "harmonic": {k: v / 14 for k, v in nx.harmonic_centrality(F).items()},
    }
    for col, values in expected.items():
        for node, value in values.items():
            assert df.loc[node, col] == pytest.approx(value, abs=1e-6), (col, node)
    assert df.loc["Medici", "eigenvector"] == pytest.approx(0.43031, abs=1e-4)


def test_sort_is_score_then_id() -> None:
    H = nx.Graph([("b", "x"), ("a", "y"), ("c", "z")])
    df = centrality(as_canonical(H), ["degree"])
    assert list(df.index) == ["a", "b", "c", "x", "y", "z"]


def test_directed_degree_and_pagerank_direction() -> None:
    D = nx.DiGraph([("owner", "co1"), ("owner", "co2"), ("bank", "co1")])
    G = as_canonical(D, kind="owns")
    df = centrality(G, ["pagerank", "degree"])
    assert df.loc["owner", "out_degree"] == 2 and df.loc["owner", "in_degree"] == 0
    assert df.loc["co1", "in_degree"] == 2
    # Edges point at the object, so the owned company ranks first.
    assert df.index[0] == "co1"
    ref = nx.pagerank(nx.DiGraph(D), tol=1e-12)
    assert df.loc["co1", "pagerank"] == pytest.approx(ref["co1"], abs=1e-8)
    assert "edges point from" in df.attrs["notes"]["pagerank"]


def test_parallel_relations_weight_degree_not_neighbours() -> None:
    G = as_canonical(nx.DiGraph([("a", "b")]), kind="owns")
    G.add_edge("a", "b", key="extra", kind="controls", directed=True)
    df = centrality(G, ["degree"])
    assert df.loc["a", "degree"] == 2 and df.loc["a", "neighbours"] == 1


def test_sampled_betweenness_is_stated_and_deterministic() -> None:
    G = as_canonical(nx.path_graph(30))
    a = centrality(G, ["betweenness"], betweenness_exact_max=10, betweenness_k=8)
    b = centrality(G, ["betweenness"], betweenness_exact_max=10, betweenness_k=8)
    assert a.attrs["betweenness_method"] == "sampled" and a.attrs["betweenness_k"] == 8
    assert "k=8" in a.attrs["notes"]["betweenness"]
    assert a["betweenness"].tolist() == b["betweenness"].tolist()


def test_eigenvector_per_component() -> None:
    H = nx.Graph([("a", "b"), ("b", "c"), ("x", "y")])
    H.add_node("lonely")
    ev = eigenvector_by_component(H)
    assert ev["lonely"] == 0.0
    assert ev["x"] == pytest.approx(ev["y"])
    assert sum(v * v for v in ev.values()) == pytest.approx(5 / 6)
    path = nx.eigenvector_centrality(nx.path_graph(["a", "b", "c"]))
    assert ev["b"] / ev["a"] == pytest.approx(path["b"] / path["a"], rel=1e-6)


def test_communities_are_numbered_by_size_then_id() -> None:
    H = nx.Graph([("z1", "z2"), ("a", "b"), ("b", "c"), ("a", "c")])
    assert [sorted(c) for c in communities(H)] == [["a", "b", "c"], ["z1", "z2"]]
    df = centrality(as_canonical(H), ["community"])
    assert df.loc["a", "community"] == 1 and df.loc["z2", "community"] == 2
    assert df.loc["z2", "community_size"] == 2


def test_unknown_metric() -> None:
    with pytest.raises(ValueError, match="unknown metric 'nope'"):
        centrality(as_canonical(nx.path_graph(2)), ["nope"])


def test_brokerage_roles_all_five() -> None:
    groups = {"a1": "A", "a2": "A", "a3": "A", "b1": "B", "c1": "C"}
    D = nx.DiGraph([("a1", "a2"), ("a2", "a3")])  # coordinator a2
    assert brokerage_roles(D, groups)["a2"]["coordinator"] == 1
    D = nx.DiGraph([("a1", "b1"), ("b1", "a2")])  # itinerant b1
    assert brokerage_roles(D, groups)["b1"]["itinerant"] == 1
    D = nx.DiGraph([("a1", "a2"), ("a2", "b1")])  # representative a2
    assert brokerage_roles(D, groups)["a2"]["representative"] == 1
    D = nx.DiGraph([("b1", "a1"), ("a1", "a2")])  # gatekeeper a1
    assert brokerage_roles(D, groups)["a1"]["gatekeeper"] == 1
    D = nx.DiGraph([("a1", "b1"), ("b1", "c1")])  # liaison b1
    assert brokerage_roles(D, groups)["b1"]["liaison"] == 1
    # A direct tie a -> c means b brokers nothing.
    D = nx.DiGraph([("a1", "b1"), ("b1", "c1"), ("a1", "c1")])
    assert sum(brokerage_roles(D, groups)["b1"].values()) == 0


def test_brokers_on_mini(mini_graph: nx.MultiDiGraph) -> None:
    df = brokers(mini_graph)
    assert df.index[0] == "beta-daughter"
    assert df.loc["beta-daughter", "subset_betweenness"] == pytest.approx(9.0)
    assert df.loc["theta-foundation", "subset_betweenness"] == pytest.approx(3.0)
    assert int(df.loc["beta-daughter", "brokerage"]) == 7
    # Claims and registrations are not channels: the index and the jurisdictions broker nothing.
    assert df.loc["lambda-ngo", "subset_betweenness"] == 0 and df.loc["vg", "brokerage"] == 0


def test_brokers_subset_betweenness_counts_pairs() -> None:
    G = as_canonical(nx.DiGraph([("ruler", "co"), ("bank", "co")]), kind="owns")
    G.nodes["bank"]["sphere"] = "london_finance"
    G.nodes["co"]["sphere"] = "company"
    df = brokers(G)
    assert df.loc["co", "subset_betweenness"] == pytest.approx(1.0)
    assert df.loc["co", "gatekeeper"] == 0  # ruler -> co <- bank is not a two-step path


def test_jurisdictions_on_mini(mini_graph: nx.MultiDiGraph) -> None:
    df = jurisdiction_exposure(mini_graph)
    assert list(df.index) == ["vg", "pa"]
    assert df.loc["vg", "secrecy_score"] == 70.5 and df.loc["vg", "secrecy_relation"] == "r14"
    assert df.loc["vg", "relations"] == 4  # r05, r06, r09, r17 touch delta-holdings
    assert df.loc["vg", "exposure"] == pytest.approx(0.705 * 4)
    assert df.loc["pa", "paths_through"] == 3
    assert df.attrs["paths_total"] == 9


def test_jurisdictions_fixture_and_sampling() -> None:
    G = build(load([OWNERSHIP_PATH]))
    df = jurisdiction_exposure(G)
    assert df.loc["ky", "registered"] == 2
    # Non-person entities with country ky count too (the circle, the joint vehicle).
    assert df.loc["ky", "entities"] == 5
    sampled = jurisdiction_exposure(G, max_sources=2)
    assert sampled.attrs["sources_used"] == 2 and "sample of 2" in sampled.attrs["notes"]["paths_through"]


def test_a_jurisdiction_without_a_country_code_still_counts_what_is_registered_there(mini_graph: nx.MultiDiGraph) -> None:
    G = mini_graph.copy()
    G.nodes["vg"]["country"] = ""  # e.g. a sub-national registry with no ISO code
    df = jurisdiction_exposure(G)
    # delta-holdings is registered in vg (r09); r05, r06, r09 and r17 touch it.
    assert df.loc["vg", "registered"] == 1
    assert df.loc["vg", "entities"] == 1
    assert df.loc["vg", "relations"] == 4
    assert df.loc["vg", "exposure"] == pytest.approx(0.705 * 4)


def test_unscored_jurisdiction_has_unknown_exposure(mini_graph: nx.MultiDiGraph) -> None:
    G = mini_graph
    G.remove_edge("vg", "lambda-ngo", key="r14")
    df = jurisdiction_exposure(G)
    assert df.loc["vg", "exposure"] is None and df.index[-1] == "vg"


_HARMONIC_IN_A_PROCESS = """
import networkx as nx
from tests.test_metrics import as_canonical
from tracker.metrics import centrality
H = nx.Graph([("a", "b"), ("b", "c"), ("c", "d"), ("b", "e"), ("a", "f")])
c = centrality(as_canonical(H), engine="networkx")
print(repr(float(c.loc["a", "harmonic"])), repr(float(c.loc["c", "harmonic"])))
"""


def test_harmonic_is_the_same_float_in_any_process() -> None:
    """The build computes harmonic in a second process at scale: its values must not follow the
    process's string hash seed, or tied entities swap places between two builds of the same data.

    By hand: a and c each reach two nodes at distance 1, two at 2 and one at 3 (10/3); the exact
    sum of the floats 1, 1, 0.5, 0.5 and 1/3 is 3.3333333333333335, divided by 5 other nodes."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    seen = set()
    for seed in ("0", "1", "2", "3", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", _HARMONIC_IN_A_PROCESS], cwd=root, env=env, capture_output=True, text=True, check=True)
        seen.add(out.stdout.strip())
    assert seen == {"0.6666666666666667 0.6666666666666667"}
