"""CLI commands for imports (registered on the group in tracker/cli/__init__.py): import, match."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tracker.cli import cli
from tracker.cli.common import DatasetDir, OutDir, OutFile, say

IMPORT_FORMATS = ("bods", "ftm", "icij", "psc")  # tracker.importers.FORMATS, kept here so --help stays fast
EVIDENCE = (
    "official_register",
    "court_judgment",
    "company_filing",
    "government_statement",
    "investigative_report",
    "news_report",
    "allegation",
)


def _progress(every: int = 10_000):  # type: ignore[no-untyped-def]
    """A counter on stderr every `every` records, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None

    def tick(n: int) -> None:
        if n % every == 0:
            click.echo(f"\r{n:,} records read", err=True, nl=False)

    return tick


def _refuse_foreign_dataset(out: Path) -> None:
    """Refuse an --out folder holding a dataset that an earlier `tracker import` did not write.

    Re-importing into the same folder refreshes it, but a curated dataset given by mistake
    would be overwritten file by file: that is the user's own work, so it is refused.
    """
    import yaml

    from tracker.dataset import DESCRIPTOR, FILES
    from tracker.exc import OutputError
    from tracker.output import check_not_input

    for name in (*FILES.values(), DESCRIPTOR):
        check_not_input(out / name)  # an input file there is the clearer refusal
    if not out.exists():
        return
    present = [name for name in (*FILES.values(), DESCRIPTOR) if (out / name).exists()]
    if not present:
        return
    try:
        descriptor = yaml.safe_load((out / DESCRIPTOR).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        descriptor = None
    if isinstance(descriptor, dict) and str(descriptor.get("description", "")).startswith("Imported with `tracker import"):
        return
    raise OutputError(
        f"{out}: holds a dataset that `tracker import` did not write ({', '.join(present)}); refusing to overwrite it: choose a new --out folder"
    )


@cli.command("import")
@click.argument("fmt", metavar="FORMAT", type=click.Choice(IMPORT_FORMATS))
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=True, path_type=Path))
@click.option("--out", "out", type=OutDir, required=True, help="Dataset folder to write (created if needed).")
@click.option(
    "--base",
    "base",
    type=DatasetDir,
    multiple=True,
    help="A dataset folder whose jurisdictions the import reuses instead of repeating them (repeatable).",
)
@click.option("--url", default="", help="Address of the source dataset, for records the data gives no page for.")
@click.option("--title", default="", help="Title of the source dataset.")
@click.option("--publisher", default="", help="Publisher of the source dataset.")
@click.option("--licence", default="", help="Licence of the source dataset, e.g. CC-BY-4.0.")
@click.option(
    "--retrieved", default="", metavar="DATE", help="When the files were downloaded (default: the file's own date, if it has one)."
)
@click.option("--evidence", type=click.Choice(EVIDENCE), default=None, help="Evidence status of the source (default: per format).")
@click.option("--name", default="", help="Dataset name in datapackage.yaml (default: the folder name).")
@click.option(
    "--store/--no-store",
    "store",
    default=True,
    help="Compile the imported folder's store right away, so that the first query does not wait (default: yes).",
)
def import_cmd(
    fmt: str,
    files: tuple[Path, ...],
    out: Path,
    base: tuple[Path, ...],
    url: str,
    title: str,
    publisher: str,
    licence: str,
    retrieved: str,
    evidence: str | None,
    name: str,
    store: bool,
) -> None:
    """Import bulk data (ftm, icij, bods or psc) into a dataset folder.

    FILES are the format's files (ICIJ: the bulk CSV folder or any of its files). The folder
    written passes `tracker validate` and every command takes it with --data. A summary of
    records read, mapped and skipped (with the reason) goes to stderr. The folder's store is
    then compiled (the summary says so), unless --no-store.

    \b
    Example:
        tracker import icij full-oldb/ --out imports/icij --base datasets
        tracker import psc psc-snapshot.txt --out imports/psc
        tracker build --data datasets --data imports/icij
    """
    from tracker.importers import Meta, run_import
    from tracker.output import protect

    if url and not url.lower().startswith(("http://", "https://")):
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="--url")
    protect(list(files) + list(base))
    _refuse_foreign_dataset(out)
    meta = Meta(url=url, title=title, publisher=publisher, licence=licence, retrieved=retrieved, evidence=evidence or "", name=name)
    summary = run_import(fmt, list(files), out, meta, base=list(base), progress=_progress(), notice=say)
    if sys.stderr.isatty():
        click.echo("", err=True)
    for line in summary.lines():
        say(line)
    say(f"wrote {out}")
    if store and base:
        # With --base the folder refers to the base folders' jurisdictions and does not load on
        # its own; its store is compiled on first use, with the folders it is read with.
        say("store: not compiled now (the folder is read with its --base folders); it compiles on first use")
    elif store:
        # The store of the folder alone, which `--data DIR` reads; compiling it now (column-wise
        # on clean imported data) spares the first query the wait.
        from tracker.store import open_store

        open_store([out], say=say)


@cli.command("match")
@click.option("--data", "data", type=DatasetDir, multiple=True, required=True, help="A dataset folder; give two or more.")
@click.option(
    "-o",
    "--output",
    "output",
    type=OutFile,
    default="-",
    show_default=True,
    help="Decisions CSV to write (kept decisions are preserved); - for stdout.",
)
@click.option("--threshold", type=click.FloatRange(0, 100), default=85.0, show_default=True, help="Lowest score proposed (0-100).")
def match_cmd(data: tuple[Path, ...], output: Path, threshold: float) -> None:
    """Propose entities across datasets that are the same real entity, for review.

    Names are compared across scripts (Cyrillic and Latin, Kazakh letters), ignoring case,
    accents, the order of name parts and company suffixes; birth dates, identifiers and
    countries confirm or contradict. Each proposal is scored and explained. Review the file:
    set decision to same or not_same; `build` merges only rows marked same when the file is
    saved as decisions.csv in a dataset folder.

    \b
    Example:
        tracker match --data datasets --data imports/icij -o imports/icij/decisions.csv
    """
    from tracker.dataset import DESCRIPTOR, FILES
    from tracker.match import propose, write_decisions
    from tracker.output import protect

    if len(data) < 2:
        raise click.UsageError("give at least two --data folders to match across")
    # The data files are inputs and never written; a folder's decisions.csv may be: the
    # documented workflow writes it in place, and every decision already in it is kept.
    protect([Path(d) / name for d in data for name in (*FILES.values(), DESCRIPTOR)])
    rows = propose([Path(d) for d in data], threshold=threshold)
    text = write_decisions(rows, None if str(output) == "-" else output)
    if str(output) == "-":
        click.echo(text, nl=False)
    pending = sum(1 for r in rows if r.decision == "pending")
    say(f"{len(rows)} candidate pairs ({pending} pending review) at threshold {threshold:g}")
