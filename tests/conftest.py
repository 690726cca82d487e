"""Shared fixtures: the hand-made mini dataset, its graph, and a CliRunner."""

from __future__ import annotations

from pathlib import Path

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
