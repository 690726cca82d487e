"""The cluster engine: the same store questions as DuckDB, asked of Apache Spark's DataFrame API.

For data or users beyond one machine: a shared cluster with the store on shared storage, reached
through a Spark Connect URL (``sc://host:15002``) or any Spark master. On one machine DuckDB is
9-20 times faster (shared/research/scale-out.md), so Spark is opt-in and never the default.

How it is shaped, and why (measured in the research note):

- BFS state stays in the driver. `tracker.query` keeps the frontier and visited sets in Python
  and asks one question per hop; each question here is one Spark job: a broadcast semi-join of
  a store table with the (small, hub-capped) frontier, then a collect. Keeping the state as
  DataFrames instead costs 4-5 jobs per hop and 13-33% more time.
- Whole-graph metrics (`degree`, `pagerank`, `components`) are iterated DataFrame joins over
  the relation table, with each step's result checkpointed so the plan never grows; they
  return numpy arrays in store position order, the same definitions as `tracker.metrics`.
- One session per process. A session already active in the process is reused and left
  running; one this backend started is stopped by `close`. Start-up costs 13-18 s (a JVM), so
  a plain command never imports pyspark: `tracker.backends.open_backend` loads this module only
  for ``--engine spark``.
- Settings for short-lived local sessions (`LOCAL_SETTINGS`): no web UI, few shuffle partitions
  (the default 200 was up to 30% slower on small inputs and took 0.8 GB more), loopback driver
  address, a C1-only JIT and the serial collector (15% off the start), a 1 GB driver heap (the
  JVM takes what it is allowed; 1 GB ran at the same speed as 4 GB). A Spark Connect session
  gets none of them: the server's configuration is the cluster administrator's.

The store's folder must be readable at the same path by the Spark driver and executors (or by
the Spark Connect server): on a cluster, put ``TRACKER_STORE`` on shared storage.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading
import warnings
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tracker.exc import EngineUnavailable
from tracker.store import Store
from tracker.words import NAMES_AS_WORDS, VOCABULARY, WORDS, candidates_sql, resolve_sql, vocabulary_sql

__all__ = [
    "DEFAULT_MASTER",
    "CONNECT_INSTALL",
    "INSTALL",
    "JVM_NOISE",
    "LITERALS",
    "LOCAL_SETTINGS",
    "LOG4J_CONFIG",
    "SPARK_CACHE_ENV",
    "SPARK_ENV",
    "SparkBackend",
    "class_archive",
    "components",
    "degree",
    "local_settings",
    "pagerank",
    "spark_session",
    "spark_target",
]

#: The environment variable naming the Spark master or Spark Connect URL, set once per shell.
SPARK_ENV = "TRACKER_SPARK"
DEFAULT_MASTER = "local[2]"
INSTALL = "pip install 'tracker[spark]' (in a checkout: pip install '.[spark]')"
#: Spark Connect's client needs gRPC, which pyspark itself does not install.
CONNECT_INSTALL = "pip install 'pyspark[connect]'"
#: Only errors, one line each, from the JVM of a local session (see the file for why).
LOG4J_CONFIG = Path(__file__).with_name("spark-log4j2.properties")
#: JVM flags of a local session: a C1-only JIT and the serial collector. Measured at 2M
#: entities on 2 cores: the session starts on 10 s of CPU instead of 16.5, and a whole
#: command (start, a dozen jobs) costs about half the CPU of the default tiered JIT, which
#: only wins on scans repeated many times over.
JVM_OPTIONS = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
#: Up to this many keys, a question filters a table by a list of literals rather than joining
#: it with a broadcast table of keys: Spark hands the list to the Parquet reader, which skips
#: every row group whose min-max range holds none of them (the store's tables are sorted by
#: their key). A hop from one entity read 1 s instead of 6 s at 2M. Far longer lists make
#: plans that are slow to build (263,000 literals: minutes), so large key sets are joined.
LITERALS = 256
LOCAL_SETTINGS = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.sql.adaptive.enabled": "true",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    "spark.sql.parquet.pushdown.inFilterThreshold": str(LITERALS),
    "spark.driver.host": "127.0.0.1",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.memory": "1g",
    "spark.driver.extraJavaOptions": JVM_OPTIONS,
    "spark.log.level": "ERROR",
}
#: Lines the JVM itself writes to stderr at start, whatever log4j is told: dropped.
JVM_NOISE = ("WARNING: Using incubator modules:",)
#: The JVM's own log (class sharing, GC): errors only, on stderr (its warnings go to stdout).
JVM_LOG = "-Xlog:disable -Xlog:all=error:stderr"
#: Where the JVM's class archive is kept: this variable (``off``: none), else the user's cache.
SPARK_CACHE_ENV = "TRACKER_SPARK_CACHE"


def class_archive() -> Path | None:
    """The file of the JVM's class-data archive (CDS) for this pyspark and Java, or None (``off``).

    A JVM spends most of a session's start and of its first job loading and checking
    Spark's classes: 23 s of CPU at 100k entities on 2 cores. With the classes a previous
    session loaded mapped from an archive, 12 s. The first local session writes the archive
    when it ends (about 170 MB); the JVM checks it against its own build and class path and
    ignores one that does not fit. A cache: deleting it is always safe.
    """
    import hashlib
    import shutil

    where = os.environ.get(SPARK_CACHE_ENV)
    if where is not None and where.strip().lower() in ("", "0", "off", "no", "false"):
        return None
    if where:
        folder = Path(where).expanduser()
    else:
        cache = os.environ.get("XDG_CACHE_HOME")
        folder = (Path(cache) if cache else Path.home() / ".cache") / "tracker" / "spark"
    import pyspark

    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else shutil.which("java") or "java"
    key = "\n".join([pyspark.__version__, str(Path(pyspark.__file__).resolve().parent), os.path.realpath(java), JVM_OPTIONS])
    return folder / f"classes-{hashlib.sha256(key.encode()).hexdigest()[:16]}.jsa"


def local_settings(archive: Path | None = None, writing: bool = False) -> dict[str, str]:
    """`LOCAL_SETTINGS` with the JVM flags completed: the log4j file (a ``file:`` URI: any path),
    the JVM's log, and the class `archive` to read (or, `writing`, to write at exit)."""
    settings = dict(LOCAL_SETTINGS)
    flags = [JVM_OPTIONS, f"-Dlog4j2.configurationFile={LOG4J_CONFIG.resolve().as_uri()}", JVM_LOG]
    if archive is not None:
        flags.append(f"-XX:{'ArchiveClassesAtExit' if writing else 'SharedArchiveFile'}={archive}")
    settings["spark.driver.extraJavaOptions"] = " ".join(flags)
    return settings


def _empty() -> Any:
    return np.zeros(0, dtype=np.int64)


def _ints(values: Any) -> Any:
    return np.unique(np.asarray(values, dtype=np.int64))


def _import_pyspark() -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise EngineUnavailable(f"the Spark engine needs pyspark, which is not installed: {INSTALL}") from None
    return SparkSession


def spark_target(master: str | None = None) -> str:
    """Where a new session goes: `master`, else ``$TRACKER_SPARK``, else ``local[2]``.

    Examples
    --------
    >>> spark_target("local[4]"), spark_target("sc://spark-master:15002")
    ('local[4]', 'sc://spark-master:15002')
    """
    return (master or "").strip() or os.environ.get(SPARK_ENV, "").strip() or DEFAULT_MASTER


def spark_session(master: str | None = None) -> tuple[Any, bool]:
    """The Spark session to use and whether this call started it.

    An active session is reused. Otherwise `master`, else ``$TRACKER_SPARK``, else
    ``local[2]``: ``sc://host:port`` opens a Spark Connect session, anything else is a master
    (``local[N]``, ``spark://host:7077``, ``yarn``). Raises `EngineUnavailable` (with the
    install line) when pyspark is missing or the session cannot start (no Java 17, say).
    """
    SparkSession = _import_pyspark()
    # pyspark warns about pandas releases it has not tested; the engine never goes through pandas.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    active = SparkSession.getActiveSession()
    if active is not None:
        return active, False
    target = spark_target(master)
    try:
        if target.startswith("sc://"):
            # Without gRPC, pyspark's Spark Connect client calls sys.exit(0) on import (pyspark
            # 4.3): check first, so a missing package is an error and not a silent success.
            import importlib.util

            missing = [m for m in ("grpc", "grpc_status") if importlib.util.find_spec(m) is None]
            if missing:
                raise EngineUnavailable(f"Spark Connect to {target} needs {missing[0]}: {CONNECT_INSTALL}")
            session = SparkSession.builder.remote(target).appName("tracker").getOrCreate()
        else:
            if target.startswith("local"):
                # The JVM picks its address before reading any setting; on a host whose name
                # resolves to loopback it warns, unless told the address here.
                os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            settings = _start_jvm(target)
            builder = SparkSession.builder.master(target).appName("tracker")
            for key, value in settings.items():
                builder = builder.config(key, value)
            session = builder.getOrCreate()
    except EngineUnavailable:
        raise
    except ImportError as exc:  # Spark Connect without its client packages
        raise EngineUnavailable(f"Spark Connect to {target} needs {exc.name or 'more packages'}: {CONNECT_INSTALL}") from None
    except Exception as exc:  # noqa: BLE001 - py4j and pyspark raise many kinds; each means "no session"
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise EngineUnavailable(
            f"Spark could not start on {target} ({first}); a local master needs Java 17 or later on PATH and {INSTALL}"
        ) from None
    return session, True


# --- the JVM of a local session ------------------------------------------------------------------

#: The JVM this process started (its `Popen`) and the thread passing its output on to stderr.
_JVM: dict[str, Any] = {}


def _start_jvm(target: str) -> dict[str, str]:
    """Start pyspark's JVM with its stdout and stderr read by a thread, unless one is running.

    pyspark lets the JVM write straight to the process's stdout and stderr. The JVM prints a
    line of its own at start (`JVM_NOISE`) that no log4j setting reaches, and anything on
    stdout would corrupt a command's data, so both go through a pipe to a thread that drops
    the noise and writes the rest to stderr. At exit (or `SparkBackend.close`) the JVM is
    stopped and waited for: no JVM outlives the command, and its CPU time and memory count
    as the command's (``time``, ``wait4``). Returns the session's settings.

    The JVM reads the class archive (`class_archive`) when there is one, else writes it at
    exit, to a name of its own that `_stop_jvm` renames once the JVM has ended well.
    """
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    archive = class_archive()
    if SparkContext._gateway is not None:
        return local_settings(archive if archive is not None and archive.is_file() else None)
    writing: Path | None = None
    if archive is not None and not archive.is_file():
        try:
            archive.parent.mkdir(parents=True, exist_ok=True)
            writing = archive.with_name(f"{archive.stem}.{os.getpid()}.tmp")
        except OSError:
            archive = None  # no cache folder: no archive
    settings = local_settings(writing or archive, writing is not None)
    conf = SparkConf().setMaster(target).setAppName("tracker").setAll(list(settings.items()))
    read, write = os.pipe()
    thread = threading.Thread(target=_pass_on, args=(read,), name="spark-jvm-output", daemon=True)
    thread.start()
    try:
        # (Through Any: pyspark leaves launch_gateway untyped, and without the spark extra mypy
        # sees no pyspark at all, so an ignore comment is unused there and fails `mypy tracker`.)
        launch: Any = launch_gateway
        gateway = launch(conf, popen_kwargs={"stdout": write, "stderr": write})
    finally:
        os.close(write)  # the JVM holds its own copy; the pipe ends when the JVM does
    SparkContext(conf=conf, gateway=gateway)
    _JVM.update(proc=gateway.proc, thread=thread, writing=writing, archive=archive)
    atexit.register(_stop_jvm)
    return settings


def _pass_on(fd: int) -> None:
    """Copy the JVM's output to stderr line by line, without the lines of `JVM_NOISE`."""
    with os.fdopen(fd, "rb") as stream:
        for raw in stream:
            line = raw.decode("utf-8", "replace")
            if line.startswith(JVM_NOISE):
                continue
            try:
                sys.stderr.write(line)
                sys.stderr.flush()
            except (OSError, ValueError):  # stderr closed or replaced by a closed stream
                pass


def _stop_jvm() -> None:
    """Stop the active session and the JVM this process started, and wait for the JVM to exit."""
    proc = _JVM.pop("proc", None)
    thread = _JVM.pop("thread", None)
    writing, archive = _JVM.pop("writing", None), _JVM.pop("archive", None)
    if proc is None:
        return
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    try:
        active = SparkSession.getActiveSession()
        if active is not None:
            active.stop()
        gateway = SparkContext._gateway
        if gateway is not None and getattr(gateway, "proc", None) is proc:
            SparkContext._gateway = None
            SparkContext._jvm = None
            gateway.shutdown()
    except Exception:  # noqa: BLE001, S110 - the JVM may be gone already; it is waited for below
        pass
    try:
        if proc.stdin is not None:
            proc.stdin.close()  # pyspark's gateway server exits when its stdin closes
        proc.wait(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    if thread is not None:
        thread.join(timeout=5)
    if writing is not None:
        try:
            if proc.returncode == 0 and writing.is_file():
                os.replace(writing, archive)  # whole, or not at all: never a half-written archive
            else:
                writing.unlink(missing_ok=True)
        except OSError:
            pass


class SparkBackend:
    """The store's tables as Spark DataFrames; every `Backend` question is one Spark job.

    `master` (or ``$TRACKER_SPARK``) picks the cluster; see `spark_session`. A question about
    a few keys filters a table sorted by that key with a list of literals (`LITERALS`), which
    the Parquet reader turns into skipped row groups; one about many keys joins the table
    with the keys, broadcast. Nothing is made distinct in Spark: each result comes back as
    one Arrow column and is made unique here, which spares every question a shuffle.
    """

    name = "spark"

    def __init__(self, store: Store, master: str | None = None) -> None:
        self.store = store
        self.spark, self._owned = spark_session(master)
        from pyspark.sql import functions as F

        self.F = F
        self._tables: dict[str, Any] = {}
        self._rows: dict[str, int] = {}

    def table(self, name: str) -> Any:
        """One store table as a DataFrame (read lazily, once per backend)."""
        if name not in self._tables:
            self._tables[name] = self.spark.read.parquet(str(self.store.path(name)))
        return self._tables[name]

    def _empty_table(self, name: str) -> bool:
        """Whether a store table has no rows (its Parquet footer, read here: no job)."""
        if name not in self._rows:
            import pyarrow.parquet as pq

            self._rows[name] = int(pq.read_metadata(self.store.path(name)).num_rows)
        return self._rows[name] == 0

    def ids_frame(self, values: Any, column: str = "idx") -> Any:
        """A one-column DataFrame of int64 positions, sent from the driver (as an Arrow table)."""
        import pyarrow as pa

        return self.spark.createDataFrame(pa.table({column: pa.array(_ints(values), type=pa.int64())}))

    def _among(self, table: Any, column: str, values: Any, keys: Any = None) -> Any:
        """`table`'s rows whose `column` is one of `values` (a sorted array of distinct positions).

        Up to `LITERALS` values: a filter by literals, pushed down to the Parquet reader.
        More: a left semi-join with the values broadcast (`keys`, when given, is that
        broadcast frame already made), behind a range filter on the smallest and largest
        value, which still skips row groups when the values are clustered.
        """
        col = table[column]
        if len(values) <= LITERALS:
            return table.where(col.isin([int(v) for v in values]))
        if keys is None:
            keys = self.F.broadcast(self.ids_frame(values, "k"))
        ranged = table.where(col.between(int(values[0]), int(values[-1])))
        return ranged.join(keys, ranged[column] == keys["k"], "left_semi")

    def _collect(self, frame: Any) -> Any:
        """The one column of `frame` as a sorted array of distinct int64 (one job)."""
        table = frame.toArrow()
        if not table.num_rows:
            return _empty()
        return _ints(table.column(0).to_numpy())

    # --- the Backend questions -----------------------------------------------------------------

    def hop(self, frontier: Any, direction: str = "both", ownership_only: bool = False) -> Any:
        frontier = _ints(frontier)
        if not len(frontier):
            return _empty()
        F = self.F
        if direction == "both" and not ownership_only:
            return self._collect(self._among(self.table("adjacency"), "node", frontier).select("nbr"))
        rel = self.table("relations")
        if ownership_only:
            rel = rel.where(F.col("ownership"))
        out = self._among(rel, "src", frontier).select(F.col("dst").alias("n"))
        inn = self._among(rel, "dst", frontier).select(F.col("src").alias("n"))
        if direction == "out":
            return self._collect(out)
        if direction == "in":
            return self._collect(inn)
        return self._collect(out.unionAll(inn))

    def induced(self, nodes: Any) -> Any:
        nodes = _ints(nodes)
        if not len(nodes):
            return _empty()
        if len(nodes) <= LITERALS:
            # The adjacency table holds each relation once from each end, sorted by entity:
            # a relation with both ends among `nodes` is a row whose two entities are.
            adj = self._among(self.table("adjacency"), "node", nodes)
            return self._collect(self._among(adj, "nbr", nodes).select("ridx"))
        keys = self.F.broadcast(self.ids_frame(nodes, "k"))
        rel = self._among(self._among(self.table("relations"), "src", nodes, keys), "dst", nodes, keys)
        return self._collect(rel.select("ridx"))

    def answers(self, relations: Any) -> Any:
        relations = _ints(relations)
        if not len(relations) or self._empty_table("refs"):
            return _empty()
        refs = self.table("refs")
        answering = self._among(refs, "ref", relations).select(self.F.col("ridx").alias("r"))
        answered = self._among(refs, "ridx", relations).select(self.F.col("ref").alias("r"))
        return self._collect(answering.unionAll(answered))

    def endpoints(self, relations: Any) -> Any:
        relations = _ints(relations)
        if not len(relations):
            return _empty()
        rel = self._among(self.table("relations"), "ridx", relations)
        F = self.F
        return self._collect(rel.select(F.col("src").alias("n")).unionAll(rel.select(F.col("dst").alias("n"))))

    def lookup_ids(self, ids: list[str]) -> dict[str, int]:
        if not ids:
            return {}
        rows = self.table("entities").where(self.F.col("id").isin(list(dict.fromkeys(ids)))).select("id", "idx").collect()
        return {str(r["id"]): int(r["idx"]) for r in rows}

    def _view(self, name: str) -> str:
        """A store table as a temporary view of the session, for the shared SQL of `tracker.words`
        (registered again each time: another backend on the same session may have its own)."""
        self.table(name).createOrReplaceTempView(name)
        return name

    def _has_words(self) -> bool:
        return bool(self.store.path(WORDS).is_file() and self.store.path(VOCABULARY).is_file())

    def words_like(self, word: str, shortest: int, longest: int) -> list[str]:
        table = self._view(VOCABULARY if self._has_words() else "names")
        rows = self.spark.sql(vocabulary_sql(table), args=[int(shortest), int(longest), word, len(word)]).collect()
        return [str(r[0]) for r in rows]

    def _close_table(self, query: list[str], close: dict[tuple[str, str], float]) -> tuple[str, str, list[str]]:
        """The close words as the temporary view ``search_close`` (DuckDB's `close_table`)."""
        import pyarrow as pa

        distinct = list(dict.fromkeys(query))
        words = sorted({w for _, w in close})
        columns = {"w": pa.array(words, type=pa.string())}
        for j, q in enumerate(distinct):
            columns[f"s{j}"] = pa.array([close.get((q, w), 0.0) for w in words], type=pa.float64())
        self.spark.createDataFrame(pa.table(columns)).createOrReplaceTempView("search_close")
        if self._has_words():
            return self._view(WORDS), "search_close", words
        self._view("names")
        return NAMES_AS_WORDS, "search_close", words

    def best_names(self, query: list[str], close: dict[tuple[str, str], float], limit: int) -> list[int]:
        source, table, words = self._close_table(query, close)
        return [int(r[0]) for r in self.spark.sql(candidates_sql(source, table, query, words, limit)).collect()]

    def names_to_resolve(self, query: list[str], close: dict[tuple[str, str], float]) -> list[int]:
        source, table, words = self._close_table(query, close)
        return [int(r[0]) for r in self.spark.sql(resolve_sql(source, table, query, words)).collect()]

    def entity_names(self, nodes: Any, extra: tuple[str, ...] = ()) -> list[tuple[Any, ...]]:
        nodes = _ints(nodes)
        if not len(nodes):
            return []
        rows = self._among(self.table("entities"), "idx", nodes).select("idx", "id", "name", "aliases", *extra).collect()
        rows.sort(key=lambda r: int(r["idx"]))
        return [(str(r["id"]), str(r["name"]), list(r["aliases"] or []), *(r[c] for c in extra)) for r in rows]

    def name_keys(self, nodes: Any) -> dict[str, str]:
        nodes = _ints(nodes)
        if not len(nodes):
            return {}
        rows = self._among(self.table("names"), "idx", nodes).select("name", "key").distinct().collect()
        return {str(r["name"]): str(r["key"]) for r in rows}

    def edge_arrays(self) -> dict[str, Any]:
        t = self.table("relations").select("ridx", "src", "dst", "directed", "kind").toArrow().sort_by("ridx")
        return {
            "src": t.column("src").to_numpy(),
            "dst": t.column("dst").to_numpy(),
            "directed": t.column("directed").to_numpy(zero_copy_only=False),
            "kind": np.asarray(t.column("kind").to_pylist(), dtype=object),
        }

    def close(self) -> None:
        """Stop the session if this backend started it (a reused one is left to its owner).

        A local session's JVM is stopped too and waited for (see `_start_jvm`).
        """
        self._tables.clear()
        if self._owned:
            self._owned = False
            if _JVM:
                _stop_jvm()
            else:
                self.spark.stop()


# --- whole-graph metrics as iterated DataFrame joins --------------------------------------------

#: Steps per Spark job in the iterated metrics: the steps of a block are one lazy plan (each
#: step reads the previous one once, so the plan grows linearly), checkpointed at the end and
#: checked with one small collect. A job per step cost 0.7 s a step on 2 cores; blocks share
#: the job overhead.
BLOCK = 20


def _dense(backend: SparkBackend, frame: Any, value: str, fill: float | int, dtype: Any) -> Any:
    """An ``(idx, value)`` DataFrame as a numpy array over every store position (`fill` elsewhere)."""
    out = np.full(backend.store.entity_count, fill, dtype=dtype)
    t = frame.select("idx", value).toArrow()
    if t.num_rows:
        out[t.column("idx").to_numpy()] = t.column(value).to_numpy()
    return out


def _relations(backend: SparkBackend, exclude: Collection[str] = ()) -> Any:
    """The relations table without the kinds in `exclude` (the report's non-tie kinds)."""
    rel = backend.table("relations")
    return rel.where(~backend.F.col("kind").isin(sorted(exclude))) if exclude else rel


def degree(backend: SparkBackend, exclude: Collection[str] = ()) -> dict[str, Any]:
    """Degree columns of every entity, as `tracker.metrics`'s ``degree`` metric defines them.

    ``degree``: relations in and out (a self-loop twice); ``in_degree`` / ``out_degree``:
    directed relations only; ``neighbours``: distinct linked entities (a self-loop twice, as
    networkx counts it on the collapsed undirected graph). One job.
    """
    F = backend.F
    rel = _relations(backend, exclude).select("src", "dst", "directed")
    d = F.col("directed").cast("long")
    ends = rel.select(F.col("src").alias("idx"), F.lit(1).alias("n"), d.alias("o"), F.lit(0).alias("i"), F.lit(0).alias("nb")).union(
        rel.select(F.col("dst").alias("idx"), F.lit(1).alias("n"), F.lit(0).alias("o"), d.alias("i"), F.lit(0).alias("nb"))
    )
    pairs = rel.select(F.least("src", "dst").alias("a"), F.greatest("src", "dst").alias("b")).distinct()
    ends = ends.union(pairs.select(F.col("a").alias("idx"), F.lit(0), F.lit(0), F.lit(0), F.lit(1)))
    ends = ends.union(pairs.select(F.col("b").alias("idx"), F.lit(0), F.lit(0), F.lit(0), F.lit(1)))
    t = (
        ends.groupBy("idx")
        .agg(F.sum("n").alias("degree"), F.sum("i").alias("in_degree"), F.sum("o").alias("out_degree"), F.sum("nb").alias("neighbours"))
        .toArrow()
    )
    n = backend.store.entity_count
    at = t.column("idx").to_numpy()
    out: dict[str, Any] = {}
    for col in ("degree", "in_degree", "out_degree", "neighbours"):
        arr = np.zeros(n, dtype=np.int64)
        arr[at] = t.column(col).to_numpy()
        out[col] = arr
    return out


def _directed_pairs(backend: SparkBackend, exclude: Collection[str] = ()) -> Any:
    """``(a, b, w)``: the collapsed directed graph of `tracker.metrics.Views.directed_pairs`.

    Every relation from its source to its target, undirected ones (family, associate) both
    ways, one row per ordered pair with `w` = how many relations; self-loops kept.
    """
    F = backend.F
    rel = _relations(backend, exclude).select("src", "dst", "directed")
    both = rel.select(F.col("src").alias("a"), F.col("dst").alias("b")).union(
        rel.where(~F.col("directed")).select(F.col("dst").alias("a"), F.col("src").alias("b"))
    )
    return both.groupBy("a", "b").agg(F.count("*").cast("double").alias("w"))


def pagerank(backend: SparkBackend, alpha: float = 0.85, tol: float = 1e-10, max_iter: int = 1000, exclude: Collection[str] = ()) -> Any:
    """PageRank of every entity, the definition `tracker.metrics` gives networkx, as DataFrame joins.

    The graph is the collapsed directed graph weighted by number of relations; the rank of a
    node without out-links (dangling) is spread evenly over all nodes. That PageRank is the
    normalised solution of ``z = alpha z P + 1/N`` with the dangling rows of ``P`` left empty
    (the dangling mass and the teleport share one uniform term), so each step is one join and
    one aggregation with no global sum in it, and `BLOCK` steps make one job. Start uniform;
    stop when the L1 change of one step, over the ranks' total, is below ``N * tol``
    (networkx's rule), checked once per block. Agrees with networkx's `pagerank` within 1e-8
    on the conformance data, as igraph's exact solution does.
    """
    F = backend.F
    spark = backend.spark
    n = backend.store.entity_count
    if not n:
        return np.zeros(0, dtype=np.float64)
    pairs = _directed_pairs(backend, exclude)
    outw = pairs.groupBy("a").agg(F.sum("w").alias("s"))
    # One row per edge with its transition probability, and one per node (p = 0, self = 1) so
    # every node survives the aggregation and carries its previous value for the change test.
    steps = pairs.join(outw, "a").select("a", "b", (F.col("w") / F.col("s")).alias("p"), F.lit(0.0).alias("self"))
    selfs = spark.range(n).select(F.col("id").alias("a"), F.col("id").alias("b"), F.lit(0.0).alias("p"), F.lit(1.0).alias("self"))
    moves = steps.union(selfs).localCheckpoint()
    z = spark.range(n).select(F.col("id").alias("idx"), F.lit(1.0 / n).alias("z"), F.lit(0.0).alias("last")).localCheckpoint()
    teleport = F.lit(1.0 / n)
    done = 0
    while done < max_iter:
        for _ in range(min(BLOCK, max_iter - done)):
            z = (
                moves.join(z.select(F.col("idx").alias("a"), "z"), "a")
                .groupBy(F.col("b").alias("idx"))
                .agg((F.lit(alpha) * F.sum(F.col("z") * F.col("p")) + teleport).alias("z"), F.sum(F.col("z") * F.col("self")).alias("last"))
            )
            done += 1
        z = z.localCheckpoint()
        total, change = z.agg(F.sum("z"), F.sum(F.abs(F.col("z") - F.col("last")))).collect()[0]
        if float(change) / float(total) < n * tol:
            x = z.select("idx", (F.col("z") / F.lit(float(total))).alias("x"))
            return _dense(backend, x, "x", 0.0, np.float64)
    raise EngineUnavailable(f"PageRank did not converge in {max_iter} iterations")  # pragma: no cover - networkx raises too


def components(backend: SparkBackend, max_iter: int = 1000, exclude: Collection[str] = ()) -> Any:
    """The connected component of every entity, labelled by its smallest position.

    Min-label propagation over the undirected relation graph: every entity starts with its own
    position and each step takes the smallest label among itself and its neighbours (`BLOCK`
    steps per job). Before each block every entity jumps to its label's label (pointer
    jumping: a long chain settles in far fewer steps than it has hops). Labels only fall and
    stay inside a component, so once a step changes no label (each step carries the label it
    started from) each component carries its smallest position. Isolated entities are their
    own component.
    """
    F = backend.F
    spark = backend.spark
    n = backend.store.entity_count
    if not n:
        return np.zeros(0, dtype=np.int64)
    rel = _relations(backend, exclude).where(F.col("src") != F.col("dst"))
    links = rel.select(F.col("src").alias("a"), F.col("dst").alias("b")).union(rel.select(F.col("dst").alias("a"), F.col("src").alias("b")))
    links = links.union(spark.range(n).select(F.col("id").alias("a"), F.col("id").alias("b"))).distinct().localCheckpoint()
    labels = spark.range(n).select(F.col("id").alias("idx"), F.col("id").alias("label")).localCheckpoint()
    own = F.when(F.col("a") == F.col("b"), F.col("label"))
    done = 0
    while done < max_iter:
        target = labels.select(F.col("idx").alias("t"), F.col("label").alias("tl"))
        step = labels.join(target, labels["label"] == target["t"]).select("idx", F.least("label", "tl").alias("label"))
        for _ in range(min(BLOCK, max_iter - done)):
            step = (
                links.join(step.select(F.col("idx").alias("a"), "label"), "a")
                .groupBy(F.col("b").alias("idx"))
                .agg(F.min("label").alias("label"), F.min(own).alias("last"))
            )
            done += 1
        step = step.localCheckpoint()
        labels = step.select("idx", "label")
        if not step.where(F.col("label") != F.col("last")).limit(1).count():
            break
    return _dense(backend, labels, "label", -1, np.int64)


#: The centrality metrics Spark computes (`tracker report --engine spark`).
METRICS = ("degree", "pagerank", "component")


def centrality(backend: SparkBackend, names: Sequence[str] | None = None, include_meta: bool = False) -> Any:
    """`tracker.metrics.centrality`'s table for degree, PageRank and components, computed on Spark.

    The same columns, definitions, tie rule (`tracker.metrics.tie_kinds`: relations that are
    not ties between actors left out unless `include_meta`), numbering and order as the
    in-memory table, within PageRank's tolerance; the conformance tests hold the values.
    """
    from tracker import metrics as M
    from tracker.engine import number_groups
    from tracker.model import load_model
    from tracker.store import NodeTable

    chosen = list(dict.fromkeys(names or METRICS))
    unknown = [m for m in chosen if m not in METRICS]
    if unknown:
        raise ValueError(f"Spark computes {', '.join(METRICS)}; not {', '.join(unknown)}")
    model = load_model()
    exclude = set(model.relation_kinds) - M.tie_kinds(model, include_meta)
    nodes = NodeTable(backend.store)
    ids = list(nodes)
    n = len(ids)
    columns: dict[str, Any] = {}
    notes: dict[str, str] = {}
    for name in chosen:
        if name == "degree":
            cols = degree(backend, exclude)
            cols["degree_centrality"] = cols["neighbours"] * (1.0 / (n - 1) if n > 1 else 0.0)
            columns.update(cols)
            notes["degree"] = "degree = number of relations; in/out count directed relations only; neighbours = distinct linked entities"
        elif name == "pagerank":
            columns["pagerank"] = pagerank(backend, exclude=exclude)
            notes["pagerank"] = M.PAGERANK_NOTE.format(solver="tol 1e-10, iterated as Spark DataFrame joins")
        else:
            label = np.asarray(number_groups(components(backend, exclude=exclude), ids), dtype=np.int64) + 1 if n else np.zeros(0, np.int64)
            columns["component"] = label
            columns["component_size"] = np.bincount(label)[label] if n else label
            notes["component"] = (
                f"connected components of the collapsed undirected graph: {int(label.max()) if n else 0}; numbered by size, then smallest id"
            )
    notes["ties"] = M.meta_note(model, include_meta)
    notes["engine"] = f"spark ({backend.spark.sparkContext.master if hasattr(backend.spark, 'sparkContext') else 'Spark Connect'})"
    df = M._frame(nodes, columns, ids)  # type: ignore[arg-type]  # the node table quacks like a graph's nodes
    df.attrs = {"notes": notes, "metrics": chosen, "engine": "spark"}
    first = M.METRICS[chosen[0]]
    return M._sort(df, first.columns[0], first.ascending)
