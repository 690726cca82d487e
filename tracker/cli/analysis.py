"""CLI commands for analysis: report, chains, path, neighbours, search.

Thin wrappers over tracker.metrics, tracker.chains, tracker.paths, tracker.jurisdictions and
tracker.report; heavy modules are imported inside the commands so `tracker --help` stays fast.
"""

from __future__ import annotations

from pathlib import Path

import click

from tracker.cli import cli
from tracker.cli.common import TABLE_FORMATS, TEXT_FORMATS, data_option, format_option, json_mode, output_option, say
from tracker.cli.engines import REPORT_ENGINES, engine_option, open_graphs, report_graph

# The names of tracker.metrics.METRICS, listed here so that building the --metric choices does
# not import networkx and pandas; tests/test_metrics.py checks the two lists agree.
METRIC_NAMES = ("degree", "betweenness", "pagerank", "eigenvector", "harmonic", "closeness", "community", "component")
TABLES = ("centrality", "brokers", "jurisdictions")
_SUFFIX_FORMATS = {".csv": "csv", ".json": "json", ".md": "md", ".txt": "table"}


def _emit(text: str, output: Path | None) -> None:
    if output is None or str(output) == "-":
        click.echo(text, nl=False)
        return
    from tracker.output import write_text

    write_text(output, text)
    say(f"wrote {output}")


@cli.command("report")
@data_option
@click.option(
    "--table",
    "table",
    type=click.Choice(TABLES),
    default="centrality",
    show_default=True,
    help="Which table: centrality per entity, brokers between the spheres, or jurisdiction exposure.",
)
@click.option(
    "-m",
    "--metric",
    "metrics",
    multiple=True,
    type=click.Choice(METRIC_NAMES),
    help="Centrality metric (repeatable; default all). The first sets the order.",
)
@click.option("--top", type=click.IntRange(0), default=20, show_default=True, help="Rows to show; 0 for all.")
@click.option("--sphere", "spheres", multiple=True, help="Show only entities of this sphere (repeatable); metrics use the whole graph.")
@format_option(TABLE_FORMATS)
@output_option("Write to FILE instead of stdout (format from its suffix unless --format).")
@click.option(
    "--engine",
    type=click.Choice(REPORT_ENGINES),
    default="auto",
    show_default=True,
    help="Who computes: networkx or igraph's C core (same definitions) on the graph in memory; duckdb: the "
    "compiled store's relations straight into igraph's arrays; spark: degree, PageRank and components on "
    "Spark. auto: the store above about 10,000 relations, else igraph above 5,000 entities, networkx below.",
)
@click.option(
    "--include-meta",
    is_flag=True,
    help="Count every relation kind (rankings, reports, answers to claims: tie: false in the schema) and paths "
    "through jurisdictions; by default centrality is among actors only.",
)
def report_cmd(
    data: tuple[Path, ...],
    table: str,
    metrics: tuple[str, ...],
    top: int,
    spheres: tuple[str, ...],
    fmt: str | None,
    output: Path | None,
    engine: str,
    include_meta: bool,
) -> None:
    """Rank entities by centrality, list brokers, or measure jurisdiction exposure.

    Centrality: degree (relations in, out, total), betweenness (exact up to 2,000 entities,
    sampled with a fixed seed above), PageRank (edges point from owner or actor to object),
    eigenvector, harmonic and closeness (above 5,000 entities: exact for a fixed-seed sample
    of 500 entities, empty for the others), a Louvain community (Leiden above a million entities)
    and the connected component.
    Above 5,000 entities igraph's C core computes the same metrics (--engine). How each was
    computed is printed with the table (under "notes" in JSON). Centrality is among actors:
    relations the schema marks tie: false (rankings, reports, answers to claims) and paths
    through jurisdictions are left out unless --include-meta.

    \b
    Example:
        tracker report --metric betweenness --top 10
        tracker report --table brokers --format csv -o brokers.csv
        tracker report --sphere london_finance --format md
    """
    from tracker.model import load_model

    model = load_model()
    for value in spheres:
        if value not in model.spheres:
            raise click.BadParameter(f"{value!r} is not one of {', '.join(model.spheres)}", param_hint="--sphere")
    if metrics and table != "centrality":
        raise click.UsageError("--metric applies to --table centrality only")
    if fmt is None and output is not None and str(output) != "-":
        fmt = _SUFFIX_FORMATS.get(output.suffix.lower(), "table")
    fmt = fmt or ("json" if json_mode(None) else "table")

    from tracker.report import render

    if engine == "spark":
        from tracker.backends import spark  # (pyspark itself is imported when a session starts)

        # Said before the data is opened or pyspark looked for: installing it would not help.
        if table != "centrality" or not set(metrics or spark.METRICS) <= set(spark.METRICS):
            raise click.UsageError(f"--engine spark computes --table centrality with --metric {', '.join(spark.METRICS)} only")
    G, views, engine = report_graph(data, engine)
    if engine == "spark":
        from tracker.backends import spark

        df = spark.centrality(G.backend, list(metrics) or None, include_meta=include_meta)
        G.close()
    elif table == "centrality":
        from tracker.metrics import centrality

        df = centrality(G, list(metrics) or None, engine=engine, views=views, include_meta=include_meta)
    elif table == "brokers":
        from tracker.metrics import brokers

        df = brokers(G, engine=engine, views=views, include_meta=include_meta)
    else:
        from tracker.jurisdictions import jurisdiction_exposure

        if views is not None:  # exposure walks the graph's relations: it needs the whole graph
            G = open_graphs(data, "duckdb").whole()
        df = jurisdiction_exposure(G)
    attrs = dict(df.attrs)
    if spheres and "sphere" in df.columns:
        df = df[df["sphere"].isin(spheres)]
    if top:
        df = df.head(top)
    df.attrs = attrs
    if fmt == "csv":
        for key, note in attrs.get("notes", {}).items():
            say(f"{key}: {note}")
    if fmt == "csv" and output is not None and str(output) != "-":
        from tracker.report import write_csv  # millions of rows: written a slice at a time, not as one string

        write_csv(output, df)
        say(f"wrote {output}")
    else:
        _emit(render(df, fmt), output)


@cli.command("chains")
@data_option
@click.argument("entity")
@click.option("--up/--down", "up", default=True, help="Owners and controllers above ENTITY (default), or its holdings below.")
@click.option(
    "--min-share", type=click.FloatRange(0, 100), help="Hide paths and owners whose effective share is known to be below P percent."
)
@click.option("--max-depth", type=click.IntRange(1, 50), default=12, show_default=True, help="Longest chain followed.")
@format_option(("text", *TABLE_FORMATS), human="text")
@engine_option
def chains_cmd(
    data: tuple[Path, ...], entity: str, up: bool, min_share: float | None, max_depth: int, fmt: str | None, engine: str
) -> None:
    """List every ownership and control chain above (or below) an entity, with effective shares.

    ENTITY is an id or any name or alias (Latin or Cyrillic). The effective share is the product
    of the shares along a path, summed over parallel paths; ranges are carried as minimum and
    maximum and an unknown share stays unknown. PSC bands (more than 25, 50, 75%) are flagged and
    ownership cycles are listed, not followed. Every hop shows its relations and sources.

    \b
    Example:
        tracker chains "1 Iota Avenue"
        tracker chains gamma-soninlaw --down --min-share 25 --format json
    """
    from tracker.chains import chains_to_dict, format_chains, owners_frame, ownership_chains, paths_frame
    from tracker.cli.common import echo_json

    graphs = open_graphs(data, engine)
    node = graphs.resolve(entity, notice=say)
    G = graphs.ownership(node, up, max_depth)
    result = ownership_chains(G, node, "up" if up else "down", min_share=min_share, max_depth=max_depth)
    fmt = fmt or ("json" if json_mode(None) else "text")
    if fmt == "json":
        echo_json(chains_to_dict(G, result))
    elif fmt == "text":
        click.echo(format_chains(G, result), nl=False)
    elif fmt == "csv":
        from tracker.report import render  # pandas: only for the tables

        click.echo(render(paths_frame(G, result), "csv"), nl=False)
    else:
        from tracker.report import render

        click.echo(render(owners_frame(result), fmt), nl=False)
        click.echo("")
        click.echo(render(paths_frame(G, result), fmt), nl=False)


@cli.command("path")
@data_option
@click.argument("a")
@click.argument("b")
@click.option("--max-hops", type=click.IntRange(1, 20), default=6, show_default=True, help="Longest path shown.")
@click.option("-k", "k", type=click.IntRange(1, 50), default=3, show_default=True, help="Number of shortest paths.")
@click.option("--directed", is_flag=True, help="Follow relations only in their direction (undirected ones both ways).")
@click.option(
    "--through-hubs",
    is_flag=True,
    help="Let paths pass through jurisdictions and hubs (entities with more than 1,000 relations); by default "
    "they are only ends: 'officer - United Kingdom - company' links nobody.",
)
@engine_option
@format_option(TEXT_FORMATS, human="text")
def path_cmd(
    data: tuple[Path, ...], a: str, b: str, max_hops: int, k: int, directed: bool, fmt: str | None, through_hubs: bool, engine: str
) -> None:
    """Explain how two entities are linked: the k shortest paths, hop by hop, with sources.

    Each hop lists every relation between its two entities: kind, role, dates, evidence,
    outcome, the relations that answer it (denials, discharges) and the sources. Exits 1 with
    a one-line message when there is no path within --max-hops.

    \b
    Example:
        tracker path "Alpha Ruler" "Zeta Bank plc"
        tracker path alpha-ruler iota-house -k 5 --format json
    """
    from tracker.cli.common import echo_json
    from tracker.paths import explained_paths, format_relation, format_source

    graphs = open_graphs(data, engine)
    u, v = graphs.resolve(a, notice=say), graphs.resolve(b, notice=say)
    G = graphs.between(u, v, max_hops, k=k, through_hubs=through_hubs, directed=directed)
    found = explained_paths(G, u, v, k=k, max_hops=max_hops, directed=directed, through_hubs=through_hubs)
    if not found:
        how = "directed " if directed else ""
        raise click.ClickException(
            f"no {how}path between {G.nodes[u].get('name', u)} ({u}) and {G.nodes[v].get('name', v)} ({v}) within {max_hops} hops"
        )
    if (fmt or ("json" if json_mode(None) else "text")) == "json":
        echo_json({"from": u, "to": v, "directed": directed, "paths": found})
        return
    for i, p in enumerate(found, start=1):
        names = " - ".join(str(G.nodes[n].get("name", n)) for n in p["nodes"])
        click.echo(f"[{i}] {p['length']} hop{'s' if p['length'] != 1 else ''}: {names}")
        for hop in p["hops"]:
            click.echo(f"  {hop['from_name']} - {hop['to_name']}:")
            for rel in hop["relations"]:
                click.echo(f"    {format_relation(G, rel)}")
                for src in rel["sources"]:
                    click.echo(f"      source: {format_source(src)}")
        if i < len(found):
            click.echo("")


@cli.command("neighbours")
@data_option
@click.argument("entity")
@click.option("--depth", type=click.IntRange(1, 5), default=1, show_default=True, help="Hops from ENTITY.")
@format_option(TEXT_FORMATS, human="text")
@engine_option
def neighbours_cmd(data: tuple[Path, ...], entity: str, depth: int, fmt: str | None, engine: str) -> None:
    """List the entities within --depth hops of an entity, with the relations that reach them.

    \b
    Example:
        tracker neighbours "Beta Rulerova"
        tracker neighbours beta-daughter --depth 2 --format json
    """
    from tracker.cli.common import echo_json
    from tracker.paths import format_relation, format_source, neighbours

    graphs = open_graphs(data, engine)
    node = graphs.resolve(entity, notice=say)
    G, _ = graphs.around([node], depth)
    found = neighbours(G, node, depth)
    if (fmt or ("json" if json_mode(None) else "text")) == "json":
        echo_json({"entity": node, "name": G.nodes[node].get("name", node), "depth": depth, "neighbours": found})
        return
    click.echo(f"{G.nodes[node].get('name', node)} ({node}): {len(found)} entities within {depth} hop{'s' if depth != 1 else ''}")
    for n in found:
        click.echo(f"  [{n['distance']}] {n['name']} ({n['id']}, {n['kind']}, {n['sphere']})")
        for rel in n["via"]:
            click.echo(f"      {format_relation(G, rel)}")
            for src in rel["sources"]:
                click.echo(f"        source: {format_source(src)}")


@cli.command("search")
@data_option
@click.argument("query")
@click.option("--limit", type=click.IntRange(1, 1000), default=10, show_default=True, help="Most matches shown.")
@format_option(TABLE_FORMATS)
@engine_option
def search_cmd(data: tuple[Path, ...], query: str, limit: int, fmt: str | None, engine: str) -> None:
    """Find entities by name or alias, in Latin or Cyrillic, with a 0-100 match score.

    \b
    Example:
        tracker search kulibayev
        tracker search "Құлыбаев" --format json
    """
    from tracker.names import SEARCH_COLUMNS
    from tracker.render import render_rows

    # On the store, the rows come without a graph (and without importing networkx).
    rows = open_graphs(data, engine).search_rows(query, limit)
    if not rows:
        say(f"no entity matches {query!r}")
    table = [[r[c] for c in SEARCH_COLUMNS] for r in rows]
    click.echo(render_rows(SEARCH_COLUMNS, table, fmt or ("json" if json_mode(None) else "table")), nl=False)
