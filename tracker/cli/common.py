"""Options and output helpers shared by the commands."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

DatasetDir = click.Path(exists=True, file_okay=False, dir_okay=True, readable=True, path_type=Path)
OutFile = click.Path(dir_okay=False, writable=True, path_type=Path, allow_dash=True)
OutDir = click.Path(file_okay=False, dir_okay=True, writable=True, path_type=Path)


def data_option(f: F) -> F:
    """The repeatable --data DIR option every command that reads data takes."""
    return click.option(
        "--data",
        "data",
        type=DatasetDir,
        multiple=True,
        help="A dataset folder; repeat to combine several. Default: the shipped curated dataset.",
    )(f)


def load_graph(data: Sequence[Path]) -> Any:
    """Load and validate the dataset folders and build the canonical graph."""
    from tracker.dataset import load
    from tracker.graph import build
    from tracker.output import protect

    dataset = load(list(data) or None)
    protect(dataset.roots)
    for w in dataset.warnings:
        click.echo(f"warning: {w}", err=True)
    return build(dataset)


def json_mode(fmt: str | None) -> bool:
    """JSON when asked, or by default when stdout is not a terminal."""
    return fmt == "json" or (fmt is None and not sys.stdout.isatty())


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False, default=str))


def say(message: str) -> None:
    """A message for the person at the terminal: stderr, never mixed into data."""
    click.echo(message, err=True)
