"""The HTML view as text: self-contained, escaped, deterministic, and faithful to the graph."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner
from conftest import FIXTURES_PATH, MINI_PATH

from tracker.cli import cli
from tracker.dataset import load
from tracker.exc import UnknownEntity, ViewTooLarge
from tracker.graph import build, filter_graph
from tracker.names import skeleton
from tracker.views import LAYOUT_THRESHOLD, MAX_NODES, js_skeleton, render_view, share_text, with_answers, write_view

HOSTILE_PATH = FIXTURES_PATH / "views" / "hostile"


def page_data(html: str) -> dict[str, Any]:
    """The JSON data block of a page, parsed."""
    m = re.search(r'<script type="application/json" id="tracker-data">(.*?)</script>', html, re.S)
    assert m is not None
    data: dict[str, Any] = json.loads(m.group(1))
    return data


def inline_blocks(html: str, tag: str) -> list[str]:
    """The contents of every <tag>...</tag> without attributes (the executable inline blocks)."""
    return re.findall(rf"<{tag}>(.*?)</{tag}>", html, re.S)


def synthetic(n: int, seed: int = 1) -> nx.MultiDiGraph:
    """A random canonical-looking graph of n companies owned in a tree with some cross links."""
    import random

    rng = random.Random(seed)
    G = nx.MultiDiGraph(name="synthetic", content_hash="0" * 64, data_date="2024", sources={})
    for i in range(n):
        G.add_node(f"e{i:05d}", kind="company", name=f"Company {i}", sphere="company", aliases=[], sources=[])
    for i in range(1, n):
        G.add_edge(
            f"e{rng.randrange(i):05d}",
            f"e{i:05d}",
            key=f"r{i:05d}",
            kind="owns",
            directed=True,
            ownership=True,
            evidence="news_report",
            sources=[],
        )
    return G


@pytest.fixture()
def mini_html(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> str:
    return write_view(mini_graph, tmp_path / "view.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def hostile_graph() -> nx.MultiDiGraph:
    return build(load([HOSTILE_PATH]))


def test_write_view_returns_the_path_and_writes_utf8(mini_graph: nx.MultiDiGraph, tmp_path: Path) -> None:
    out = write_view(mini_graph, tmp_path / "deep" / "v.html")
    assert out == tmp_path / "deep" / "v.html"
    html = out.read_bytes().decode("utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert html.index('<meta charset="utf-8">') < html.index("<title>")
    assert "Альфа Правитель" in page_data(html)["entities"]["alpha-ruler"]["aliases"]


def test_page_makes_no_outside_reference(mini_html: str) -> None:
    assert "cdn" not in mini_html  # the base64 of vis's CSS holds "cDn", hence case-sensitive
    for word in ("cdnjs", "jsdelivr", "bootstrap", "tom-select", "lib/"):
        assert word not in mini_html.lower()
    rest = mini_html
    for block in inline_blocks(mini_html, "script") + inline_blocks(mini_html, "style"):
        rest = rest.replace(block, "")
    tags = re.findall(r"<(?:script|link|img|iframe|object|embed|base)\b[^>]*>", rest, re.I)
    assert sorted(tags) == sorted(
        ['<link rel="icon" href="data:,">', "<script>", "<script>", '<script type="application/json" id="tracker-data">']
    )


def test_content_security_policy_allows_exactly_the_inline_blocks(mini_html: str) -> None:
    m = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', mini_html)
    assert m is not None
    policy = dict(part.strip().split(" ", 1) for part in m.group(1).split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["img-src"] == "data:"
    assert "connect-src" not in policy and "unsafe" not in m.group(1)

    def digest(text: str) -> str:
        return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode() + "'"

    scripts, styles = inline_blocks(mini_html, "script"), inline_blocks(mini_html, "style")
    assert len(scripts) == 2 and len(styles) == 2
    assert sorted(policy["script-src"].split()) == sorted(digest(s) for s in scripts)
    assert sorted(policy["style-src"].split()) == sorted(digest(s) for s in styles)
    assert "vis-network" in scripts[0][:200] and "trackerView" in scripts[1]


def test_data_holds_every_entity_relation_and_source(mini_graph: nx.MultiDiGraph, mini_html: str) -> None:
    data = page_data(mini_html)
    assert [n["id"] for n in data["nodes"]] == sorted(mini_graph.nodes)
    assert [e["id"] for e in data["edges"]] == sorted(k for _, _, k in mini_graph.edges(keys=True))
    assert {(e["from"], e["to"]) for e in data["edges"]} == set(mini_graph.edges())
    assert data["relations"]["r12"]["referred_by"] == ["r13"]
    assert data["relations"]["r13"]["refers_to"] == ["r12"]
    assert data["relations"]["r11"]["outcome"] == "discharged 2020-04-08"
    assert sorted(data["sources"]) == ["claim-2010", "filing-2007", "index-2022", "judgment-2020", "news-2007"]
    src = data["sources"]["news-2007"]
    assert (src["title"], src["publisher"], src["date"], src["evidence"], src["mirror"]) == (
        "Son-in-law buys London house",
        "Example News",
        "2007-09",
        "news_report",
        True,
    )
    assert src["href"] == "https://news.example.com/story" and src["canonical_href"] == "https://publisher.example.com/story"
    assert data["meta"]["counts"] == {"entities": 14, "relations": 18, "sources": 5}
    assert data["meta"]["content_hash"] == mini_graph.graph["content_hash"]


def test_encoding_colour_shape_size_and_edge_styles(mini_html: str) -> None:
    data = page_data(mini_html)
    nodes = {n["id"]: n for n in data["nodes"]}
    edges = {e["id"]: e for e in data["edges"]}
    assert nodes["alpha-ruler"]["shape"] == "dot" and nodes["zeta-bank"]["shape"] == "diamond" and nodes["vg"]["shape"] == "star"
    assert (
        nodes["alpha-ruler"]["color"]["background"] == nodes["beta-daughter"]["color"]["background"] != nodes["vg"]["color"]["background"]
    )
    assert all(0 <= n["value"] <= 1 for n in nodes.values()) and max(n["value"] for n in nodes.values()) == 1
    assert edges["r12"]["dashes"] == [8, 6] and edges["r12"]["color"]["color"] == "#9e9e9e"  # allegation
    assert edges["r11"]["dashes"] is False and edges["r11"]["width"] == 4.0  # court judgment
    assert edges["r11"]["width"] > edges["r02"]["width"]  # over a news report
    assert "arrows" not in edges["r01"] and edges["r06"]["arrows"] == "to"  # family is undirected
    assert edges["r06"]["label"] == "20%" and edges["r05"]["label"] == "25–50%" and "label" not in edges["r11"]
    assert data["options"]["layout"]["improvedLayout"] is False
    legend = data["style"]
    assert [s["name"] for s in legend["spheres"]] == ["elite", "company", "london_finance", "offshore", "other"]
    assert {e["name"] for e in legend["evidence"]} == {
        "court_judgment",
        "news_report",
        "company_filing",
        "investigative_report",
        "allegation",
    }


def test_footer_has_hash_date_counts_disclaimer(mini_graph: nx.MultiDiGraph, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    html = render_view(mini_graph)
    footer = html[html.index("<footer") : html.index("</footer>")]
    assert mini_graph.graph["content_hash"] in footer and "data as of 2022" in footer and "built" not in footer
    assert "14 entities, 18 relations, 5 sources" in footer
    assert "not an allegation" in footer
    assert "A claim made in pleadings, in parliament or by an interested party, untested." in footer
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert "built 2023-11-14" in render_view(mini_graph)


def test_hostile_text_is_escaped(hostile_graph: nx.MultiDiGraph) -> None:
    html = render_view(hostile_graph)
    rest = html
    for block in inline_blocks(html, "script") + inline_blocks(html, "style"):
        rest = rest.replace(block, "")  # the vendored and page code; what is left is template + data
    for bad in ("<img", "<svg", "<iframe", "<b>", "<script>window", "<!--", "\u2028", "\u2029"):
        assert bad not in rest, bad
    assert html.count("</script>") == 3
    data = page_data(html)
    assert data["entities"]["img-person"]["name"] == '<img src=x onerror="window.__pwned=1">'
    assert "<script>window.__pwned=2</script>" in data["entities"]["img-person"]["aliases"]
    assert data["entities"]["amp-company"]["notes"].endswith("U+2028:\u2028here, U+2029:\u2029there")
    assert data["relations"]["h3"]["outcome"] == '<a href="javascript:window.__pwned=6">click</a>'
    assert "<title>tracker: hostile</title>" in html


def test_only_http_urls_become_links(mini_graph: nx.MultiDiGraph) -> None:
    G = copy.deepcopy(mini_graph)
    G.graph["sources"]["claim-2010"]["url"] = "javascript:alert(1)"
    G.graph["sources"]["news-2007"]["canonical_url"] = "data:text/html,<b>x</b>"
    G.graph["sources"]["judgment-2020"]["archived_url"] = "HTTPS://web.archive.org/x"
    sources = page_data(render_view(G))["sources"]
    assert sources["claim-2010"]["href"] == "" and sources["claim-2010"]["url"] == "javascript:alert(1)"
    assert sources["news-2007"]["canonical_href"] == ""
    assert sources["judgment-2020"]["archived_href"] == "HTTPS://web.archive.org/x"


def test_output_is_byte_identical(tmp_path: Path) -> None:
    a = write_view(build(load([MINI_PATH])), tmp_path / "a.html").read_bytes()
    b = write_view(build(load([MINI_PATH])), tmp_path / "b.html").read_bytes()
    assert a == b
    big = synthetic(LAYOUT_THRESHOLD + 50)
    assert render_view(big) == render_view(big.copy())


def test_no_lib_folder_and_graph_unchanged(mini_graph: nx.MultiDiGraph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = copy.deepcopy((mini_graph.graph, dict(mini_graph.nodes(data=True)), list(mini_graph.edges(keys=True, data=True))))
    write_view(mini_graph, Path("out.html"), focus="alpha-ruler", highlight=[["alpha-ruler", "beta-daughter"]], size_by="betweenness")
    after = (mini_graph.graph, dict(mini_graph.nodes(data=True)), list(mini_graph.edges(keys=True, data=True)))
    assert before == after
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.html"]


def test_focus_and_highlight(mini_graph: nx.MultiDiGraph) -> None:
    data = page_data(render_view(mini_graph, focus="gamma-soninlaw", highlight=[["alpha-ruler", "beta-daughter", "theta-foundation"]]))
    nodes = {n["id"]: n for n in data["nodes"]}
    edges = {e["id"]: e for e in data["edges"]}
    assert data["focus"] == "gamma-soninlaw" and nodes["gamma-soninlaw"]["borderWidth"] == 5
    assert nodes["beta-daughter"]["color"]["border"] == "#ff7f0e"
    assert edges["r01"]["color"]["color"] == edges["r03"]["color"]["color"] == "#ff7f0e"
    assert edges["r02"]["color"]["color"] != "#ff7f0e"
    with pytest.raises(UnknownEntity):
        render_view(mini_graph, focus="nobody")


@pytest.mark.parametrize("size_by", ["pagerank", "betweenness", "degree"])
def test_size_by_changes_sizes(mini_graph: nx.MultiDiGraph, size_by: str) -> None:
    values = {n["id"]: n["value"] for n in page_data(render_view(mini_graph, size_by=size_by))["nodes"]}
    assert values[max(values, key=lambda k: (values[k], k))] == 1.0
    if size_by == "degree":  # gamma-soninlaw has the most relations (6)
        assert values["gamma-soninlaw"] == 1.0 and values["pa"] < 1.0


def test_large_graph_ships_fixed_positions() -> None:
    G = synthetic(LAYOUT_THRESHOLD + 1)
    data = page_data(render_view(G))
    assert all(isinstance(n["x"], int) and isinstance(n["y"], int) for n in data["nodes"])
    assert data["options"]["physics"]["enabled"] is False and data["meta"]["fixed_layout"] is True
    small = page_data(render_view(synthetic(20)))
    assert "x" not in small["nodes"][0] and small["options"]["physics"]["enabled"] is True


def test_past_the_cap_the_view_is_refused() -> None:
    G = nx.MultiDiGraph()
    G.add_nodes_from(range(MAX_NODES + 1))
    with pytest.raises(ViewTooLarge, match="--focus"):
        render_view(G)


def test_search_keys_fold_scripts_alike(mini_graph: nx.MultiDiGraph) -> None:
    keys = page_data(render_view(mini_graph))["entities"]["gamma-soninlaw"]["keys"]
    for query in ("Құлыбаев", "Кулибаев", "Kulibayev", "QULYBAEV", "gamma"):
        q = js_skeleton(query)
        assert any(q in k for k in keys), query
    for name in ("Құлыбаев Тимур", "Mukhtar Ablyazov", "Nazarbayeva", "Евгений"):
        assert js_skeleton(name) == skeleton(name)


def test_share_text() -> None:
    assert share_text({"share": 33.5}) == "33.5%"
    assert share_text({"share_min": 25.0}) == "≥25%" and share_text({"share_max": 75.0}) == "≤75%"
    assert share_text({"share": float("nan")}) == ""


def test_with_answers_brings_back_the_denial(mini_graph: nx.MultiDiGraph) -> None:
    H = filter_graph(mini_graph, relation_kinds=["alleged"])
    assert sorted(k for _, _, k in H.edges(keys=True)) == ["r12"]
    assert sorted(k for _, _, k in with_answers(mini_graph, H).edges(keys=True)) == ["r12", "r13"]


# --- the command --------------------------------------------------------------------------------


def test_cli_view_focus(cli_runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "k.html"
    result = cli_runner.invoke(cli, ["view", "--data", str(MINI_PATH), "--focus", "Гамма Құлыбаев", "--depth", "1", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stderr == f"wrote {out} (6 entities, 8 relations)\n"
    data = page_data(out.read_text(encoding="utf-8"))
    assert data["focus"] == "gamma-soninlaw"
    assert [n["id"] for n in data["nodes"]] == [
        "alpha-ruler",
        "beta-daughter",
        "delta-holdings",
        "gamma-soninlaw",
        "mu-vehicles",
        "zeta-bank",
    ]


def test_cli_view_path_highlights_shortest_paths(cli_runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "p.html"
    args = ["view", "--data", str(MINI_PATH), "--path", "Alpha Ruler", "Panama", "--sphere", "elite", "-o", str(out)]
    result = cli_runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = page_data(out.read_text(encoding="utf-8"))
    assert data["highlight"] == [["alpha-ruler", "beta-daughter", "theta-foundation", "pa"]]
    assert {"theta-foundation", "pa", "gamma-soninlaw"} <= {n["id"] for n in data["nodes"]}
    assert {"r01", "r03", "r10"} <= {e["id"] for e in data["edges"]}


def test_cli_view_to_stdout(cli_runner: CliRunner) -> None:
    result = cli_runner.invoke(cli, ["view", "--data", str(MINI_PATH), "--kind", "person", "-o", "-"])
    assert result.exit_code == 0, result.output
    assert [n["id"] for n in page_data(result.stdout)["nodes"]] == ["alpha-ruler", "beta-daughter", "gamma-soninlaw"]


def test_cli_view_errors(cli_runner: CliRunner, tmp_path: Path) -> None:
    result = cli_runner.invoke(cli, ["view", "--data", str(MINI_PATH), "--focus", "Mu", "-o", str(tmp_path / "x.html")])
    assert result.exit_code == 1
    assert result.stderr == "Error: no entity named 'Mu'; close matches: Unnamed Mu vehicles (mu-vehicles)\n"
    result = cli_runner.invoke(
        cli, ["view", "--data", str(MINI_PATH), "--path", "Alpha Ruler", "nobody at all", "-o", str(tmp_path / "x.html")]
    )
    assert result.exit_code == 1 and result.stderr.startswith("Error: no entity named 'nobody at all'")
    result = cli_runner.invoke(cli, ["view", "--data", str(MINI_PATH), "--size-by", "eigen"])
    assert result.exit_code == 2
    assert not (tmp_path / "x.html").exists()


# --- issue 14: the sphere layout and pages that say what they show -------------------------------


def test_sphere_layout_puts_the_four_spheres_left_to_right(mini_graph: nx.MultiDiGraph) -> None:
    from tracker.views import sphere_layout

    pos, bands = sphere_layout(mini_graph)
    assert sorted(pos) == sorted(mini_graph)
    order = [b["name"] for b in bands]
    assert order == ["elite", "company", "london_finance", "offshore", "other"]
    for band in bands:
        members = [n for n in mini_graph if (mini_graph.nodes[n]["sphere"] if band["name"] != "other" else "other") == band["name"]]
        if band["name"] == "other":
            members = [n for n in mini_graph if mini_graph.nodes[n]["sphere"] not in order[:4]]
        for n in members:
            assert band["x0"] <= pos[n][0] <= band["x1"] and band["y0"] <= pos[n][1] <= band["y1"], (n, band)
    xs = {b["name"]: (b["x0"], b["x1"]) for b in bands}
    assert xs["elite"][1] < xs["company"][0] < xs["company"][1] < xs["london_finance"][0] < xs["offshore"][0]
    assert len(set(pos.values())) == len(pos)  # no two entities on one spot
    assert sphere_layout(mini_graph) == sphere_layout(mini_graph.copy())


def test_spheres_page_ships_positions_and_is_byte_identical(tmp_path: Path) -> None:
    a = write_view(build(load([MINI_PATH])), tmp_path / "a.html", layout="spheres").read_bytes()
    b = write_view(build(load([MINI_PATH])), tmp_path / "b.html", layout="spheres").read_bytes()
    assert a == b
    data = page_data(a.decode("utf-8"))
    assert data["meta"]["layout"] == "spheres" and data["options"]["physics"]["enabled"] is False
    assert all(isinstance(n["x"], int) for n in data["nodes"])
    assert data["positions"]["force"] is None and sorted(data["positions"]["spheres"]) == sorted(n["id"] for n in data["nodes"])
    with pytest.raises(ValueError, match="layout"):
        render_view(build(load([MINI_PATH])), layout="circle")


def test_title_and_caption_say_what_the_page_shows(mini_graph: nx.MultiDiGraph) -> None:
    made = {"focus": "gamma-soninlaw", "depth": 1, "spheres": ["elite", "offshore"], "as_of": "2010", "min_degree": 2}
    html = render_view(mini_graph, made_with=made)
    caption = "around Gamma Qulybaev (1 hop) · spheres: Elite, Offshore · in force on 2010 · at least 2 relations each"
    assert f"<title>tracker: mini — {caption}</title>" in html
    assert f'<p id="caption" class="caption">{caption}</p>' in html
    assert page_data(html)["meta"]["caption"] == caption
    assert "<title>tracker: mini</title>" in render_view(mini_graph)


def test_top_labels_are_the_most_central(mini_graph: nx.MultiDiGraph) -> None:
    data = page_data(render_view(mini_graph, size_by="degree"))
    # gamma-soninlaw has 6 relations, the most; ties below are broken by id
    assert data["top_labels"][0] == "gamma-soninlaw" and len(data["top_labels"]) == 12


def test_cli_view_layout_and_caption(cli_runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "s.html"
    args = [
        "view",
        "--data",
        str(MINI_PATH),
        "--layout",
        "spheres",
        "--as-of",
        "2010",
        "--kind",
        "person",
        "--kind",
        "company",
        "-o",
        str(out),
    ]
    result = cli_runner.invoke(cli, args)
    assert result.exit_code == 0, result.output
    data = page_data(out.read_text(encoding="utf-8"))
    assert data["meta"]["layout"] == "spheres"
    assert data["meta"]["caption"] == "kinds: Person, Company · in force on 2010"
    result = cli_runner.invoke(cli, ["view", "--data", str(MINI_PATH), "--layout", "circle", "-o", str(out)])
    assert result.exit_code == 2
