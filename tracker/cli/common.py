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
OutPath = click.Path(writable=True, path_type=Path, allow_dash=True)  # a file or a folder, by format

# The format lists, each defined once: tables (tracker.render.FORMATS, listed here so that
# `tracker --help` does not import it), explanations as text or JSON.
TABLE_FORMATS = ("table", "csv", "json", "md")
TEXT_FORMATS = ("text", "json")


class _Option(click.Option):
    """A click option whose help shows only its first names: older spellings still work, unlisted."""

    def __init__(self, *args: Any, shown: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown = shown

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        if not self._shown:
            return super().get_help_record(ctx)
        opts = self.opts
        try:
            self.opts = opts[: self._shown]
            return super().get_help_record(ctx)
        finally:
            self.opts = opts


def format_option(
    choices: Sequence[str], default: str | None = None, human: str = "table", required: bool = False, describe: str = ""
) -> Callable[[F], F]:
    """The one `-f/--format` option: `choices` from the lists above (or a command's own registry).

    Without `default`, the format follows the output: `human` on a terminal, JSON when piped.
    """
    if required:
        how = ""
    elif default is not None:
        how = f" (default: {default})"
    else:
        how = f" (default: {human} on a terminal, JSON when piped)"
    return click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        required=required,
        help=f"Output format{how}.{' ' + describe if describe else ''}",
    )


def output_option(help: str, dest: str = "output", type: click.ParamType = OutFile, default: Any = None, **kwargs: Any) -> Callable[[F], F]:
    """The one `-o/--output` option of every command that writes (`--out`, its older spelling, still works)."""
    return click.option("-o", "--output", "--out", dest, cls=_Option, shown=2, type=type, default=default, help=help, **kwargs)


def data_option(f: F) -> F:
    """The repeatable --data DIR option every command that reads data takes."""
    return click.option(
        "--data",
        "data",
        type=DatasetDir,
        multiple=True,
        help="A dataset folder; repeat to combine several. Default: the dataset in the current folder "
        "(a datapackage.yaml here or in ./datasets), else the shipped curated dataset.",
    )(f)


def load_graph(data: Sequence[Path]) -> Any:
    """Load and validate the dataset folders and build the canonical graph."""
    from tracker.dataset import load
    from tracker.graph import build

    dataset = load(list(data) or None)
    protect_datasets(dataset.roots)
    for w in dataset.warnings:
        click.echo(f"warning: {w}", err=True)
    G = build(dataset)
    note_graph_size(G.number_of_nodes() + G.number_of_edges())
    return G


def protect_datasets(roots: Sequence[Path]) -> None:
    """Refuse, for the rest of the run, any output over a dataset folder in use.

    In use: the folders read, and the dataset folder of the current directory (the default
    `--data`), even when other folders are read: `-o datasets` must never replace the data.
    """
    from tracker.dataset import local_data_dir
    from tracker.output import protect

    local = local_data_dir()
    protect([*roots, *([local] if local is not None else [])])


def announce_data(data: Sequence[Path]) -> None:
    """Say on stderr which folder is read when no --data is given (validate and build)."""
    if not data:
        from tracker.dataset import describe_default

        say(describe_default())


# Above this many nodes and edges, a command that succeeded ends the process at once instead of
# letting Python free millions of objects one by one (measured: 30-60 s at a million nodes).
FAST_EXIT_ITEMS = 500_000
_fast_exit = False


def note_graph_size(items: int) -> None:
    """Remember that this process holds a large graph: it will skip the slow clean-up at exit.

    The collector is also told to leave the graph's objects alone from now on (`gc.freeze`), so
    the metrics phase does not re-scan millions of objects at every full collection.
    """
    global _fast_exit
    if items > FAST_EXIT_ITEMS:
        import gc

        gc.freeze()
        _fast_exit = True


def fast_exit_pending() -> bool:
    return _fast_exit


def json_mode(fmt: str | None) -> bool:
    """JSON when asked, or by default when stdout is not a terminal."""
    return fmt == "json" or (fmt is None and not sys.stdout.isatty())


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False, default=str))


def say(message: str) -> None:
    """A message for the person at the terminal: stderr, never mixed into data."""
    click.echo(message, err=True)


def filter_options(f: F) -> F:
    """Entity and relation filters shared by `view` and `export` (all optional, all combine)."""
    options = [
        click.option(
            "--focus",
            "focus",
            metavar="ENTITY",
            help="Keep only the neighbourhood of ENTITY (an id, name or alias). Jurisdictions, and hubs with "
            "more than 1000 relations (mass registered agents, nominees), are shown but never walked through: "
            "'registered in BVI' does not make every BVI company a neighbour.",
        ),
        click.option("--depth", type=click.IntRange(0, 10), default=2, show_default=True, help="Hops around --focus."),
        click.option(
            "--sphere",
            "spheres",
            multiple=True,
            help="Keep entities of this sphere (repeatable). With --focus, applied after the neighbourhood "
            "is taken: hops count through every entity, then the others are dropped.",
        ),
        click.option(
            "--kind",
            "kinds",
            multiple=True,
            help="Keep entities of this kind (repeatable). With --focus, applied after the neighbourhood is taken.",
        ),
        click.option("--as-of", "as_of", metavar="DATE", help="Keep relations in force on DATE (YYYY, YYYY-MM or YYYY-MM-DD)."),
        click.option(
            "--min-degree", type=click.IntRange(0), default=0, help="Drop entities with fewer relations (after the other filters)."
        ),
    ]
    for option in reversed(options):
        f = option(f)
    return f


def apply_filters(
    G: Any,
    focus: str | None,
    depth: int,
    spheres: Sequence[str],
    kinds: Sequence[str],
    as_of: str | None,
    min_degree: int,
) -> Any:
    """Apply the `filter_options` to the canonical graph; returns a filtered copy.

    With no filter at all `G` itself is returned, not a copy (at ICIJ scale a copy of the whole
    graph costs gigabytes): callers treat the result as read-only. `--kind` and `--sphere` apply
    after the `--focus` neighbourhood is taken (`tracker.graph.select` and `reach`).

    Unknown spheres or kinds and malformed dates are usage errors (exit 2) naming the option.
    """
    from tracker.dates import parse_partial
    from tracker.graph import select
    from tracker.model import load_model

    model = load_model()
    for value in spheres:
        if value not in model.spheres:
            raise click.BadParameter(f"{value!r} is not one of {', '.join(model.spheres)}", param_hint="--sphere")
    for value in kinds:
        if value not in model.entity_kinds:
            raise click.BadParameter(f"{value!r} is not one of {', '.join(model.entity_kinds)}", param_hint="--kind")
    if as_of:
        try:
            parse_partial(as_of)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--as-of") from None
    focus_ids = [resolve_entity(G, focus)] if focus else []
    return select(G, focus_ids, depth, spheres=spheres, kinds=kinds, as_of=as_of or "", min_degree=min_degree)


def resolve_entity(G: Any, query: str, index: list[Any] | None = None) -> str:
    """The id an ENTITY argument names; a close-match notice goes to stderr (`tracker.graph.resolve`).

    Pass the same `index` list to resolve several arguments with one name index.
    """
    from tracker.graph import name_index, resolve

    q = query.strip()
    if q in G:
        return q
    if index is None:
        index = []
    if not index:
        index.append(name_index(G))
    return resolve(G, query, notice=say, index=index[0])
