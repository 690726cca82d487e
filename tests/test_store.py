"""The compiled store: compiled once, current until an input changes, answers like the whole graph."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import MINI_PATH
from tracker.cli import cli
from tracker.dataset import load
from tracker.graph import build
from tracker.store import Store, open_store, store_dir


@pytest.fixture()
def mini_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "mini"
    shutil.copytree(MINI_PATH, folder)
    return folder


def _compile(folder: Path) -> tuple[Store, list[str]]:
    said: list[str] = []
    return open_store([folder], say=said.append), said


def test_compiled_once_then_current(mini_copy: Path) -> None:
    store, said = _compile(mini_copy)
    assert said[0] == f"store: compiling {mini_copy.resolve()} (no store yet)"
    assert store.entity_count == 14 and store.relation_count == 18
    again, said = _compile(mini_copy)
    assert said == []
    assert again.root == store.root == store_dir([mini_copy])


def test_a_touch_is_not_a_change_but_new_bytes_are(mini_copy: Path) -> None:
    _compile(mini_copy)
    entities = mini_copy / "entities.csv"
    st = entities.stat()
    os.utime(entities, ns=(st.st_atime_ns, st.st_mtime_ns + 5_000_000_000))
    _, said = _compile(mini_copy)
    assert said == []  # same SHA-256: still current
    with entities.open("a", encoding="utf-8") as fh:
        fh.write("omicron-co,company,Omicron Co,,company,gb,,,,,,,,\n")
    store, said = _compile(mini_copy)
    assert said[0] == f"store: compiling {mini_copy.resolve()} (mini/entities.csv changed)"
    assert store.entity_count == 15


def test_degrees_and_positions(mini_copy: Path) -> None:
    store, _ = _compile(mini_copy)
    ids = store.ids()
    assert ids == sorted(ids) and len(ids) == 14
    degree = dict(zip(ids, store.column("entities", "degree").tolist(), strict=True))
    # Counted by hand in tests/fixtures/mini/relations.csv: relations naming the entity at either end.
    assert (degree["alpha-ruler"], degree["gamma-soninlaw"], degree["vg"], degree["mu-vehicles"]) == (3, 6, 2, 1)


def test_the_whole_store_builds_the_same_graph(mini_copy: Path) -> None:
    store, _ = _compile(mini_copy)
    G = build(load([mini_copy]))
    S = build(store.whole())
    assert dict(S.nodes(data=True)) == dict(G.nodes(data=True))
    assert sorted(S.edges(keys=True, data=True)) == sorted(G.edges(keys=True, data=True))
    assert S.graph["sources"] == G.graph["sources"]
    assert (S.graph["content_hash"], S.graph["data_date"]) == (G.graph["content_hash"], G.graph["data_date"])


def test_store_commands(mini_copy: Path) -> None:
    runner = CliRunner()
    info = runner.invoke(cli, ["store", "info", "--data", str(mini_copy)])
    assert info.exit_code == 0, info.output
    assert json.loads(info.stdout)["exists"] is False
    done = runner.invoke(cli, ["store", "compile", "--data", str(mini_copy)])
    assert done.exit_code == 0, done.output
    assert "store current: 14 entities, 18 relations" in done.stderr
    info = json.loads(runner.invoke(cli, ["store", "info", "--data", str(mini_copy)]).stdout)
    assert (info["exists"], info["entities"], info["relations"], info["inputs"]) == (True, 14, 18, [str(mini_copy.resolve())])
    gone = runner.invoke(cli, ["store", "clear", "--data", str(mini_copy)])
    assert gone.exit_code == 0 and gone.stderr.startswith("deleted 1 store:")
    assert not store_dir([mini_copy]).exists()


def test_bad_data_is_never_compiled(mini_copy: Path) -> None:
    with (mini_copy / "relations.csv").open("a", encoding="utf-8") as fh:
        fh.write("r99,owns,alpha-ruler,nobody,,,,,,,,,,,,,,,judgment-2020,,\n")
    result = CliRunner().invoke(cli, ["path", "alpha-ruler", "zeta-bank", "--data", str(mini_copy), "--engine", "duckdb"])
    assert result.exit_code == 1
    assert "relations.csv:20: target" in result.stderr and "no entity with id 'nobody'" in result.stderr
    assert not store_dir([mini_copy]).exists()


def _with_shell_company(folder: Path) -> Path:
    """Add an officer of a second BVI company: linked to Delta Holdings only through the BVI."""
    with (folder / "entities.csv").open("a", encoding="utf-8") as fh:
        fh.write("nu-officer,person,Nu Officer,,other,gb,,,,,,,,\n")
        fh.write("xi-co,company,Xi Company Ltd,,offshore,vg,,,,,,,,\n")
    with (folder / "relations.csv").open("a", encoding="utf-8") as fh:
        fh.write("r30,officer_of,nu-officer,xi-co,director,,,,,,,,,,,,,,filing-2007,,\n")
        fh.write("r31,registered_in,xi-co,vg,,,,,,,,,,,,,,,filing-2007,,\n")
    return folder


@pytest.mark.parametrize("engine", ["networkx", "duckdb"])
def test_paths_do_not_pass_through_a_jurisdiction_unless_asked(mini_copy: Path, engine: str) -> None:
    folder = _with_shell_company(mini_copy)
    runner = CliRunner()
    args = ["path", "nu-officer", "delta-holdings", "--data", str(folder), "--engine", engine, "--format", "json"]
    blocked = runner.invoke(cli, args)
    assert blocked.exit_code == 1
    assert (
        blocked.stderr.strip().splitlines()[-1]
        == "Error: no path between Nu Officer (nu-officer) and Delta Holdings Ltd (delta-holdings) within 6 hops"
    )
    through = runner.invoke(cli, [*args, "--through-hubs"])
    assert through.exit_code == 0, through.output
    paths = json.loads(through.stdout)["paths"]
    assert [p["nodes"] for p in paths] == [["nu-officer", "xi-co", "vg", "delta-holdings"]]


@pytest.mark.parametrize(
    "args",
    [
        ["path", "Beta Rulerova", "Zeta Bank plc", "-k", "3", "--format", "json"],
        ["neighbours", "Гамма Құлыбаев", "--depth", "2", "--format", "json"],
        ["chains", "1 Iota Avenue", "--format", "json"],
        ["chains", "gamma-soninlaw", "--down", "--format", "json"],
        ["search", "Kulibaev", "--format", "json"],
        ["report", "--format", "csv"],
        ["report", "--table", "brokers", "--format", "csv"],
        ["export", "--format", "json", "--focus", "delta-holdings", "--depth", "1"],
        ["view", "--focus", "beta-daughter", "--depth", "2", "-o", "-"],
        ["view", "--path", "alpha-ruler", "zeta-bank", "-o", "-"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_store_answers_byte_for_byte_like_memory(args: list[str]) -> None:
    runner = CliRunner()
    memory = runner.invoke(cli, [*args, "--data", str(MINI_PATH), "--engine", "networkx"])
    stored = runner.invoke(cli, [*args, "--data", str(MINI_PATH), "--engine", "duckdb"])
    assert memory.exit_code == 0, memory.output
    assert stored.exit_code == 0, stored.output
    assert len(memory.stdout) > 200
    assert stored.stdout == memory.stdout


def test_point_read_tables_have_small_row_groups(tmp_path: Path) -> None:
    # entities, relations and sources are read a few rows at a time: 16,384-row groups; the
    # adjacency the walks scan keeps 131,072, and the compile's writer follows the same rule.
    import pyarrow as pa
    import pyarrow.parquet as pq

    from tracker.compile import _Writer
    from tracker.store import row_group, table_schema

    assert row_group(tmp_path / "entities.parquet") == 16_384
    assert row_group(tmp_path / "relations.parquet") == 16_384
    assert row_group(tmp_path / "sources.parquet") == 16_384
    assert row_group(tmp_path / "adjacency.parquet") == 131_072
    assert row_group(tmp_path / "names.parquet") == 131_072
    schema = table_schema("entities")
    w = _Writer(tmp_path / "entities.parquet", schema)
    w.write({f.name: pa.nulls(40_000, f.type) for f in schema})
    w.close()
    meta = pq.ParquetFile(tmp_path / "entities.parquet").metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [16_384, 16_384, 7_232]


def test_duckdb_spills_to_the_temp_folder_not_the_working_folder(mini_copy: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # DuckDB's own default for an in-memory database is ".tmp" in the working folder: a 10M
    # build left gigabytes in whatever folder it was run from.
    import tempfile

    work, spill = tmp_path / "work", tmp_path / "spill"
    work.mkdir()
    spill.mkdir()
    store, _ = _compile(mini_copy)
    monkeypatch.chdir(work)
    monkeypatch.setattr(tempfile, "tempdir", str(spill))
    con = store.sql
    con.execute("SET memory_limit = '20MB'")
    con.execute("SET threads = 1")
    con.execute("SET enable_progress_bar = false")
    # A sort of a million 32-character keys does not fit in 20 MB: DuckDB spills.
    rows = con.sql("SELECT count(*), min(m) FROM (SELECT md5(i::VARCHAR) AS m FROM range(1000000) t(i) ORDER BY m)").fetchall()
    assert rows == [(1_000_000, "0000104cd168386a335ba6bf6e32219d")]
    assert os.listdir(work) == []
    folders = os.listdir(spill)
    assert len(folders) == 1 and folders[0].startswith(f"tracker-duckdb-{os.getpid()}-")
    store.close()
    assert os.listdir(spill) == []  # DuckDB deletes the folder it made
