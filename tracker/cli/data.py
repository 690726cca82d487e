"""CLI commands over the data itself: schema, validate, build."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.cli import EXIT_ERROR, cli
from tracker.cli.common import OutDir, announce_data, data_option, echo_json, output_option, say


@cli.command("schema")
@click.option("--json", "as_json", is_flag=True, help="Print the model as JSON.")
def schema_cmd(as_json: bool) -> None:
    """Print the data model: spheres, evidence statuses, entity and relation kinds.

    \b
    Example:
        tracker schema
        tracker schema --json | jq '.relation_kinds.owns'
    """
    from tracker.model import load_model

    model = load_model()
    if as_json:
        echo_json(model.to_dict())
        return
    click.echo("Spheres:")
    for s in model.spheres.values():
        click.echo(f"  {s.name:<16} {s.description}")
    click.echo("\nEvidence statuses (strongest first):")
    for e in sorted(model.evidence_statuses.values(), key=lambda e: -e.rank):
        click.echo(f"  {e.name:<22} {e.description}")
    click.echo("\nEntity kinds:")
    for k in model.entity_kinds.values():
        click.echo(f"  {k.name:<22} FtM {k.ftm:<13} {k.description}")
    click.echo("\nRelation kinds (source kinds -> target kinds):")
    for r in model.relation_kinds.values():
        arrow = "->" if r.directed else "<->"
        fields = f" [{', '.join(sorted(r.fields))}]" if r.fields else ""
        click.echo(f"  {r.name:<20} {', '.join(sorted(r.source))} {arrow} {', '.join(sorted(r.target))}{fields}")
        click.echo(f"  {'':<20} {r.description}")


@cli.command("validate")
@data_option
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
def validate_cmd(data: tuple[Path, ...], as_json: bool) -> None:
    """Check dataset folders and list every problem with file, line and field.

    Exits 1 if there is any error; warnings alone exit 0.

    \b
    Example:
        tracker validate
        tracker validate --data datasets --data ~/my-research --json
    """
    from tracker.dataset import default_data_dir
    from tracker.validate import validate_paths

    announce_data(data)
    report = validate_paths(list(data) or [default_data_dir()])
    if as_json:
        echo_json(report.as_dict())
    else:
        for e in report.errors + report.warnings:
            click.echo(str(e), err=True)
        counts = ", ".join(f"{n} {k}" for k, n in report.counts.items())
        state = "valid" if report.ok else "INVALID"
        say(f"{state}: {counts}; {len(report.errors)} errors, {len(report.warnings)} warnings")
    if not report.ok:
        raise SystemExit(EXIT_ERROR)


@cli.command("build")
@data_option
@output_option("Folder for the outputs.", dest="out", type=OutDir, default=Path("graphs"), show_default=True)
@click.option("--no-view", is_flag=True, help="Skip the HTML network view.")
def build_cmd(data: tuple[Path, ...], out: Path, no_view: bool) -> None:
    """Load, validate and build the graph, then write every output to a folder.

    Writes the graph (GraphML, node-link JSON), nodes/edges/sources CSV tables with citations,
    the centrality table and the HTML network view. The same input gives byte-identical files.

    \b
    Example:
        tracker build
        tracker build --data datasets --data ~/my-research -o graphs/combined
    """
    from tracker.cli.common import note_graph_size, protect_datasets
    from tracker.pipeline import run_build

    announce_data(data)
    protect_datasets([])
    result = run_build(list(data), out, view=not no_view, say=say)
    note_graph_size(result.graph.number_of_nodes() + result.graph.number_of_edges())
    for line in result.summary():
        say(line)
