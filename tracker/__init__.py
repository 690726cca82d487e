"""tracker: trace the links between a ruling elite, its companies, the City of London and offshore havens.

The public API is re-exported lazily so that `tracker --help` does not pay for pandas and networkx.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

__all__ = ["__version__", "load_dataset", "build_graph", "load_model"]


def __getattr__(name: str) -> Any:
    if name == "load_dataset":
        from tracker.dataset import load

        return load
    if name == "build_graph":
        from tracker.graph import build

        return build
    if name == "load_model":
        from tracker.model import load_model

        return load_model
    raise AttributeError(f"module 'tracker' has no attribute {name!r}")
