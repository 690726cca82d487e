"""The Spark engine's own behaviour: install errors, where a session goes, whose session it is.

Its answers are tested in tests/test_conformance.py, against networkx and DuckDB.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from conftest import MINI_PATH, spark_missing

from tracker.backends import spark
from tracker.cli import cli
from tracker.exc import EngineUnavailable, TrackerError
from tracker.store import open_store


@pytest.fixture()
def no_pyspark(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make ``import pyspark`` fail, as on a machine without the extra."""
    for name in [m for m in sys.modules if m == "pyspark" or m.startswith("pyspark.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)


def test_without_pyspark_the_error_names_the_install_line(no_pyspark: None) -> None:
    store = open_store([MINI_PATH])
    with pytest.raises(EngineUnavailable) as info:
        spark.SparkBackend(store)
    assert "pip install 'tracker[spark]'" in str(info.value)
    assert isinstance(info.value, TrackerError)


def test_without_pyspark_the_cli_exits_2_with_the_install_line(no_pyspark: None) -> None:
    result = CliRunner().invoke(cli, ["neighbours", "mini-person", "--data", str(MINI_PATH), "--engine", "spark"])
    assert result.exit_code == 2, result.output
    assert "pip install 'tracker[spark]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_the_master_comes_from_the_argument_then_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACKER_SPARK", raising=False)
    assert spark.spark_target() == "local[2]"
    monkeypatch.setenv("TRACKER_SPARK", " sc://spark-master:15002 ")
    assert spark.spark_target() == "sc://spark-master:15002"
    assert spark.spark_target("local[1]") == "local[1]"


def test_spark_connect_without_grpc_is_an_error_not_an_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyspark's Connect client calls sys.exit(0) on import without gRPC: caught before that."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None or importlib.util.find_spec("grpc") is not None:
        pytest.skip("needs pyspark without gRPC")
    from pyspark.sql import SparkSession

    monkeypatch.setattr(SparkSession, "getActiveSession", staticmethod(lambda: None))
    with pytest.raises(EngineUnavailable, match=r"needs grpc: pip install 'pyspark\[connect\]'"):
        spark.spark_session("sc://127.0.0.1:15002")


def test_local_settings_are_the_measured_ones() -> None:
    s = spark.LOCAL_SETTINGS
    assert s["spark.ui.enabled"] == "false"
    assert s["spark.driver.host"] == s["spark.driver.bindAddress"] == "127.0.0.1"
    assert s["spark.driver.extraJavaOptions"] == "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    assert s["spark.driver.memory"] == "1g"
    assert int(s["spark.sql.shuffle.partitions"]) <= 8
    # Lists of literals up to LITERALS long reach the Parquet reader as they are (Spark's
    # default, 10, turns longer ones into a range that skips nothing in a sorted table).
    assert s["spark.sql.parquet.pushdown.inFilterThreshold"] == str(spark.LITERALS) == "256"


def test_the_jvm_is_given_the_log4j_file_that_prints_only_errors() -> None:
    options = spark.local_settings()["spark.driver.extraJavaOptions"].split()
    assert options[:2] == ["-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
    assert options[2] == "-Dlog4j2.configurationFile=" + spark.LOG4J_CONFIG.resolve().as_uri()
    text = spark.LOG4J_CONFIG.read_text(encoding="utf-8")
    assert "rootLogger.level = error" in text and "appender.console.target = SYSTEM_ERR" in text
    # The logger of the class that starts pyspark's JVM has a level of its own, or Spark
    # announces "Setting default log level to WARN" on stderr.
    assert "logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer" in text


def _spark_here() -> None:
    """Skip where Spark cannot run, fail in CI (the rule of conftest's ``spark_session``)."""
    missing = spark_missing()
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the Spark tests must run in CI: {missing}")
        pytest.skip(missing)


@pytest.mark.spark
def test_a_spark_command_writes_its_answer_and_nothing_else(tmp_path: Path) -> None:
    """Whole `tracker` processes on Spark: the answer on stdout, an empty stderr, no JVM left.

    Before, a session's start wrote six lines to stderr (the JVM's incubator-module warning,
    "Using Spark's default log4j profile", "Setting default log level to WARN", how to change
    it, a NativeCodeLoader WARN, "Setting Spark log level"), and the JVM outlived the
    command, its CPU time counted by no one. Twice: the first run writes the JVM's class
    archive at exit (the JVM's warnings about it must not show), the second reads it.
    """
    _spark_here()
    cache = tmp_path / "spark-cache"
    env = {**os.environ, "TRACKER_STORE": str(tmp_path / "stores"), spark.SPARK_CACHE_ENV: str(cache)}
    # The store first, so that the command has nothing to say about compiling it.
    compiled = subprocess.run(
        [sys.executable, "-m", "tracker", "store", "compile", "--data", str(MINI_PATH)], env=env, capture_output=True, text=True
    )
    assert compiled.returncode == 0, compiled.stderr
    for run in ("writes the class archive", "reads it"):
        mark = uuid.uuid4().hex
        proc = subprocess.Popen(
            [sys.executable, "-m", "tracker", "neighbours", "beta-daughter", "--data", str(MINI_PATH), "--engine", "spark", "-f", "json"],
            env={**env, "TRACKER_TEST_MARK": mark},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, (run, err)
        assert err == "", run
        # tests/fixtures/mini: beta-daughter's relations r01 (alpha-ruler), r02
        # (gamma-soninlaw), r03 (theta-foundation), r08 (eta-law).
        answer = json.loads(out)
        assert [(n["id"], n["distance"]) for n in answer["neighbours"]] == [
            ("alpha-ruler", 1),
            ("eta-law", 1),
            ("gamma-soninlaw", 1),
            ("theta-foundation", 1),
        ], run
        # One archive, whole (renamed from its temporary name once the JVM ended well).
        assert [p.suffix for p in cache.iterdir()] == [".jsa"], run
        # The JVM was stopped and waited for before the command exited: no process carries
        # the command's environment any more.
        if Path("/proc/self/environ").is_file():
            left = []
            for env_file in Path("/proc").glob("[0-9]*/environ"):
                try:
                    if f"TRACKER_TEST_MARK={mark}".encode() in env_file.read_bytes():
                        left.append(env_file.parent.name)
                except OSError:
                    continue
            assert left == [], run


def test_the_class_archive_is_per_pyspark_and_java_and_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    pytest.importorskip("pyspark")
    monkeypatch.setenv(spark.SPARK_CACHE_ENV, "off")
    assert spark.class_archive() is None
    monkeypatch.setenv(spark.SPARK_CACHE_ENV, str(tmp_path))
    archive = spark.class_archive()
    assert archive is not None and archive.parent == tmp_path and archive.suffix == ".jsa"
    monkeypatch.setattr(spark, "JVM_OPTIONS", "-XX:+UseParallelGC")
    assert spark.class_archive() != archive  # other JVM flags, another archive
    flags = spark.local_settings(archive, writing=True)["spark.driver.extraJavaOptions"].split()
    assert flags[-1] == f"-XX:ArchiveClassesAtExit={archive}" and "-Xlog:disable" in flags
    assert spark.local_settings(archive)["spark.driver.extraJavaOptions"].split()[-1] == f"-XX:SharedArchiveFile={archive}"


@pytest.mark.spark
def test_a_running_session_is_reused_and_left_running(spark_session: Any) -> None:
    backend = spark.SparkBackend(open_store([MINI_PATH]))
    assert backend.spark is spark_session
    backend.close()
    assert spark_session.range(3).count() == 3  # close() did not stop a session it did not start


@pytest.mark.spark
def test_empty_questions_start_no_job(spark_session: Any) -> None:
    backend = spark.SparkBackend(open_store([MINI_PATH]))
    assert len(backend.hop([])) == len(backend.induced([])) == len(backend.answers([])) == len(backend.endpoints([])) == 0
    assert backend.lookup_ids([]) == {} and backend.entity_names([]) == []
    assert backend.name_keys([]) == {}


@pytest.mark.spark
@pytest.mark.parametrize("literals", [spark.LITERALS, 0], ids=["literal-lists", "broadcast-joins"])
def test_mini_answers_worked_out_by_hand(spark_session: Any, literals: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """tests/fixtures/mini: 14 entities (positions in id order), 18 relations r01-r18.

    Twice: with the few keys of these questions as lists of literals (the path of small
    questions), and with every key set joined as a broadcast table (the path of large ones).
    """
    from tracker import query

    monkeypatch.setattr(spark, "LITERALS", literals)

    store = open_store([MINI_PATH])
    backend = spark.SparkBackend(store)
    pos = {e: i for i, e in enumerate(store.ids())}
    assert pos["alpha-ruler"] == 0 and pos["zeta-bank"] == 13
    assert backend.lookup_ids(["vg", "no-such-id", "beta-daughter"]) == {"vg": 12, "beta-daughter": 1}
    # vg: r09 delta-holdings registered_in vg, r14 vg ranked lambda-ngo.
    assert backend.hop([pos["vg"]]).tolist() == [pos["delta-holdings"], pos["lambda-ngo"]]
    # Owners of delta-holdings by ownership relations: gamma (r05 owns), zeta-bank (r17 owns).
    assert backend.hop([pos["delta-holdings"]], "in", ownership_only=True).tolist() == [pos["gamma-soninlaw"], pos["zeta-bank"]]
    # beta-daughter, one hop: r01 alpha, r02 gamma, r03 theta, r08 eta-law; among them also
    # r12 (gamma alleged alpha) and r13 (alpha's response).
    ex = query.neighbourhood(backend, ["beta-daughter"], 1)
    assert ex.core == ["alpha-ruler", "beta-daughter", "eta-law", "gamma-soninlaw", "theta-foundation"]
    assert sorted(k for _, _, k in ex.core_graph().edges(keys=True)) == ["r01", "r02", "r03", "r08", "r12", "r13"]
    # Above epsilon-mining: delta-holdings (r06), then gamma (r05) and zeta-bank (r17); r07
    # (underwrote) is not ownership.
    assert query.chain_region(backend, "epsilon-mining", True, 12).core == [
        "delta-holdings",
        "epsilon-mining",
        "gamma-soninlaw",
        "zeta-bank",
    ]
    # alpha-ruler - gamma-soninlaw (r12, r13) - delta-holdings (r05) - epsilon-mining (r06).
    assert query.path_region(backend, "alpha-ruler", "epsilon-mining", 4)[1] == 3
    assert query.resolve(backend, "Гамма Құлыбаев") == "gamma-soninlaw"
    # Degree by hand: delta-holdings has r05, r06, r09, r17; gamma r02, r05, r12, r13, r16, r18.
    deg = spark.degree(backend)
    assert deg["degree"][pos["delta-holdings"]] == 4 and deg["degree"][pos["gamma-soninlaw"]] == 6
    # In and out count directed relations only (r02, family, is not): gamma's out are r05, r12,
    # r16, r18; its in is r13 (alpha's response).
    assert deg["out_degree"][pos["gamma-soninlaw"]] == 4 and deg["in_degree"][pos["gamma-soninlaw"]] == 1


def test_report_on_spark_refuses_what_it_does_not_compute() -> None:
    result = CliRunner().invoke(cli, ["report", "--data", str(MINI_PATH), "--engine", "spark", "-m", "betweenness"])
    assert result.exit_code == 2
    assert "--engine spark computes --table centrality with --metric degree, pagerank, component only" in result.stderr


@pytest.mark.spark
def test_report_on_spark_is_the_in_memory_table(spark_session: Any) -> None:
    """Degree, PageRank (to the 6 decimals printed) and components: Spark's table is networkx's."""
    args = ["report", "--data", str(MINI_PATH), "-m", "degree", "-m", "pagerank", "-m", "component", "--top", "0", "-f", "csv"]
    memory = CliRunner().invoke(cli, [*args, "--engine", "networkx"])
    on_spark = CliRunner().invoke(cli, [*args, "--engine", "spark"])
    assert memory.exit_code == 0 and on_spark.exit_code == 0, on_spark.output
    assert on_spark.stdout == memory.stdout
    # By hand from tests/fixtures/mini/relations.csv, ties between actors only: gamma-soninlaw
    # has 6 relations but r13 is a response (not a tie), so degree 5; the Lambda index is linked
    # only by rankings, so it is alone in the second component.
    rows = {line.split(",")[0]: line.split(",") for line in on_spark.stdout.splitlines()[1:]}
    assert rows["gamma-soninlaw"][4:8] == ["5", "0", "4", "5"]
    assert rows["lambda-ngo"][-2:] == ["2", "1"] and rows["alpha-ruler"][-2:] == ["1", "13"]
    assert "engine: spark" in on_spark.stderr
