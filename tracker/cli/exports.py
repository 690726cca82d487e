"""CLI commands for exports (registered on the group in tracker/cli/__init__.py)."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.cli import cli
from tracker.cli.common import OutPath, apply_filters, data_option, filter_options, format_option, output_option, say
from tracker.cli.engines import engine_option, open_graphs

# Kept here (not imported from tracker.export) so that `tracker --help` stays fast.
EXPORT_FORMATS = ("csv", "graphml", "gexf", "json", "ftm", "neo4j")
FOLDER_FORMATS = ("csv", "neo4j")


@cli.command("export")
@format_option(EXPORT_FORMATS, required=True)
@data_option
@output_option("Output folder for csv and neo4j (required); output file for the others ('-' or none: stdout).", dest="out", type=OutPath)
@click.option("--bom", is_flag=True, help="csv only: start each table with a UTF-8 byte-order mark so Excel reads Cyrillic.")
@click.option("--all-sources", is_flag=True, help="csv and json: list every source of the dataset, not only those cited.")
@filter_options
@engine_option
def export_cmd(
    fmt: str,
    data: tuple[Path, ...],
    out: Path | None,
    bom: bool,
    all_sources: bool,
    focus: str | None,
    depth: int,
    spheres: tuple[str, ...],
    kinds: tuple[str, ...],
    as_of: str | None,
    min_degree: int,
    engine: str,
) -> None:
    """Export the graph for spreadsheets, Gephi, web tools, Aleph or Neo4j.

    Formats: csv (nodes, edges and sources tables, citations on every edge, formula-safe),
    graphml and gexf (Gephi; GEXF puts relation dates on the timeline), json (node-link),
    ftm (FollowTheMoney JSON lines for Aleph), neo4j (import CSVs and a LOAD CSV script).
    The entity filters are those of `tracker view`.

    \b
    Example:
        tracker export --format csv -o exports/csv --bom
        tracker export --format gexf -o elite.gexf --sphere elite --sphere offshore
        tracker export --format ftm --focus "Timur Kulibayev" --depth 1 > kulibayev.ftm.json
        tracker export --format neo4j -o exports/neo4j
    """
    if fmt in FOLDER_FORMATS and (out is None or str(out) == "-"):
        raise click.UsageError(f"--format {fmt} writes a folder of files: give it with -o FOLDER")
    if bom and fmt != "csv":
        raise click.UsageError("--bom applies only to --format csv")
    if all_sources and fmt not in ("csv", "json"):
        raise click.UsageError("--all-sources applies only to --format csv and json")

    from tracker.export import export_bytes, export_graph

    graphs = open_graphs(data, engine)
    focus_id = graphs.resolve(focus, notice=say) if focus else None
    G = apply_filters(graphs.scope([focus_id] if focus_id else [], depth), focus_id, depth, spheres, kinds, as_of, min_degree)
    from tracker.query import public

    G = public(G.copy() if "hubs" in G.graph else G)
    if out is None or str(out) == "-":
        click.echo(export_bytes(G, fmt, all_sources=all_sources), nl=False)
        return
    paths = export_graph(G, fmt, out, bom=bom, all_sources=all_sources)
    where = out if fmt in FOLDER_FORMATS else paths[0]
    say(f"wrote {fmt}: {G.number_of_nodes()} entities, {G.number_of_edges()} relations to {where}")
