"""Rendering formats, the build's report files (deterministic, offline, escaped) and `tracker report`."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from tests.conftest import FIXTURES_PATH, MINI_PATH
from tracker.cli import cli
from tracker.metrics import centrality
from tracker.report import render, safe_cell, write_build_reports

OWNERSHIP_PATH = FIXTURES_PATH / "analysis" / "ownership"


def frame() -> pd.DataFrame:
    df = pd.DataFrame(
        {"name": ["=SUM(A1)", "Назарбаев | N", "@x"], "score": [0.123456789, None, 2.0], "flag": [True, False, None]},
        index=pd.Index(["a", "b", "-c"], name="id"),
    )
    df.attrs = {"notes": {"score": "how it was computed"}}
    return df


def test_safe_cell() -> None:
    for bad in ("=1+1", "+1", "-1", "@A1", "\tx", "\rx", "  =x", "\uff1dx"):
        assert safe_cell(bad) == "'" + bad
    assert safe_cell("Альфа") == "Альфа" and safe_cell("") == ""


def test_render_csv_neutralises_formulas() -> None:
    rows = list(csv.reader(io.StringIO(render(frame(), "csv"))))
    assert rows[0] == ["id", "name", "score", "flag"]
    assert rows[1] == ["a", "'=SUM(A1)", "0.123457", "true"]
    assert rows[2] == ["b", "Назарбаев | N", "", "false"]
    assert rows[3] == ["'-c", "'@x", "2.0", ""]


def test_render_json_table_md() -> None:
    data = json.loads(render(frame(), "json"))
    assert data["notes"] == {"score": "how it was computed"}
    assert data["rows"][1] == {"id": "b", "name": "Назарбаев | N", "score": None, "flag": False}
    table = render(frame(), "table").splitlines()
    assert table[0] == "id  name            score  flag"
    assert table[2] == "a   =SUM(A1)       0.1235  true"
    assert table[4] == "-c  @x                  2"
    assert table[-1] == "# score: how it was computed"
    md = render(frame(), "md").splitlines()
    assert md[0] == "| id | name | score | flag |"
    assert md[3] == "| b | Назарбаев \\| N |  | false |"
    with pytest.raises(ValueError):
        render(frame(), "xml")


def test_render_is_deterministic(mini_graph: nx.MultiDiGraph) -> None:
    for fmt in ("table", "csv", "json", "md"):
        assert render(centrality(mini_graph), fmt) == render(centrality(mini_graph), fmt)


def test_write_build_reports(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    files = write_build_reports(mini_graph, tmp_path / "a")
    assert [p.name for p in files] == ["centrality.csv", "brokers.csv", "jurisdictions.csv", "report.html"]
    again = write_build_reports(mini_graph, tmp_path / "b")
    for p, q in zip(files, again):
        assert p.read_bytes() == q.read_bytes(), p.name
    cen = list(csv.DictReader(io.StringIO(files[0].read_text(encoding="utf-8"))))
    assert len(cen) == mini_graph.number_of_nodes() and cen[0]["id"] == "gamma-soninlaw"
    brokers = list(csv.DictReader(io.StringIO(files[1].read_text(encoding="utf-8"))))
    assert brokers[0]["id"] == "beta-daughter" and all(float(r["subset_betweenness"]) > 0 or int(r["brokerage"]) > 0 for r in brokers)
    assert files[2].read_text(encoding="utf-8").splitlines()[1].startswith("vg,British Virgin Islands,vg,true,1,1,4,0,70.5,")
    assert not list((tmp_path / "a").glob(".*.tmp"))


def test_report_html_is_offline_and_sourced(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    page = write_build_reports(mini_graph, tmp_path)[-1].read_text(encoding="utf-8")
    assert "default-src 'none'" in page and "unsafe" not in page
    # charts: top 10 by degree, betweenness and pagerank, the brokers, degree distribution, jurisdictions
    assert page.count("<svg") == 6 and "<?xml" not in page and "<metadata>" not in page
    # Nothing is loaded from anywhere: no src=, no stylesheet links, no scripts.
    assert not re.search(r"<(script|img|iframe|link)\b", page) and " src=" not in page
    assert mini_graph.graph["content_hash"] in page and "not an allegation" in page
    assert "Court judgment" in page  # evidence-status meanings in the footer
    # A chain hop shows its source with a link.
    assert '<a href="https://example.org/judgment" rel="noopener noreferrer">Kappa v Theta [2020] judgment</a>' in page
    # The secrecy score shows its source.
    assert '<a href="https://index.example.org/2022" rel="noopener noreferrer">Lambda Secrecy Index 2022</a>' in page
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))


def test_report_html_links_names_cites_once_and_prints(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    import base64
    import hashlib

    page = write_build_reports(mini_graph, tmp_path)[-1].read_text(encoding="utf-8")
    # every entity name links into the network view built beside the report
    assert '<a class="ent" href="network.html#focus=gamma-soninlaw">Gamma Qulybaev</a>' in page
    assert '<a class="ent" href="network.html#focus=vg">British Virgin Islands</a>' in page
    # a source is written out once, in the list at the end, and cited by number elsewhere
    assert page.count("Lambda Secrecy Index 2022</a>") == 1
    number = re.search(r'<li id="src-(\d+)" value="\d+"><a href="https://index.example.org/2022"', page)
    assert number is not None and f'href="#src-{number.group(1)}"' in page
    # a strict policy: the one stylesheet by hash, no inline style anywhere (the charts use attributes)
    style = re.findall(r"<style>(.*?)</style>", page, re.S)
    assert len(style) == 1 and "@media print" in style[0]
    digest = "'sha256-" + base64.b64encode(hashlib.sha256(style[0].encode()).digest()).decode() + "'"
    assert f"style-src {digest};" in page and ' style="' not in page and "<style type" not in page


def test_report_names_are_plain_text_when_no_view_is_written(mini_graph: nx.MultiDiGraph, tmp_path: Path, cli_runner) -> None:  # type: ignore[no-untyped-def]
    # Above the view's cap (or with --no-view) the build writes no network.html: a name linking
    # to it would be a dead link in the journalist's report.
    page = write_build_reports(mini_graph, tmp_path, view=False)[-1].read_text(encoding="utf-8")
    assert "network.html#focus" not in page and 'class="ent"' not in page
    assert "<td>Gamma Qulybaev</td>" in page
    assert "draw an entity's neighbourhood with <code>tracker view --focus ENTITY --depth 2 -o view.html</code>" in page
    # The build says the same: --no-view writes no view and no link into it.
    res = cli_runner.invoke(cli, ["build", "--data", str(MINI_PATH), "-o", str(tmp_path / "out"), "--no-view"])
    assert res.exit_code == 0, res.output
    built = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert not (tmp_path / "out" / "network.html").exists()
    assert "network.html#focus" not in built and "<td>Gamma Qulybaev</td>" in built


def test_report_html_escapes_hostile_data(tmp_path: Path) -> None:
    G = nx.MultiDiGraph(name="<b>x</b>", content_hash="h", data_date="2020", sources={})
    G.graph["sources"]["s1"] = {
        "url": "javascript:alert(1)",
        "title": "<img src=x onerror=alert(1)>",
        "publisher": "P",
        "date": "2020",
        "evidence": "news_report",
    }
    G.add_node("p", name="<script>alert(1)</script> $x$", kind="person", sphere="elite")
    G.add_node("co", name="=cmd|' /C calc'!A0", kind="company", sphere="offshore", country="vg")
    G.add_node("vg", name="<i>Islands</i> $\\alpha$", kind="jurisdiction", sphere="offshore", country="vg")
    G.add_node("idx", name="Index", kind="organisation", sphere="other")
    G.add_edge("p", "co", key="r1", kind="owns", label="owns", directed=True, ownership=True, share=50.0, sources=["s1"])
    G.add_edge("co", "vg", key="r2", kind="registered_in", label="registered in", directed=True, ownership=False, sources=["s1"])
    G.add_edge("vg", "idx", key="r3", kind="ranked", label="ranked in", directed=True, ownership=False, score=80.0, sources=["s1"])
    files = write_build_reports(G, tmp_path)
    page = files[-1].read_text(encoding="utf-8")
    assert "<script>" not in page and "<img" not in page and "<i>Islands" not in page
    assert 'href="javascript' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; $x$" in page
    # The jurisdiction chart keeps "$" literal (no math parsing) and escaped.
    assert "&lt;i&gt;Islands&lt;/i&gt; $\\alpha$" in page
    cen = files[0].read_text(encoding="utf-8")
    assert "'=cmd|' /C calc'!A0" in cen


def test_cli_report_formats(cli_runner, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    args = ["report", "--data", str(MINI_PATH)]
    result = cli_runner.invoke(cli, [*args, "-m", "betweenness", "-m", "degree", "--top", "3", "--format", "table"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:5] == ["id", "name", "kind", "sphere", "betweenness"]
    assert lines[2].startswith("beta-daughter") and lines[3].startswith("gamma-soninlaw")
    assert "# betweenness: exact" in result.stdout
    # Piped: JSON with the notes.
    data = json.loads(cli_runner.invoke(cli, [*args, "--top", "0"]).stdout)
    assert len(data["rows"]) == 14 and "edges point from" in data["notes"]["pagerank"]
    result = cli_runner.invoke(cli, [*args, "--sphere", "london_finance", "--format", "csv"])
    ids = [r["id"] for r in csv.DictReader(io.StringIO(result.stdout))]
    assert ids == ["zeta-bank", "iota-house", "eta-law"]
    assert "betweenness: exact" in result.stderr
    result = cli_runner.invoke(cli, [*args, "--table", "brokers", "--format", "json", "--top", "1"])
    assert json.loads(result.stdout)["rows"][0]["id"] == "beta-daughter"
    result = cli_runner.invoke(cli, [*args, "--table", "jurisdictions", "--format", "md"])
    assert result.stdout.splitlines()[2].startswith("| vg | British Virgin Islands |")
    out = tmp_path / "c.csv"
    result = cli_runner.invoke(cli, [*args, "-o", str(out)])
    assert result.exit_code == 0 and result.stdout == "" and out.read_text(encoding="utf-8").startswith("id,name,kind,sphere,degree,")


def test_cli_report_usage_errors(cli_runner) -> None:  # type: ignore[no-untyped-def]
    args = ["report", "--data", str(MINI_PATH)]
    result = cli_runner.invoke(cli, [*args, "--metric", "nope"])
    assert result.exit_code == 2 and "'nope' is not one of" in result.stderr
    result = cli_runner.invoke(cli, [*args, "--sphere", "moon"])
    assert result.exit_code == 2 and "'moon' is not one of" in result.stderr
    result = cli_runner.invoke(cli, [*args, "--table", "brokers", "-m", "degree"])
    assert result.exit_code == 2


def test_cli_report_on_ownership_fixture(cli_runner) -> None:  # type: ignore[no-untyped-def]
    result = cli_runner.invoke(cli, ["report", "--data", str(OWNERSHIP_PATH), "--table", "jurisdictions", "--format", "json"])
    row = json.loads(result.stdout)["rows"][0]
    assert row["id"] == "ky" and row["secrecy_score"] == 72.3 and row["registered"] == 2


def test_csv_column_at_a_time_equals_cell_by_cell() -> None:
    from tracker.report import _csv_cell, _records

    df = pd.DataFrame(
        {
            "f": [0.1234567891, -0.0, float("nan"), 1e-7, 2.5e-6, 3.0],
            "i": [1, -2, 3, 4, 5, 6],
            "b": [True, False, True, False, True, False],
            "o": ["=x", " @y", None, ["p", "q"], "\n-z", "Альфа"],
            "m": [None, 1.5, 2, "+1", float("nan"), False],
        },
        index=pd.Index(["i", "+j", "k", "l", "m", "n"], name="id"),
    )
    columns, rows = _records(df)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([safe_cell(c) for c in columns])
    writer.writerows([[_csv_cell(v) for v in row] for row in rows])
    assert render(df, "csv") == buf.getvalue()
    # Spelt out: floats to 6 decimals (-0.0 and 1e-7 as 0.0), NaN and None empty, booleans in lower
    # case, lists joined with ";", a cell a spreadsheet would run as a formula prefixed with "'".
    assert render(df, "csv") == (
        "id,f,i,b,o,m\n"
        "i,0.123457,1,true,'=x,\n"
        "'+j,0.0,-2,false,' @y,1.5\n"
        "k,,3,true,,2\n"
        "l,0.0,4,false,p;q,'+1\n"
        'm,3e-06,5,true,"\'\n-z",\n'
        "n,3.0,6,false,Альфа,false\n"
    )


def test_degree_chart_is_aggregated_on_heavy_tails() -> None:
    from tracker.report import degree_bins

    labels, values, xlabel = degree_bins(pd.Series([1] * 50 + list(range(2, 5000))))
    assert labels[:5] == ["0", "1", "2-3", "4-7", "8-15"] and labels[-1] == "4096-8191" and values[1] == 50
    assert sum(values) == 50 + 4998 and "bins" in xlabel


def test_report_chains_are_capped(tmp_path: Path) -> None:
    from tracker import report

    G = nx.MultiDiGraph(name="t", sources={})
    G.add_node("asset", name="Asset", kind="company", sphere="company")
    for i in range(40):
        G.add_node(f"o{i:02d}", name=f"Owner {i}", kind="person", sphere="elite")
        G.add_edge(f"o{i:02d}", "asset", key=f"r{i:02d}", kind="owns", label="owns", ownership=True, share=1.0, sources=[])
    page = report._chains_html(G)
    assert page.count('<tr><td><a class="ent" href="network.html#focus=o') == report.CHAIN_OWNERS_MAX
    assert f"{40 - report.CHAIN_OWNERS_MAX} more owners" in page


def test_build_reports_on_the_fast_engine_match_networkx(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    # The build shares one Views between its tables; forcing igraph gives the same figures.
    a = centrality(mini_graph, ["degree", "betweenness", "pagerank", "eigenvector", "harmonic", "closeness"], engine="networkx")
    b = centrality(mini_graph, ["degree", "betweenness", "pagerank", "eigenvector", "harmonic", "closeness"], engine="igraph")
    for col in ("betweenness", "pagerank", "eigenvector", "harmonic", "closeness"):
        assert (a[col].sort_index() - b[col].sort_index()).abs().max() < 1e-7, col
    assert list(a.index) == list(b.index)
