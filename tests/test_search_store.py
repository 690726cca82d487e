"""Search on the store: the word tables, and answers identical to the in-memory name index.

The store's search scores every name that bears a close word inside DuckDB and reads back only
the few entities that can rank among the best `--limit` (`tracker.words`); these tests pin the
word tables to hand-counted rows, and the answers to the in-memory index's, worked out by hand
for the ones written out here.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from tests.conftest import MINI_PATH
from tracker import query
from tracker.backends.duckdb import DuckDBBackend
from tracker.cli import cli
from tracker.dataset import load
from tracker.graph import build, name_index
from tracker.store import Store, open_store, table_schema
from tracker.words import NAMES_AS_WORDS, write_words

# Companies that share the words "smith" and "trading", spelt and padded in several ways.
TRADERS = """st-1,company,Smith Trading 1 LLC,,company,gb,,,,,,,,
st-2,company,Smith Trading LLC,,company,gb,,,,,,,,
st-3,company,Smith Traiding Co,,company,gb,,,,,,,,
st-4,company,Smyth Trading,,company,gb,,,,,,,,
st-5,person,John Smith,,company,gb,,,,,,,,
st-6,company,Trading House Smith Smith,,company,gb,,,,,,,,
st-7,company,Smith Trading,Смит Трейдинг,company,gb,,,,,,,,
st-8,company,Acme Trading,,company,gb,,,,,,,,
"""
QUERIES = ["Smith Trading", "smith", "Смит Трейдинг", "Traiding", "trading smith smith", "Kulibayev", "Qulybaev Gamma", "nobody"]


@pytest.fixture(scope="module")
def traders(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("traders") / "mini"
    shutil.copytree(MINI_PATH, folder)
    with (folder / "entities.csv").open("a", encoding="utf-8") as fh:
        fh.write(TRADERS)
    return folder


@pytest.fixture(scope="module")
def store(traders: Path, tmp_path_factory: pytest.TempPathFactory) -> Store:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TRACKER_STORE", str(tmp_path_factory.mktemp("store")))
        return open_store([traders])


def _names_table(folder: Path, rows: list[tuple[int, str, str, str]]) -> None:
    """names.parquet as both compiles write it: per name, one row per distinct word of its skeleton."""
    idx, name, key, token = zip(*rows, strict=True)
    table = pa.table({"idx": idx, "name": name, "key": key, "fold": key, "token": token}, schema=table_schema("names"))
    pq.write_table(table, folder / "names.parquet")


def test_word_tables_hold_each_word_of_each_name(tmp_path: Path) -> None:
    _names_table(
        tmp_path,
        [
            (0, "Timur Kulibayev", "timur kulibaev", "timur"),
            (0, "Timur Kulibayev", "timur kulibaev", "kulibaev"),
            (0, "Тимур Кулибаев", "timur kulibaev", "timur"),
            (0, "Тимур Кулибаев", "timur kulibaev", "kulibaev"),
            (1, "Smith Smith Trading", "smith smith trading", "smith"),
            (1, "Smith Smith Trading", "smith smith trading", "trading"),
            (2, "Trading Ltd", "trading ltd", "trading"),
            (2, "Trading Ltd", "trading ltd", "ltd"),
        ],
    )
    assert write_words(tmp_path) == 8
    words = pq.read_table(tmp_path / "words.parquet")
    # (word, entity, name number in table order, letters of the name's skeleton, occurrences in it)
    assert [tuple(r.values()) for r in words.to_pylist()] == [
        ("kulibaev", 0, 0, 13, 1),
        ("kulibaev", 0, 1, 13, 1),
        ("ltd", 2, 3, 10, 1),
        ("smith", 1, 2, 17, 2),
        ("timur", 0, 0, 13, 1),
        ("timur", 0, 1, 13, 1),
        ("trading", 1, 2, 17, 1),
        ("trading", 2, 3, 10, 1),
    ]
    assert pq.read_table(tmp_path / "vocabulary.parquet").column("token").to_pylist() == ["kulibaev", "ltd", "smith", "timur", "trading"]


def test_a_name_is_counted_across_row_groups(tmp_path: Path) -> None:
    # The same name's rows split over two row groups stay one name; the next name starts a new one.
    rows = [(0, "Aa Bb", "aa bb", "aa"), (0, "Aa Bb", "aa bb", "bb"), (0, "Cc", "cc", "cc")]
    idx, name, key, token = zip(*rows, strict=True)
    table = pa.table({"idx": idx, "name": name, "key": key, "fold": key, "token": token}, schema=table_schema("names"))
    pq.write_table(table, tmp_path / "names.parquet", row_group_size=1)
    write_words(tmp_path)
    got = [(r["token"], r["name"]) for r in pq.read_table(tmp_path / "words.parquet").to_pylist()]
    assert got == [("aa", 0), ("bb", 0), ("cc", 1)]


def test_compiled_store_has_word_tables_and_the_fallback_agrees(store: Store) -> None:
    assert store.path("words").is_file() and store.path("vocabulary").is_file()
    con = store.sql
    stored = con.execute("SELECT token, idx, size, count FROM words ORDER BY ALL").fetchall()
    derived = con.execute(f"SELECT token, idx, size, count FROM {NAMES_AS_WORDS} ORDER BY ALL").fetchall()
    assert stored == derived
    assert ("smith", 16, 22, 2) in stored  # st-6 (position 16): "trading house smith smith", 7 + 5 + 5 + 5 letters, smith twice


def test_search_answers_like_the_whole_graph(traders: Path, store: Store) -> None:
    index = name_index(build(load([traders]), compact=False))
    backend = DuckDBBackend(store)
    for text in QUERIES:
        for limit in (1, 2, 3, 4, 5, 10):
            expected = [(m.id, m.matched, m.score) for m in index.search(text, limit=limit)]
            assert [(m.id, m.matched, m.score) for m in query.search(backend, text, limit=limit)] == expected, (text, limit)


def test_search_ranks_ties_by_id(store: Store) -> None:
    # Worked out by hand (score = 0.8 * query side + 0.2 * both sides, words weighed by length):
    # "Smyth Trading" and "Smith Trading" are the query's words exactly (100, st-4 first by id);
    # "Smith Trading LLC" (skeleton "smith trading lc", 14 letters): 80 + 0.2 * 2400 / 26 = 98.5,
    # and "Smith Traiding Co" the same ("ai" folds to "a"); "Smith Trading 1 LLC": 80 + 0.2 * 2400 / 27
    # = 97.8; "Trading House Smith Smith" (smith twice, 22 letters): 80 + 0.2 * 2900 / 34 = 97.1;
    # "Acme Trading": 0.8 * 700 / 12 + 0.2 * 1400 / 23 = 58.8; "John Smith": 0.8 * 500 / 12 + 0.2 * 1000 / 21 = 42.9.
    backend = DuckDBBackend(store)
    got = [(m.id, m.score) for m in query.search(backend, "Smith Trading", limit=10)]
    assert got == [
        ("st-4", 100.0),
        ("st-7", 100.0),
        ("st-2", 98.5),
        ("st-3", 98.5),
        ("st-1", 97.8),
        ("st-6", 97.1),
        ("st-8", 58.8),
        ("st-5", 42.9),
    ]
    # "John Smith" for "smith": 0.8 * 100 + 0.2 * (500 + 500) / (5 + 9) = 94.3, first.
    assert [m.id for m in query.search(backend, "smith", limit=2)] == ["st-5", "st-4"]
    assert query.search(backend, "nobody") == []


def test_only_the_entities_that_can_rank_are_read(store: Store) -> None:
    backend = DuckDBBackend(store)
    pos = backend.lookup_ids([f"st-{i}" for i in range(1, 9)])
    # Eight entities bear "smith" or "trading". Best one: st-4 alone (100; st-7 can at most tie at
    # 100 and comes after it by id). Best two: an entity's lower bound is its worst name's, so st-7
    # (its Cyrillic alias scores less) ranks below st-2 (98.5) by lower bound; kept are st-4, st-2
    # and st-7, whose upper bound (100) is above st-2's 98.5.
    assert query.best_candidates(backend, "Smith Trading", 1) == [pos["st-4"]]
    assert query.best_candidates(backend, "Smith Trading", 2) == sorted([pos["st-2"], pos["st-4"], pos["st-7"]])


def test_a_store_without_word_tables_answers_the_same(store: Store, tmp_path: Path) -> None:
    old = tmp_path / "old"
    shutil.copytree(store.root, old)
    (old / "words.parquet").unlink()
    (old / "vocabulary.parquet").unlink()
    before, after = DuckDBBackend(store), DuckDBBackend(Store(old))
    for text in QUERIES:
        assert query.search(after, text) == query.search(before, text), text


def test_cli_search_on_the_store_prints_the_whole_graphs_rows(traders: Path, store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_STORE", str(store.root.parent))
    runner = CliRunner()
    for text in ("Smith Trading", "Смит"):
        args = ["search", text, "--data", str(traders), "--format", "json", "--limit", "3"]
        on_store = runner.invoke(cli, [*args, "--engine", "duckdb"])
        in_memory = runner.invoke(cli, [*args, "--engine", "networkx"])
        assert on_store.exit_code == 0, on_store.output
        assert on_store.stdout == in_memory.stdout
    out = runner.invoke(cli, ["search", "Smith Trading", "--data", str(traders), "--format", "csv", "--limit", "2", "--engine", "duckdb"])
    assert out.stdout.splitlines() == [
        "id,name,matched,score,kind,sphere",
        "st-4,Smyth Trading,Smyth Trading,100.0,company,company",
        "st-7,Smith Trading,Smith Trading,100.0,company,company",
    ]


def test_the_engines_bounds_hold_pythons_rounded_score(traders: Path, store: Store) -> None:
    # For every entity a query reaches, the engine's bounds (in tenths) hold Python's rounded score;
    # for an entity of one name they are that score exactly (no score here lies near a rounding
    # boundary), for one with aliases they span its names' scores.
    from tracker.names import close_words, length_window, tokens
    from tracker.words import bounds_sql

    G = build(load([traders]), compact=False)
    index = name_index(G)
    backend = DuckDBBackend(store)
    ids = store.ids()
    for text in QUERIES[:-1]:
        words = list(tokens(text))
        vocabulary = sorted({w for q in words for w in backend.words_like(q, *length_window(q))})
        source, table, found = backend.close_table(words, close_words(words, vocabulary))
        got = {ids[i]: (lo, hi) for i, lo, hi in backend.con.execute(bounds_sql(source, table, words, found)).fetchall()}
        expected = {m.id: round(m.score * 10) for m in index.search(text, limit=100)}
        assert sorted(got) == sorted(expected), text
        for ident, tenths in expected.items():
            if G.nodes[ident].get("aliases"):
                assert got[ident][0] <= tenths <= got[ident][1], (text, ident)
            else:
                assert got[ident] == (tenths, tenths), (text, ident)


def test_a_search_on_the_store_imports_neither_networkx_nor_numpy(store: Store) -> None:
    # networkx and numpy cost a third and a fifth of a second to import: as long as the rest of a search.
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from tracker.backends.duckdb import DuckDBBackend\n"
        "from tracker.query import OnStore\n"
        "from tracker.store import Store\n"
        "store = Store(Path(sys.argv[1]))\n"
        "rows = OnStore(store, DuckDBBackend(store)).search_rows('Smith Trading', 2)\n"
        "print([r['id'] for r in rows], 'networkx' in sys.modules, 'numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(store.root)], capture_output=True, text=True, check=True).stdout
    assert out.split("\n")[0] == "['st-4', 'st-7'] False False"


RESOLVES = [
    "Smith Trading",  # two entities bear these very words: ambiguous, both named
    "Smith Trading LLC",
    "Smith Trading 1 LLC",
    "Smith Trading Co",  # close to several
    "Smyth Tradng",
    "Acme Tradin",  # one close match: resolved with a notice
    "Trading",
    "John Smith",
    "Jon Smith",
    "Kulibayev Gamma",
    "Гамма Кулибаев",
    "Alfa Pravitel",
    "Alpha",
    "Nobody Atall",
    "st-5",
]


def _resolve_outcome(resolve: object, text: str) -> tuple[str, str, list[str]]:
    said: list[str] = []
    try:
        return "ok", resolve(text, notice=said.append), said  # type: ignore[operator]
    except Exception as exc:  # noqa: BLE001 - the error's type and message are the answer compared
        return type(exc).__name__, str(exc), said


def test_resolve_answers_like_the_whole_graph(traders: Path, store: Store) -> None:
    index = name_index(build(load([traders]), compact=False))
    backend = DuckDBBackend(store)
    outcomes = {}
    for text in RESOLVES:
        expected = _resolve_outcome(lambda t, notice: index.resolve(t, notice=notice) if t != "st-5" else t, text)
        outcomes[text] = expected
        assert _resolve_outcome(lambda t, notice: query.resolve(backend, t, notice), text) == expected, text
    # Every kind of outcome is exercised: an id, an exact name, a notice, ambiguity, nothing.
    assert outcomes["st-5"] == ("ok", "st-5", [])
    assert outcomes["John Smith"] == ("ok", "st-5", [])
    assert outcomes["Acme Tradin"] == (
        "ok",
        "st-8",
        ['resolved "Acme Tradin" to Acme Trading (st-8), score 95'],
    )  # full: (400 + 92.3 * 6 + 400 + 92.3 * 7) / 21
    assert outcomes["Smith Trading"][0] == "AmbiguousEntity"
    assert outcomes["Smith Trading"][1] == "'Smith Trading' names several entities: Smyth Trading (st-4), Smith Trading (st-7); give an id"
    assert outcomes["Nobody Atall"] == ("UnknownEntity", "no entity named 'Nobody Atall'", [])


@pytest.mark.spark
def test_spark_search_rows_and_resolve_match_duckdb(store: Store, spark_session: Any) -> None:
    from tracker.backends.spark import SparkBackend

    duck, spark = query.OnStore(store, DuckDBBackend(store)), query.OnStore(store, SparkBackend(store))
    for text in ("Smith Trading", "Смит Трейдинг", "smith"):
        assert spark.search_rows(text, 3) == duck.search_rows(text, 3), text
    for text in ("Acme Tradin", "Smith Trading", "Nobody Atall"):
        assert _resolve_outcome(spark.resolve, text) == _resolve_outcome(duck.resolve, text), text
    assert duck.search_rows("Smith Trading", 2)[1] == {
        "id": "st-7",
        "name": "Smith Trading",
        "matched": "Smith Trading",
        "score": 100.0,
        "kind": "company",
        "sphere": "company",
    }
