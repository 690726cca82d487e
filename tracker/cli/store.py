"""CLI commands for the compiled store: where it is, whether it is current, compile it, delete it."""

from __future__ import annotations

import json
from pathlib import Path

import click

from tracker.cli import cli
from tracker.cli.common import data_option, say


@cli.group("store")
def store_group() -> None:
    """The compiled store: the data validated once and kept as Parquet for fast queries.

    Every command that reads data compiles the store of its --data folders when it is missing
    or an input changed (and says so on stderr). The store is a cache: deleting it is always
    safe. It lives under $TRACKER_STORE, or the user's cache folder (~/.cache/tracker/store).
    """


@store_group.command("info")
@data_option
def store_info(data: tuple[Path, ...]) -> None:
    """Print where the store of the --data folders is and what it holds (JSON on stdout)."""
    from tracker.store import MANIFEST, store_dir

    folders = list(data) or None
    where = store_dir(folders)
    info: dict[str, object] = {"path": str(where), "exists": (where / MANIFEST).is_file()}
    if info["exists"]:
        manifest = json.loads((where / MANIFEST).read_text(encoding="utf-8"))
        info.update({k: manifest.get(k) for k in ("format", "tracker", "name", "entities", "relations", "sources", "content_hash")})
        info["inputs"] = [i.get("path") for i in manifest.get("inputs", [])]
    click.echo(json.dumps(info, ensure_ascii=False, indent=2))


@store_group.command("compile")
@data_option
def store_compile(data: tuple[Path, ...]) -> None:
    """Compile (or check) the store of the --data folders now, so that later queries start at once."""
    from tracker.store import open_store

    store = open_store(list(data) or None, say=say)
    say(f"store current: {store.entity_count} entities, {store.relation_count} relations in {store.root}")


@store_group.command("clear")
@data_option
@click.option("--all", "all_", is_flag=True, help="Delete every store, not only the one of the --data folders.")
def store_clear(data: tuple[Path, ...], all_: bool) -> None:
    """Delete the store of the --data folders (or every store with --all); it is rebuilt when needed."""
    from tracker.store import clear_stores

    gone = clear_stores(None if all_ else (list(data) or []))
    say(f"deleted {len(gone)} store{'s' if len(gone) != 1 else ''}" + (f": {', '.join(str(p) for p in gone)}" if gone else ""))
