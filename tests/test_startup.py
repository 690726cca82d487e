"""What `neighbours`, `chains` and `view` cost to start, and that the faster ways give the same answers.

Issue 12 measures whole processes against a DuckDB reference process: at 2M entities most of a
query command's time was starting up (pandas, scipy, pyarrow, pyvis and IPython imported for a
few dozen entities) and reading whole records more than once. These tests pin what was cut:

- the query commands on a store import none of those modules (checked in a fresh process);
- the view's PageRank without scipy is networkx's, bit for bit, and its sizes are the table's;
- the vis options written out in `tracker.views` are pyvis's own;
- the DuckDB backend's one-read extract gives the records `Store.dataset` gives, and the hubs
  `Store.walkable` names;
- and each command's output on the store is the in-memory reference's, byte for byte.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from tracker import metrics

ROOT = Path(__file__).resolve().parent.parent
DATASETS = ROOT / "datasets"
# Modules a query command on the store never needs: tables (pandas), sparse algebra (scipy),
# Arrow (the extract is fetched as rows), pyvis and what its import pulls in, numpy.ma (`np.unique`),
# rigour (the store holds the skeletons of names in other scripts; the page's letter table is a file).
HEAVY = ("pandas", "scipy", "pyarrow", "pyvis", "IPython", "jsonpickle", "numpy.ma", "rigour")

COMMANDS = {
    "neighbours": ["neighbours", "timur-kulibayev", "--depth", "2", "--format", "json"],
    "neighbours-text": ["neighbours", "dariga-nazarbayeva", "--depth", "2", "--format", "text"],
    "chains": ["chains", "32-denewood-road", "--up", "--format", "json"],
    "chains-down": ["chains", "dariga-nazarbayeva", "--down", "--format", "text"],
}


@pytest.fixture(scope="module")
def store_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose TRACKER_STORE holds the curated data's compiled store."""
    env = {**os.environ, "TRACKER_STORE": str(tmp_path_factory.mktemp("startup-stores")), "SOURCE_DATE_EPOCH": "1700000000"}
    done = subprocess.run(
        [sys.executable, "-m", "tracker", "store", "compile", "--data", str(DATASETS)], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    return env


def _run(env: dict[str, str], args: list[str], watch: tuple[str, ...] = HEAVY) -> tuple[bytes, list[str]]:
    """Run the CLI in a fresh process; its stdout and the modules of `watch` it imported."""
    code = (
        "import sys\n"
        "from tracker.cli import cli\n"
        "try:\n"
        "    cli(sys.argv[1:], standalone_mode=False)\n"
        "finally:\n"
        f"    print(sorted(m for m in {watch!r} if m in sys.modules), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, check=False, cwd=ROOT)
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout, json.loads(done.stderr.decode().strip().splitlines()[-1].replace("'", '"'))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_store_query_imports_nothing_heavy_and_answers_as_in_memory(store_env: dict[str, str], name: str) -> None:
    args = [*COMMANDS[name], "--data", str(DATASETS)]
    # neighbours and chains need no array either (the extract is cut out with lists), nor a name index.
    on_store, imported = _run(store_env, [*args, "--engine", "duckdb"], (*HEAVY, "numpy", "rapidfuzz", "yaml"))
    assert imported == []
    in_memory, _ = _run(store_env, [*args, "--engine", "networkx"])
    assert on_store == in_memory
    assert len(on_store) > 200  # an answer, not an empty list


def test_view_on_store_imports_nothing_heavy_and_draws_the_in_memory_page(store_env: dict[str, str], tmp_path: Path) -> None:
    pages = {}
    for engine in ("duckdb", "networkx"):
        out = tmp_path / f"{engine}.html"
        args = ["view", "--data", str(DATASETS), "--focus", "timur-kulibayev", "--depth", "2", "-o", str(out), "--engine", engine]
        _, imported = _run(store_env, args, (*HEAVY, "numpy", "jinja2", "rapidfuzz", "yaml"))
        if engine == "duckdb":
            # no numpy either (PageRank in plain Python, igraph asked not to look for it), nor Jinja,
            # nor rapidfuzz (the page's search keys fold names, they compare none)
            assert imported == []
        pages[engine] = out.read_bytes()
    assert pages["duckdb"] == pages["networkx"]
    assert b"timur-kulibayev" in pages["duckdb"]


def _random_digraph(rng: random.Random, n: int, m: int) -> nx.DiGraph:
    H = nx.DiGraph()
    H.add_nodes_from(sorted(f"n{rng.randrange(10**6):06d}" for _ in range(n)))
    ids = list(H)
    for _ in range(m):  # self-loops, dangling and isolated nodes included
        H.add_edge(rng.choice(ids), rng.choice(ids), weight=rng.randint(1, 4))
    return H


@pytest.mark.parametrize("seed", range(6))
def test_pagerank_without_scipy_is_networkx_bit_for_bit(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(25):
        n = rng.randint(1, 400)
        H = _random_digraph(rng, n, rng.randint(0, 4 * n))
        want = nx.pagerank(H, alpha=0.85, weight="weight", tol=1e-10, max_iter=1000)  # networkx's scipy iteration
        got = metrics.pagerank_networkx(H, alpha=0.85, weight="weight", tol=1e-10, max_iter=1000)
        assert list(got.items()) == list(want.items())
        # And in plain Python (the view's), from the sorted (row, column, weight) entries.
        pos = {x: i for i, x in enumerate(H)}
        entries = sorted((pos[u], pos[v], d["weight"]) for u, v, d in H.edges(data=True))
        assert metrics._pagerank_python(len(pos), entries) == list(want.values())


def test_numpy_sum_is_numpy_sum() -> None:
    rng = random.Random(7)
    for n in [*range(0, 40), 127, 128, 129, 255, 256, 257, 1000, 4099]:
        values = [rng.random() * 10 ** rng.randint(-9, 3) for _ in range(n)]
        assert metrics._numpy_sum(values) == float(np.asarray(values, dtype=float).sum())


def test_pagerank_without_scipy_gives_up_as_networkx_does() -> None:
    H = nx.DiGraph([("a", "b"), ("b", "a"), ("b", "c")])
    with pytest.raises(nx.PowerIterationFailedConvergence):
        nx.pagerank(H, tol=1e-30, max_iter=5)
    with pytest.raises(nx.PowerIterationFailedConvergence):
        metrics.pagerank_networkx(H, tol=1e-30, max_iter=5)
    assert metrics.pagerank_networkx(nx.DiGraph()) == {}


def test_view_sizes_are_the_centrality_table(mini_graph: nx.MultiDiGraph) -> None:
    for G in (mini_graph, _canonical(nx.florentine_families_graph())):
        for metric in ("pagerank", "betweenness", "degree"):
            column = metrics.centrality(G, [metric])[metric]
            want = [(str(k), float(v)) for k, v in column.items()]
            assert [(str(k), v) for k, v in metrics.scores(G, metric).items()] == want


def test_scores_order_literal() -> None:
    # Worked out by hand: b has three relations, the others one each; ties by id.
    G = nx.MultiDiGraph([("a", "b"), ("c", "b"), ("b", "d")])
    assert list(metrics.scores(G, "degree").items()) == [("b", 3.0), ("a", 1.0), ("c", 1.0), ("d", 1.0)]


def _canonical(H: nx.Graph) -> nx.MultiDiGraph:
    G = nx.MultiDiGraph(name="t", content_hash="h", data_date="2020", sources={})
    for n in sorted(H.nodes):
        G.add_node(n, name=str(n), kind="person", sphere="elite")
    for i, (u, v) in enumerate(sorted(H.edges())):
        G.add_edge(u, v, key=f"r{i:03d}", kind="family", label="family", directed=False, ownership=False, sources=[])
    return G


def test_fold_map_file_is_rigour_table() -> None:
    from tracker.views import _fold_map, _fold_map_from_rigour

    table = _fold_map()
    assert table == _fold_map_from_rigour()
    assert table["Қ"] == "q" and table["Ё"] == "yo" and len(table) > 500


def test_view_page_keys_from_store_are_the_computed_ones(store_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.cli.engines import open_graphs
    from tracker.names import skeleton

    monkeypatch.setenv("TRACKER_STORE", store_env["TRACKER_STORE"])
    graphs = open_graphs([DATASETS], "duckdb")
    try:
        G, _ = graphs.around(["timur-kulibayev"], 1)
        keys = graphs.name_keys(G)
    finally:
        graphs.close()
    assert keys == {text: skeleton(text) for text in keys}
    assert keys["Тимур Құлыбаев"] == skeleton("Timur Kulibayev")
    # Only entities with a name in another script are read: none of these has one.
    ascii_only = [n for n, d in G.nodes(data=True) if all(str(t).isascii() for t in (d["name"], *d.get("aliases", ())))]
    assert ascii_only and not {G.nodes[n]["name"] for n in ascii_only} & set(keys)


@pytest.mark.parametrize("physics", [True, False])
def test_vis_options_are_pyvis_own(physics: bool) -> None:
    from pyvis.network import Network

    from tracker.views import _pyvis_options

    net = Network(height="100%", width="100%", directed=True, heading="t", cdn_resources="remote")
    net.barnes_hut(gravity=-9000, central_gravity=0.35, spring_length=170, spring_strength=0.03, damping=0.35, overlap=0.4)
    net.toggle_physics(physics)
    assert _pyvis_options(physics) == json.loads(net.options.to_json())


def test_duckdb_extract_reads_what_the_store_reads(store_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.backends.duckdb import DuckDBBackend
    from tracker.graph import HUB_RELATIONS, NOT_TRAVERSED
    from tracker.store import open_store

    monkeypatch.setenv("TRACKER_STORE", store_env["TRACKER_STORE"])
    store = open_store([DATASETS])
    backend = DuckDBBackend(store)
    try:
        n, r = store.entity_count, store.relation_count
        nodes = np.arange(0, n, 3, dtype=np.int64)
        rels = np.arange(1, r, 4, dtype=np.int64)
        dataset, hubs = backend.extract_dataset(nodes, rels, 2, NOT_TRAVERSED)
        want = store.dataset(nodes, rels)
        assert dataset == want and len(dataset.entities) == len(nodes) and dataset.sources
        walkable = store.walkable(2, NOT_TRAVERSED)
        assert hubs == store.ids_of(nodes[~walkable[nodes]]) and hubs
        assert backend.ids_of(nodes[::-1]) == store.ids_of(nodes[::-1])
        assert backend.lookup_ids(["timur-kulibayev", "nobody"]) == {"timur-kulibayev": store.ids().index("timur-kulibayev")}
        _, none = backend.extract_dataset(nodes, rels, HUB_RELATIONS, ())
        assert none == []
    finally:
        backend.close()


@pytest.mark.parametrize("direction", ["in", "out", "both"])
def test_relation_walk_reads_the_same_with_and_without_literal_rows(
    store_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, direction: str
) -> None:
    """An ownership walk names the relations touching its frontier by literals (few row groups
    read) up to `_LITERALS` of them, and scans the relations table above: the same walk."""
    from tracker.backends import duckdb as backend_module
    from tracker.store import open_store

    monkeypatch.setenv("TRACKER_STORE", store_env["TRACKER_STORE"])
    store = open_store([DATASETS])
    backend = backend_module.DuckDBBackend(store)
    try:
        seeds = sorted(backend.lookup_ids(["samruk-kazyna", "32-denewood-road", "dariga-nazarbayeva"]).values())
        walks = {}
        usual = backend_module._LITERALS
        for most in (usual, 0):
            monkeypatch.setattr(backend_module, "_LITERALS", most)
            for ownership in (True, False):
                nodes, dist = backend.walk(seeds, 6, direction, ownership, None, [])
                walks[most, ownership] = (nodes.tolist(), dist.tolist())
    finally:
        backend.close()
    for ownership in (True, False):
        assert walks[usual, ownership] == walks[0, ownership]
        assert len(walks[0, ownership][0]) > len(seeds)


def test_plain_extract_is_the_array_extract(store_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Neighbourhoods and chains cut out with lists (no numpy) hold what the array path holds."""
    from tracker import query
    from tracker.backends.duckdb import DuckDBBackend
    from tracker.store import open_store

    monkeypatch.setenv("TRACKER_STORE", store_env["TRACKER_STORE"])
    store = open_store([DATASETS])
    backend = DuckDBBackend(store)
    try:
        seeds = backend.lookup_ids(["timur-kulibayev", "samruk-kazyna", "32-denewood-road"])
        checked = 0
        for seed in seeds.values():
            for direction, ownership, cap in (("both", False, query.HUB_RELATIONS), ("in", True, None), ("out", True, None)):
                dist = query._walk_rows(backend, [seed], 3, direction, ownership, cap)
                want = query.walk(backend, [seed], 3, direction=direction, ownership_only=ownership, hub_relations=cap)
                assert dist == want
                plain, arrays = query._extract_plain(backend, dist), query._extract(backend, want, want)
                assert plain.core_nodes == arrays.core_nodes.tolist()
                assert plain.core_relations == arrays.core_relations.tolist()
                assert plain.context_relations == arrays.context_relations.tolist()
                assert plain.distances == arrays.distances and plain.core == arrays.core
                G, H = plain.graph, arrays.graph
                assert list(G.nodes(data=True)) == list(H.nodes(data=True))
                assert list(G.edges(keys=True, data=True)) == list(H.edges(keys=True, data=True))
                assert G.graph == H.graph
                checked += len(plain.core_relations)
        assert checked > 20
    finally:
        backend.close()


def test_layout_without_numpy_is_the_layout(tmp_path: Path) -> None:
    from tracker.engine import layout

    G = nx.les_miserables_graph()
    code = (
        "import json, sys\n"
        "import networkx as nx\n"
        "from tracker.engine import layout\n"
        "pos = layout(nx.les_miserables_graph())\n"
        "print(json.dumps({'numpy': 'numpy' in sys.modules, 'pos': sorted(pos.items())}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    out = json.loads(done.stdout)
    assert out["numpy"] is False
    assert [tuple(p) for _, p in out["pos"]] == [tuple(p) for _, p in sorted(layout(G).items())]
    assert "numpy" in sys.modules  # here it was loaded: the other branch


def test_path_on_store_imports_no_arrow_or_pandas_and_answers_as_in_memory(store_env: dict[str, str]) -> None:
    """`path` counts its paths on the region's edge list fetched as numpy columns and names them
    through the backend: Arrow out of DuckDB would import pyarrow and pandas (a third of a second)."""
    args = ["path", "timur-kulibayev", "dariga-nazarbayeva", "-k", "3", "--format", "json", "--data", str(DATASETS)]
    on_store, imported = _run(store_env, [*args, "--engine", "duckdb"], HEAVY)
    assert imported == []
    in_memory, _ = _run(store_env, [*args, "--engine", "networkx"])
    assert on_store == in_memory
    assert json.loads(on_store)["paths"]  # a path, not "no path"


class _Counting:
    """A DuckDB connection that counts the statements naming a table."""

    def __init__(self, con: object, table: str) -> None:
        self.con, self.table, self.count = con, table, 0

    def execute(self, sql: str, params: object = None) -> object:
        if f"FROM {self.table} " in f"{sql} " or f"FROM {self.table}\n" in sql:
            self.count += 1
        return self.con.execute(sql, params or [])  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self.con, name)


@pytest.mark.parametrize(("seed", "statements"), [("timur-kulibayev", 1), ("samruk-kazyna", 2)])
def test_extract_reads_the_relations_file_once(
    store_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, seed: str, statements: int
) -> None:
    """A neighbourhood's relations are found and read in one statement, and the relations that
    answer them (with their ends) in a second when there are any (`plain` keeps the rows; at 10M
    every statement on that file costs a fifth of a second); the records are those
    `Store.dataset` reads."""
    from tracker import query
    from tracker.backends.duckdb import DuckDBBackend
    from tracker.store import open_store

    monkeypatch.setenv("TRACKER_STORE", store_env["TRACKER_STORE"])
    store = open_store([DATASETS])
    backend = DuckDBBackend(store)
    counting = _Counting(backend.con, "relations")
    backend.con = counting
    try:
        ex = query.neighbourhood(backend, [seed], 2)
        G = ex.graph
        assert counting.count == statements
        assert len(ex.core_relations) > 5 and bool(ex.context_relations) == (statements == 2)
        nodes = sorted(backend.lookup_ids(list(G.nodes)).values())
        rels = sorted({*ex.core_relations, *ex.context_relations})
        want = store.dataset(nodes, rels)  # Arrow, through the store's own reader
        got, _ = backend.extract_dataset(nodes, rels, query.HUB_RELATIONS, query.NOT_TRAVERSED)
        assert got == want and len(got.relations) == len(rels)
    finally:
        backend.con = counting.con
        backend.close()


_HOSTILE = ["", "plain", "<script>alert('x')</script>", 'a & b "quoted" > c', "Ü ñ — Қ", "{{ not a tag }}", "None"]


@pytest.mark.parametrize("seed", range(12))
def test_page_template_is_filled_as_jinja_fills_it(seed: int) -> None:
    """`views.render_template` on the page template gives Jinja's bytes (autoescape, `|safe`, `or`,
    if, for, a.b, the dropped final newline), with values that need escaping or are empty."""
    from jinja2 import Environment

    from tracker import views

    rng = random.Random(seed)
    source = views._asset("tracker", "templates/view.html")
    names = ["title", "caption", "csp", "vis_js", "vis_css", "view_js", "view_css", "data_json", "dataset", "content_hash"]
    context: dict[str, object] = {n: rng.choice(_HOSTILE) for n in names}
    context["title"] = _HOSTILE[2]  # escaped (not |safe): the escaping is exercised in every case
    context.update(
        data_date=rng.choice(["2021", "unknown", "<2021>"]),
        built_date=rng.choice(["", "2026-12-01", "<b>"]),
        counts={"entities": rng.randint(0, 9), "relations": rng.choice([0, 12, "<x>"]), "sources": 3},
        size_by=rng.choice(["pagerank", "degree"]),
        disclaimer=rng.choice(_HOSTILE),
        evidence=[(rng.choice(_HOSTILE), rng.choice(_HOSTILE)) for _ in range(rng.randint(0, 4))],
        vis_version=rng.choice(["9.1.2", "<&>"]),
    )
    want = Environment(autoescape=True).from_string(source).render(**context)
    assert views.render_template(source, **context) == want
    assert "<title>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</title>" in want


def test_page_template_construct_unknown_to_the_filler_is_refused() -> None:
    from tracker import views
    from tracker.exc import TrackerError

    assert views.render_template(
        "a{{ x|safe }}b{{ y }}{% for p, q in z %}[{{ p }}{{ q.real }}]{% endfor %}\n", x="<", y="<", z=[(1, 2)]
    ) == ("a<b&lt;[12]")
    for bad in ("{{ x|upper }}", "{% if x %}no end", "{% set x = 1 %}", "{{ x + 1 }}"):
        with pytest.raises(TrackerError):
            views.render_template(bad, x="a")


def test_schema_json_is_the_parsed_schema_yaml() -> None:
    """`tracker/schema.json` (read instead of the YAML, so a query imports no PyYAML) is current."""
    from tracker import model

    shipped = (ROOT / "tracker" / model.SCHEMA_JSON).read_text(encoding="utf-8")
    assert shipped == model.schema_json_text(), "schema.yaml changed: run `python -m tracker.model` to rewrite tracker/schema.json"


def test_schema_json_is_read_only_for_the_yaml_it_was_made_from() -> None:
    import yaml

    from tracker import model

    raw = (ROOT / "tracker" / "schema.yaml").read_bytes()
    parsed = yaml.safe_load(raw.decode("utf-8"))
    assert model._parsed_schema(raw) == parsed and parsed["relation_kinds"]
    assert model._parsed_schema(raw + b"\n# edited\n") is None  # the YAML is read then
    assert model.parse_model(parsed) == model.load_model()
