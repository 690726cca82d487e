"""CLI commands for views (registered on the group in tracker/cli/__init__.py)."""

from __future__ import annotations

from pathlib import Path

import click

from tracker.cli import cli
from tracker.cli.common import apply_filters, data_option, filter_options, format_option, output_option, say
from tracker.cli.engines import engine_option

SIZE_CHOICES = ("pagerank", "betweenness", "degree")  # tracker.views.SIZE_BY, without importing pyvis here
LAYOUT_CHOICES = ("force", "spheres")  # tracker.views.LAYOUTS
MAX_PATHS = 20  # shortest paths drawn at most; more only repeat the same hops


@cli.command("view")
@data_option
@filter_options
@click.option("--path", "path_ends", nargs=2, metavar="A B", help="Highlight the shortest paths between entities A and B.")
@click.option(
    "--size-by",
    type=click.Choice(SIZE_CHOICES),
    default="pagerank",
    show_default=True,
    help="Centrality that sizes the entities.",
)
@click.option(
    "--layout",
    type=click.Choice(LAYOUT_CHOICES),
    default="force",
    show_default=True,
    help="How the page opens: a force-directed map, or the four spheres as bands left to right "
    "(elite, companies, City of London, offshore; others below). The page can switch.",
)
@click.option("--title", help="Page title. Default: 'tracker: <dataset>' and what the filters keep.")
@output_option("HTML file to write ('-' for stdout).", default=Path("graphs/view.html"), show_default=True)
@click.option("--open", "open_", is_flag=True, help="Open the page in the default browser afterwards.")
@engine_option
def view(
    data: tuple[Path, ...],
    focus: str | None,
    depth: int,
    spheres: tuple[str, ...],
    kinds: tuple[str, ...],
    as_of: str | None,
    min_degree: int,
    path_ends: tuple[str, str] | None,
    size_by: str,
    layout: str,
    title: str | None,
    output: Path,
    open_: bool,
    engine: str,
) -> None:
    """Write the interactive network as one offline HTML file.

    The page needs no network: search names in Latin or Cyrillic, filter by sphere, kind,
    relation, evidence or date, and click any entity or line to read every source.

    \b
    Example:
        tracker view --focus "Timur Kulibayev" --depth 2 -o kulibayev.html
        tracker view --path "Timur Kulibayev" "Zeta Bank" -o path.html --open
        tracker view --layout spheres -o graphs/spheres.html
    """
    from tracker.cli.engines import open_graphs
    from tracker.graph import with_paths
    from tracker.output import write_text
    from tracker.query import public
    from tracker.views import render_view, with_answers

    graphs = open_graphs(data, engine)
    focus_id = graphs.resolve(focus, notice=say) if focus else None
    ends = [graphs.resolve(end, notice=say) for end in path_ends] if path_ends else []
    G = graphs.scope([focus_id] if focus_id else [], depth, ends)
    H = apply_filters(G, focus_id, depth, spheres, kinds, as_of, min_degree)
    highlight: list[list[str]] = []
    if path_ends:
        a, b = ends
        H, highlight = with_paths(G, H, a, b, MAX_PATHS)
    H = public(with_answers(G, H))
    made_with = {
        "focus": focus_id,
        "depth": depth if focus_id else None,
        "path": [a, b] if path_ends else [],
        "spheres": list(spheres),
        "kinds": list(kinds),
        "as_of": as_of or "",
        "min_degree": min_degree,
    }
    html = render_view(
        H,
        title=title,
        size_by=size_by,
        highlight=highlight,
        focus=focus_id,
        layout=layout,
        made_with=made_with,
        name_keys=graphs.name_keys(H),
    )
    if str(output) == "-":
        click.echo(html, nl=False)
        return
    write_text(output, html)
    say(f"wrote {output} ({H.number_of_nodes()} entities, {H.number_of_edges()} relations)")
    if open_:
        click.launch(str(output.resolve()))


@cli.command("dossier")
@data_option
@click.argument("entity")
@format_option(("html", "md"), default="html", describe="One offline HTML page, or Markdown for a newsroom's editor.")
@output_option("File to write ('-' for stdout).", default=Path("-"), show_default=True)
def dossier(data: tuple[Path, ...], entity: str, fmt: str, output: Path) -> None:
    """Write one page about one entity: who it is, every relation with its sources, chains, paths.

    Names in every script and identifiers; every relation grouped by kind with its evidence,
    outcome, answering relations and sources; ownership chains up and down; the shortest
    explained paths to the City of London and to offshore jurisdictions; centrality ranks; a
    small drawing of its neighbourhood; and the disclaimer.

    \b
    Example:
        tracker dossier "Timur Kulibayev" -o kulibayev.html
        tracker dossier timur-kulibayev --format md > kulibayev.md
    """
    from tracker.cli.common import load_graph, resolve_entity
    from tracker.dossier import dossier_html, dossier_markdown
    from tracker.output import write_text

    G = load_graph(data)
    ident = resolve_entity(G, entity)
    text = dossier_html(G, ident) if fmt == "html" else dossier_markdown(G, ident)
    if str(output) == "-":
        click.echo(text, nl=False)
        return
    write_text(output, text)
    say(f"wrote {output} (dossier of {G.nodes[ident].get('name', ident)})")
