"""Shared fixtures: the hand-made mini dataset, its graph, and a CliRunner."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner

from tracker.dataset import Dataset, load
from tracker.graph import build

FIXTURES_PATH = Path(__file__).parent / "fixtures"
MINI_PATH = FIXTURES_PATH / "mini"
BROKEN_PATH = FIXTURES_PATH / "broken"
SHARED_PATH = Path(__file__).resolve().parents[1].parent / "shared"


@pytest.fixture(autouse=True, scope="session")
def _store_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Compiled stores go to a temporary folder, never to the user's cache (tracker.store)."""
    import os

    os.environ["TRACKER_STORE"] = str(tmp_path_factory.mktemp("stores"))
    # No Spark class archive either (tracker.backends.spark.class_archive): writing one costs
    # a session's end about 40 s of CPU; tests/test_spark.py tests it in a folder of its own.
    os.environ["TRACKER_SPARK_CACHE"] = "off"


@pytest.fixture(scope="module")
def cli_runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def mini_dataset() -> Dataset:
    return load([MINI_PATH])


@pytest.fixture()
def mini_graph(mini_dataset: Dataset) -> nx.MultiDiGraph:
    """A fresh canonical graph of the mini dataset (tests may change it)."""
    return build(mini_dataset)


@pytest.fixture(scope="session")
def shared_path() -> Path:
    """../shared beside the project, or skip: the project never depends on it."""
    if not SHARED_PATH.is_dir():
        pytest.skip("../shared is absent")
    return SHARED_PATH


def spark_missing() -> str | None:
    """Why the Spark engine cannot run here (no pyspark, no Java), or None."""
    import importlib.util
    import os
    import shutil

    if importlib.util.find_spec("pyspark") is None:
        return "pyspark is not installed (pip install '.[spark]')"
    if not os.environ.get("TRACKER_SPARK", "").startswith("sc://") and shutil.which("java") is None:
        return "no Java runtime on PATH (a local Spark master needs Java 17)"
    return None


@pytest.fixture(scope="session")
def spark_session() -> Any:
    """One Spark session for every Spark test (starting one costs 13-30 s).

    Skipped where pyspark or Java is missing, but failed when ``CI=true``: in CI a missing
    install step must not pass as a skip.
    """
    import os

    missing = spark_missing()
    if missing:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the Spark tests must run in CI: {missing}")
        pytest.skip(missing)
    from tracker.backends.spark import spark_session as start

    session, owned = start()
    yield session
    if owned:
        session.stop()
