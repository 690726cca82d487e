"""The main job behind `tracker build`: data in, every output of the build out.

Load and validate the dataset folders (refusing to build on errors), build the canonical graph,
then hand it to each writer: the graph exports and tables (`tracker.export`), the analysis
tables and report (`tracker.report`) and the network view (`tracker.views`). Every writer
writes atomically, so an interrupted build leaves the previous outputs whole.

A large dataset builds in bounded time and memory: above the view cap the full-graph page is
skipped (the summary suggests `tracker view --focus`); above
`tracker.export.BUILD_GRAPH_FILES_MAX_RELATIONS` relations graph.graphml and graph.json are left
out (the summary gives the `tracker export` command that writes them) while the CSV tables
stream row by row; and what the analysis samples instead of computing exactly (betweenness,
closeness) is listed under "skipped" in the summary.

Above `tracker.query.STORE_ABOVE_BYTES` of relations the build never holds the data in Python
records or a networkx graph (at 2M ICIJ nodes that took 400 s to read and 14 GB): it opens the
compiled store (compiling it when missing or stale, which validates the data once and refuses
to build on errors, with the same messages), streams the CSV tables from its Parquet tables
(`tracker.export.store`), and computes the reports from its relation table as numpy arrays
(`tracker.storegraph`). The files are byte for byte those the in-memory path writes.
"""

from __future__ import annotations

import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tracker.dataset import load
from tracker.exc import TrackerError, ViewTooLarge
from tracker.graph import build
from tracker.output import check_not_input, protect

__all__ = ["BuildResult", "run_build", "scale_notes"]

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    """What a build read and wrote, for the summary on stderr.

    `graph` is the networkx graph of the data, or on large data the `tracker.storegraph.StoreGraph`
    of its store; `counts` (entities by kind, by sphere, relations by kind) is set by the store
    path, and otherwise counted from the graph.
    """

    graph: Any
    out: Path
    files: list[Path] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    warnings: int = 0
    seconds: float = 0.0
    store: Path | None = None
    counts: tuple[dict[str, int], dict[str, int], dict[str, int]] | None = None

    def summary(self) -> list[str]:
        G = self.graph
        if self.counts is not None:
            kinds, spheres, rels = (Counter(c) for c in self.counts)
        else:
            kinds = Counter(d.get("kind") for _, d in G.nodes(data=True))
            spheres = Counter(d.get("sphere") for _, d in G.nodes(data=True))
            rels = Counter(d.get("kind") for _, _, d in G.edges(data=True))
        lines = [
            f"built {G.graph.get('name', '')}: {G.number_of_nodes()} entities, {G.number_of_edges()} relations, "
            f"{len(G.graph.get('sources', {}))} sources ({self.warnings} warnings)",
            "  entities by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())),
            "  entities by sphere: " + ", ".join(f"{k} {n}" for k, n in sorted(spheres.items())),
            "  relations by kind: " + ", ".join(f"{k} {n}" for k, n in sorted(rels.items())),
        ]
        lines += [f"  skipped: {s}" for s in self.skipped]
        if self.store is not None:
            lines.append(f"  store: {self.store} (queries on this data read it; `tracker store clear` deletes it)")
        lines.append(f"wrote {len(self.files)} files to {self.out}/ in {self.seconds:.1f}s:")
        lines += [f"  {p.name}" for p in self.files]
        return lines


def scale_notes(n: int) -> list[str]:
    """What the analysis does not compute exactly on a graph of `n` entities, for the summary.

    Examples
    --------
    >>> scale_notes(214)
    []
    >>> scale_notes(80_000)[0]
    'exact betweenness (O(nodes x edges)): sampled from k=500 source entities, seed 42, on igraph'
    """
    from tracker.metrics import plan

    p = plan(n)
    notes = []
    if p["betweenness_k"] is not None:
        notes.append(
            f"exact betweenness (O(nodes x edges)): sampled from k={p['betweenness_k']} source entities, seed {p['seed']}, on {p['engine']}"
        )
    if p["closeness_k"] is not None:
        notes.append(
            f"closeness and harmonic for every entity: computed for a fixed-seed sample of {p['closeness_k']} entities "
            "only (empty for the others in centrality.csv)"
        )
    if p["community"] == "leiden":
        from tracker.engine import LEIDEN_ITERATIONS
        from tracker.metrics import LEIDEN_ABOVE

        notes.append(
            f"Louvain communities above {LEIDEN_ABOVE:,} entities: Leiden instead (modularity, {LEIDEN_ITERATIONS} iterations, "
            f"seed {p['seed']}, on {p['engine']})"
        )
    return notes


def run_build(data: Sequence[Path], out: Path, view: bool = True, say: Callable[[str], None] | None = None) -> BuildResult:
    """Run the whole build; raises `InvalidData` on validation errors, before writing anything.

    Data above `tracker.query.STORE_ABOVE_BYTES` of relations builds from the compiled store
    (`build_on_store`), smaller data in memory; both write the same bytes for the same data.
    `say` receives the store's one line when it is (re)compiled, which can take minutes.
    """
    from tracker.dataset import default_data_dir
    from tracker.query import STORE_ABOVE_BYTES, relations_bytes

    if relations_bytes(list(data) or [default_data_dir()]) > STORE_ABOVE_BYTES:
        return build_on_store(data, out, view, say)
    from tracker.export import build_export_skips, write_build_exports
    from tracker.report import write_build_reports

    started = time.perf_counter()
    dataset = load(list(data) or None)
    protect(dataset.roots)
    out = Path(out)
    check_not_input(out)  # an output folder inside an input dataset would change the data
    G = build(dataset)
    result = BuildResult(G, out, warnings=len(dataset.warnings))
    log.info("graph built: %d nodes, %d edges", G.number_of_nodes(), G.number_of_edges())
    result.files += write_build_exports(G, out)
    result.skipped += build_export_skips(G)
    network = _network(G, G.number_of_nodes(), view)
    result.files += write_build_reports(G, out, view=network.page is not None, no_view=network.refused)
    result.skipped += scale_notes(G.number_of_nodes())
    _write_network(result, network, out)
    result.seconds = time.perf_counter() - started
    return result


@dataclass
class _Network:
    """The whole graph's network.html: its text (`page`), rendered before the reports so that their
    names link into it only when it is written, or why it is not (`skipped`, the summary's line;
    `refused`, the view's own refusal, `ViewTooLarge`, which the report page then states)."""

    page: str | None = None
    skipped: str = ""
    refused: str = ""


def _network(G: Any, n: int, view: bool) -> _Network:
    """network.html of the whole graph `G` (of `n` entities; None when not held), or why it is left out."""
    from tracker.views import MAX_NODES

    if not view:
        return _Network(skipped="network.html (--no-view)")
    if n > MAX_NODES or G is None:
        # Refused before any work: the page would take minutes to open (issue 4).
        return _Network(skipped=_view_skip(n, MAX_NODES))
    from tracker.views import render_view

    try:
        return _Network(page=render_view(G, title=f"tracker: {G.graph.get('name', '')}"))
    except ViewTooLarge as exc:
        return _Network(skipped=f"network.html: {exc}", refused=str(exc))


def _write_network(result: BuildResult, network: _Network, out: Path) -> None:
    """Write the rendered network.html into `out` (after the reports, as before), or note why there is none."""
    if network.page is None:
        result.skipped.append(network.skipped)
    else:
        from tracker.output import write_text

        result.files.append(write_text(out / "network.html", network.page))


def _view_skip(n: int, cap: int) -> str:
    # Refused before any work: the page would take minutes to open (issue 4).
    return f"network.html: {n} entities is over the view cap of {cap}; draw a neighbourhood instead: tracker view --focus ENTITY --depth 2 -o view.html"


class _Stages:
    """Logs each stage of a build with its wall and CPU seconds and the process's peak memory so far (`-v`)."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def done(self, stage: str) -> None:
        import resource

        _give_back()
        wall, cpu = time.perf_counter(), time.process_time()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        log.info("build: %s: %.1f s wall, %.1f s CPU, peak %.0f MB so far", stage, wall - self.wall, cpu - self.cpu, peak)
        self.wall, self.cpu = wall, cpu


def _give_back() -> None:
    """Give the memory Arrow has freed back to the system, at the end of each stage of a build.

    pyarrow's allocator (mimalloc) keeps what a large read has freed for its next reads: about
    300 MB once the relation table of 2M ICIJ nodes is in numpy arrays, which then sat under the
    next stage's own memory (the metrics' graphs) in each of the build's processes.
    """
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


#: Between these many relations the build's CSV tables (nodes, edges, sources: 4.5 GB of text at
#: 2M ICIJ nodes, a quarter of the build's CPU) are written by a second process (about 1.2 GB:
#: DuckDB's limit and a slice of lines) while this one computes the metrics, so a build uses two
#: cores; otherwise in turn, in this process. Below, a second interpreter is not worth its start;
#: above, the metrics alone peak at about 13 GB (29.5 million relations), which leaves no room
#: for a second process under the 16 GB a build of 10M ICIJ nodes must fit in.
PARALLEL_CSV_MIN_RELATIONS = 1_000_000
PARALLEL_CSV_MAX_RELATIONS = 20_000_000


class _Child:
    """A child process running a function of this module on a job, beside the build's own process.

    Its answer (status, value or exception, stages) comes back pickled in a file of its own:
    anything a library prints on the child's stdout (DuckDB's progress bar did) cannot garble
    it. `wait` gives the value (and raises what the child raised, or a `TrackerError` when it
    died without answering: killed out of memory, crashed); `stop` ends a child still running
    (the build failed or was interrupted)."""

    def __init__(self, entry: str, job: dict[str, Any], what: str, name: str, label: str) -> None:
        import os
        import subprocess
        import sys
        import tempfile

        fd, self.answer = tempfile.mkstemp(prefix=f"tracker-{name}-", suffix=".pickle")
        os.close(fd)
        self.what, self.label = what, label
        # The child imports this very tracker package (not one its working folder may hold).
        here = str(Path(__file__).resolve().parent.parent)
        job = {**job, "answer": self.answer, "parent": os.getpid()}
        self.child: Any = subprocess.Popen([sys.executable, "-c", _CHILD_CODE, here, json.dumps(job), entry], stdout=subprocess.DEVNULL)

    def wait(self) -> Any:
        import pickle

        self.child.wait()
        child, self.child = self.child, None
        try:
            with open(self.answer, "rb") as fh:
                status, value, stages = pickle.load(fh)
        except Exception:  # noqa: BLE001 - killed (out of memory) or crashed before answering
            raise TrackerError(f"{self.what} failed: the child process ended with status {child.returncode}") from None
        finally:
            Path(self.answer).unlink(missing_ok=True)
        for stage, wall, cpu, peak in stages:
            log.info("build: %s (%s): %.1f s wall, %.1f s CPU, peak %.0f MB", stage, self.label, wall, cpu, peak)
        if status != "ok":
            raise value
        return value

    def stop(self) -> None:
        if self.child is not None:
            self.child.kill()
            self.child.wait()
            self.child = None
        Path(self.answer).unlink(missing_ok=True)


#: What a child process runs (sys.argv[1]: the folder holding this tracker package; [2]: the job;
#: [3]: the function of this module it runs).
_CHILD_CODE = "import sys; sys.path.insert(0, sys.argv[1]); import tracker.pipeline as p; getattr(p, sys.argv[3])()"


def _child_main(work: Callable[[dict[str, Any], Callable[[str], None]], Any], what: str) -> None:
    """A child process's side of `_Child`: run `work(job, done)`, answer (status, value or exception, stages) pickled into the job's file."""
    import os
    import pickle
    import resource
    import sys

    job = json.loads(sys.argv[2])
    parent = job.get("parent")  # (None: run in the caller's process, as tests do)
    if parent is not None and not _die_with_parent(parent):
        Path(job["answer"]).unlink(missing_ok=True)
        return
    stages: list[tuple[str, float, float, float]] = []
    clock = [time.perf_counter(), time.process_time()]

    def done(stage: str) -> None:
        _give_back()
        wall, cpu = time.perf_counter(), time.process_time()
        stages.append((stage, wall - clock[0], cpu - clock[1], resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))
        clock[:] = [wall, cpu]

    answer: tuple[str, Any, list[tuple[str, float, float, float]]]
    try:
        answer = ("ok", work(job, done), stages)
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
        answer = ("error", exc, stages)
    if parent is not None and os.getppid() != parent:  # the build is gone: no one reads an answer, leave no file
        Path(job["answer"]).unlink(missing_ok=True)
        return
    try:
        data = pickle.dumps(answer)
    except Exception:  # noqa: BLE001 - an exception that does not pickle: its text
        data = pickle.dumps(("error", TrackerError(f"{what} failed: {answer[1]}"), stages))
    with open(job["answer"], "wb") as fh:
        fh.write(data)


def _die_with_parent(parent: int) -> bool:
    """End this child process when the build's process (`parent`) dies, killed or stopped.

    The build stops its children itself when it fails or is interrupted (`_Child.stop`), but a
    build killed outright (SIGTERM, the out-of-memory killer) runs no code: its children went on
    for minutes, the CSV tables' one writing gigabytes into the output folder. On Linux the
    kernel sends this process SIGTERM when its parent dies (``PR_SET_PDEATHSIG``); SIGTERM
    raises `SystemExit` here, so that what the child was writing is removed on the way out (its
    files are written to temporary names and renamed). Elsewhere the child runs to its end.
    False when the build died before the request took hold.
    """
    import os
    import signal
    import sys

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, stop)
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
        except (OSError, AttributeError):  # no prctl in this C library: run to the end
            pass
    return os.getppid() == parent


class _CsvTables:
    """nodes.csv, edges.csv and sources.csv of a store (`tracker.export.store.write_store_csv`), written
    in this process at once or, on large data with more than one core, by a child process running
    beside the metrics (`_Child`, `_csv_child`). `wait` gives their paths (and raises what the
    child raised); `stop` ends a child still running (its files are written atomically, so none
    is left half-written)."""

    def __init__(self, store: Any, out: Path, stages: _Stages) -> None:
        self.files: list[Path] = []
        self.child: _Child | None = None
        if not csv_beside_metrics(store.relation_count, _cores()):
            from tracker.export.store import write_store_csv

            self.files = write_store_csv(store, out, say=stages.done)
            return
        from tracker.export import store as store_csv

        job = {"store": str(store.root), "out": str(out), "slice_rows": store_csv.SLICE_ROWS, "memory_limit": CSV_MEMORY_LIMIT}
        self.child = _Child("_csv_child", job, "writing the CSV tables", "csv", "second process")

    def wait(self) -> list[Path]:
        if self.child is None:
            return self.files
        return [Path(p) for p in self.child.wait()]

    def stop(self) -> None:
        if self.child is not None:
            self.child.stop()


def csv_beside_metrics(relations: int, cores: int) -> bool:
    """Whether a build of this many relations on this many cores writes its CSV tables in a second process.

    Examples
    --------
    >>> [csv_beside_metrics(n, 2) for n in (999_999, 1_000_000, 5_907_984, 20_000_000, 29_543_402)]
    [False, True, True, True, False]
    >>> csv_beside_metrics(5_907_984, 1)
    False
    """
    return cores >= 2 and PARALLEL_CSV_MIN_RELATIONS <= relations <= PARALLEL_CSV_MAX_RELATIONS


def _cores() -> int:
    """The cores this process may run on."""
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def _csv_child() -> None:
    """The child process of `_CsvTables`: write the tables; the answer is their paths."""

    def work(job: dict[str, Any], done: Callable[[str], None]) -> list[str]:
        from tracker.export import store as store_csv
        from tracker.store import Store

        store_csv.SLICE_ROWS = int(job["slice_rows"])
        store = Store(Path(job["store"]))
        # One thread: the other core is the metrics'.
        store.sql.execute(f"SET memory_limit = '{job['memory_limit']}'")
        store.sql.execute("SET threads = 1")
        store.sql.execute("SET enable_progress_bar = false")
        return [str(p) for p in store_csv.write_store_csv(store, Path(job["out"]), say=done)]

    _child_main(work, "writing the CSV tables")


#: The metrics a build on two cores computes in a second process, beside the others (and the CSV
#: tables' process), between the same bounds as the CSV tables: the sampled shortest-path ones,
#: about a third of the metrics' CPU at 2M ICIJ nodes (betweenness alone about 90 s), that read
#: nothing but the relation table. They are the same floats in any process: the same arrays from
#: the same store, the same deterministic igraph and scipy calls.
METRICS_BESIDE = ("betweenness", "harmonic", "closeness")


class _MetricsBeside:
    """`METRICS_BESIDE` computed by a child process from the store (`_Child`, `_metrics_child`), each
    given back as `tracker.metrics.centrality`'s `outside` asks (a call that waits for it)."""

    def __init__(self, store: Any) -> None:
        job = {"store": str(store.root), "metrics": list(METRICS_BESIDE)}
        self.child = _Child("_metrics_child", job, "computing the metrics", "metrics", "metrics process")
        self.results: dict[str, Any] | None = None

    def outside(self) -> dict[str, Callable[[], Any]]:
        from functools import partial

        return {name: partial(self._get, name) for name in METRICS_BESIDE}

    def _get(self, name: str) -> Any:
        if self.results is None:
            self.results = self.child.wait()
        return self.results.pop(name)

    def stop(self) -> None:
        self.child.stop()


def _metrics_child() -> None:
    """The child process of `_MetricsBeside`: the metrics on the store's relation table, as the
    build's own `centrality` computes them (the same views: every relation, the ties between
    actors); the answer is {metric: (columns, notes)}."""

    def work(job: dict[str, Any], done: Callable[[str], None]) -> dict[str, Any]:
        from tracker.metrics import METRICS, Views, plan, resolve_engine
        from tracker.model import load_model
        from tracker.store import Store, edge_table

        store = Store(Path(job["store"]))
        n = store.entity_count
        engine = resolve_engine("auto", n)
        # Sampled on igraph, these metrics give arrays in the ids' order and read only how many
        # ids there are: the ids themselves (Python text, about 300 MB at 2M entities) key only
        # the dicts the exact or networkx metrics give on small graphs.
        ids: list[Any] | None = [None] * n if engine == "igraph" and plan(n)["closeness_k"] is not None else None
        table = edge_table(store, ids)
        del store
        views = Views(None, engine, table).ties(load_model(), False)
        del table  # every relation: only the ties are read from here on
        done("relation arrays")
        results = {}
        for name in job["metrics"]:
            results[name] = METRICS[name].compute(views, {"include_meta": False})
            done(name)
        return results

    _child_main(work, "computing the metrics")


# DuckDB's own memory for the build's joins and sorts (it spills to disk beyond it); its default,
# most of the machine's memory, would let it take what the metrics need next.
STORE_MEMORY_LIMIT = "1GB"
# The same for the second process writing the CSV tables beside the metrics (three processes at
# 2M ICIJ nodes must fit in 6 GB together): its slices need less (`export.store.SLICE_ROWS`).
CSV_MEMORY_LIMIT = "512MB"


def build_on_store(data: Sequence[Path], out: Path, view: bool = True, say: Callable[[str], None] | None = None) -> BuildResult:
    """The build of large data from its compiled store: no Python records, no networkx graph of the whole.

    The store is opened (compiled when missing or stale: the one validation, which raises
    `InvalidData` with the loader's messages before anything is written); nodes.csv, edges.csv
    and sources.csv stream from its Parquet tables; the metrics read its relation table as
    numpy arrays; the report's ownership chains are cut out of it per asset. The files are those
    the in-memory path writes for the same data.
    """
    from tracker.backends import open_backend
    from tracker.export import graph_file_skips, write_graph_files
    from tracker.metrics import Views, resolve_engine
    from tracker.query import chain_region
    from tracker.report import CHAIN_MAX_DEPTH, write_build_reports
    from tracker.store import _folders, edge_table, open_store
    from tracker.storegraph import StoreGraph

    started = time.perf_counter()
    stages = _Stages()
    roots = list(data) or None
    protect(_folders(roots))
    out = Path(out)
    check_not_input(out)  # before the compile: an output folder inside an input is refused at once
    store = open_store(roots, say=say or log.info)
    store.sql.execute(f"SET memory_limit = '{STORE_MEMORY_LIMIT}'")
    store.sql.execute("SET enable_progress_bar = false")  # stderr carries only tracker's messages
    stages.done("store opened")
    G = StoreGraph(store)
    n = G.number_of_nodes()
    result = BuildResult(G, out, warnings=len(store.manifest.get("warnings", [])), store=store.root, counts=G.counts())
    stages.done("entity columns read")
    log.info("store read: %d nodes, %d edges", n, G.number_of_edges())
    from tracker.views import MAX_NODES

    skips = graph_file_skips(G.number_of_edges())
    whole = None
    if not skips or (view and n <= MAX_NODES):
        # Within the graph files' cap (or the view's) the data is small enough to hold as a
        # graph, and those files are made from one: the same graph the in-memory path builds.
        whole = build(store.whole())
    if not skips:
        assert whole is not None
        result.files += write_graph_files(whole, out)
    network = _network(whole, n, view)
    tables = _CsvTables(store, out, stages)
    beside = _MetricsBeside(store) if csv_beside_metrics(store.relation_count, _cores()) else None
    try:
        result.skipped += skips
        # The edge table's ids are the StoreGraph's (the same sorted ids): one list of millions, not two.
        views = Views(None, resolve_engine("auto", n), edge_table(store, G.ids))
        backend = open_backend("duckdb", store)
        try:
            owned = [(asset, chain_region(backend, asset, True, CHAIN_MAX_DEPTH).graph) for asset in G.most_owned()]
            stages.done("relation arrays and ownership chains read")
            reports = write_build_reports(
                G,  # type: ignore[arg-type]
                out,
                views=views,
                owned=owned,
                say=stages.done,
                outside=beside.outside() if beside is not None else None,
                view=network.page is not None,
                no_view=network.refused,
            )
        finally:
            backend.close()
        result.files += tables.wait()
        result.files += reports
    finally:
        tables.stop()
        if beside is not None:
            beside.stop()
    result.skipped += scale_notes(n)
    _write_network(result, network, out)
    result.seconds = time.perf_counter() - started
    return result
