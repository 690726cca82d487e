"""Every input path fails cleanly: one `Error:` line naming file, line and field, a documented exit code.

Table-driven: each broken dataset (a copy of the mini fixture with one defect) goes through
every command that reads data; each broken import file through `tracker import`. The exit
codes are those of tracker/cli/__init__.py and README.md: 1 bad data, 2 usage, 3 internal.
A few cases run as a real `python -m tracker` process to prove no traceback reaches a user.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from conftest import FIXTURES_PATH, MINI_PATH

from tracker.cli import EXIT_ERROR, EXIT_INTERNAL, EXIT_USAGE, cli

IMPORTS = FIXTURES_PATH / "import"
ROOT = Path(__file__).resolve().parents[1]
Mutation = Callable[[Path], None]


def edit(fname: str, fn: Callable[[bytes], bytes]) -> Mutation:
    def mutate(folder: Path) -> None:
        p = folder / fname
        p.write_bytes(fn(p.read_bytes()))

    return mutate


def set_cell(fname: str, line: int, column: str, value: str) -> Mutation:
    """Set one cell (by 1-based file line and column name), keeping every other byte's meaning."""

    def fn(data: bytes) -> bytes:
        rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
        rows[line - 1][rows[0].index(column)] = value
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(rows)
        return out.getvalue().encode("utf-8")

    return edit(fname, fn)


def both(*mutations: Mutation) -> Mutation:
    def mutate(folder: Path) -> None:
        for m in mutations:
            m(folder)

    return mutate


def remove(fname: str) -> Mutation:
    return lambda folder: (folder / fname).unlink()


def folder_in_place_of(fname: str) -> Mutation:
    def mutate(folder: Path) -> None:
        (folder / fname).unlink()
        (folder / fname).mkdir()

    return mutate


# case -> (defect, what `tracker validate` must print for it: "file:line: field: error [code]")
BROKEN: dict[str, tuple[Mutation, str]] = {
    "unclosed-quote": (
        edit("relations.csv", lambda b: b.replace(b"r03,beneficial", b'r03,"beneficial', 1)),
        "relations.csv:4: error [malformed-csv]",
    ),
    "non-utf8-byte": (
        edit("entities.csv", lambda b: b.replace(b"Beta Rulerova", b"Beta \xffRulerova", 1)),
        "entities.csv:3: error [encoding]",
    ),
    "cp1251-encoding": (edit("entities.csv", lambda b: b.decode("utf-8").encode("cp1251", "replace")), "entities.csv:2: error [encoding]"),
    "nul-byte": (edit("sources.csv", lambda b: b.replace(b"Example News", b"Example\x00News")), "sources.csv:3: error [encoding]"),
    "empty-file": (edit("sources.csv", lambda b: b""), "sources.csv:1: error [empty-file]"),
    "header-only": (edit("relations.csv", lambda b: b.split(b"\n")[0] + b"\n"), "assertions.relations: error [assertion-failed] 0 rows"),
    "missing-column": (
        edit("entities.csv", lambda b: b.replace(b"id,kind,name,", b"id,name,", 1)),
        "entities.csv:1: kind: error [missing-column]",
    ),
    "extra-column": (edit("entities.csv", lambda b: b.replace(b"\n", b",colour\n")), "entities.csv:1: colour: error [unknown-column]"),
    "duplicate-header": (
        edit("entities.csv", lambda b: b.replace(b",notes\n", b",name\n", 1)),
        "entities.csv:1: name: error [duplicate-column]",
    ),
    "row-too-wide": (
        edit("entities.csv", lambda b: b.replace(b"Fictional head of state for tests.", b"a,b", 1)),
        "entities.csv:2: error [row-width]",
    ),
    "huge-field": (set_cell("entities.csv", 3, "notes", "x" * 1_500_000), "entities.csv:3: notes: error [too-long]"),
    # Over the CSV parser's limit: [malformed-csv] or [too-long], depending on which module last set
    # csv.field_size_limit (process-wide; see the report): either way the line is named.
    "field-over-csv-limit": (set_cell("entities.csv", 3, "notes", "x" * 3_000_000), "entities.csv:3: "),
    "unknown-entity-kind": (set_cell("entities.csv", 3, "kind", "spaceship"), "entities.csv:3: kind: error [unknown-entity-kind]"),
    "unknown-relation-kind": (set_cell("relations.csv", 3, "kind", "loves"), "relations.csv:3: kind: error [unknown-relation-kind]"),
    "unknown-sphere": (set_cell("entities.csv", 3, "sphere", "galaxy"), "entities.csv:3: sphere: error [unknown-sphere]"),
    "partial-date-bad-month": (set_cell("entities.csv", 3, "birth_date", "1963-13"), "entities.csv:3: birth_date: error [bad-date]"),
    "impossible-date": (set_cell("entities.csv", 3, "birth_date", "2020-02-30"), "entities.csv:3: birth_date: error [bad-date]"),
    "free-text-date": (set_cell("relations.csv", 4, "start", "last spring"), "relations.csv:4: start: error [bad-date]"),
    "reversed-dates": (
        both(set_cell("relations.csv", 4, "start", "2020"), set_cell("relations.csv", 4, "end", "2010")),
        "relations.csv:4: end: error [reversed-dates]",
    ),
    "negative-share": (set_cell("relations.csv", 4, "share", "-5"), "relations.csv:4: share: error [share-out-of-range]"),
    "share-over-100": (set_cell("relations.csv", 4, "share", "150"), "relations.csv:4: share: error [share-out-of-range]"),
    "non-numeric-share": (set_cell("relations.csv", 4, "share", "fifty"), "relations.csv:4: share: error [bad-number]"),
    "nan-share": (set_cell("relations.csv", 4, "share", "nan"), "relations.csv:4: share: error [bad-number]"),
    "infinite-amount": (set_cell("relations.csv", 4, "amount", "1e309"), "relations.csv:4: amount: error [bad-number]"),
    "self-loop-wrong-kinds": (set_cell("relations.csv", 4, "target", "beta-daughter"), "relations.csv:4: kind: error [wrong-range]"),
    "dangling-reference": (set_cell("relations.csv", 4, "target", "nobody"), "relations.csv:4: target: error [dangling-reference]"),
    "duplicate-id": (set_cell("entities.csv", 3, "id", "alpha-ruler"), "entities.csv:3: id: error [duplicate-id]"),
    "javascript-url": (set_cell("sources.csv", 2, "url", "javascript:alert(1)"), "sources.csv:2: url: error [bad-url]"),
    "bad-yaml": (edit("datapackage.yaml", lambda b: b"name: [unclosed\n"), "datapackage.yaml: error [bad-descriptor]"),
    "yaml-not-a-mapping": (edit("datapackage.yaml", lambda b: b"- a\n- b\n"), "datapackage.yaml:1: error [bad-descriptor]"),
    "missing-file": (remove("sources.csv"), "sources.csv: error [missing-file]"),
    "folder-instead-of-file": (folder_in_place_of("sources.csv"), "sources.csv: error [missing-file]"),
}

# Defects that are not defects: the same data must load as from the clean fixture.
ACCEPTED: dict[str, Mutation] = {
    "byte-order-mark": edit("entities.csv", lambda b: b"\xef\xbb\xbf" + b),
    "windows-line-endings": lambda folder: [
        edit(f, lambda b: b.replace(b"\n", b"\r\n"))(folder) for f in ("entities.csv", "relations.csv", "sources.csv")
    ],
    "old-mac-line-endings": edit("relations.csv", lambda b: b.replace(b"\n", b"\r")),
    "bom-in-descriptor": edit("datapackage.yaml", lambda b: b"\xef\xbb\xbf" + b),
    "blank-lines": edit("relations.csv", lambda b: b.replace(b"\n", b"\n\n")),
}

# Every command that reads a dataset, with the arguments it needs besides --data.
COMMANDS: dict[str, list[str]] = {
    "validate": ["validate"],
    "build": ["build", "--out", "{tmp}/graphs"],
    "view": ["view", "-o", "{tmp}/view.html"],
    "report": ["report", "--format", "csv"],
    "chains": ["chains", "iota-house", "--format", "json"],
    "path": ["path", "alpha-ruler", "zeta-bank", "--format", "json"],
    "neighbours": ["neighbours", "alpha-ruler", "--format", "json"],
    "search": ["search", "alpha", "--format", "json"],
    "export-csv": ["export", "-f", "csv", "-o", "{tmp}/csv"],
    "export-json": ["export", "-f", "json"],
    "export-ftm": ["export", "-f", "ftm"],
    "match": ["match", "--data", str(MINI_PATH)],
}


def run(runner: CliRunner, args: list[str]) -> Result:
    return runner.invoke(cli, args, catch_exceptions=True)


def assert_one_line_error(r: Result, *fragments: str, code: int = EXIT_ERROR) -> str:
    """Exit `code`, exactly one line on stderr starting 'Error:', containing `fragments`; no traceback."""
    assert r.exit_code == code, (r.exit_code, r.stderr, r.exception)
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output
    lines = [line for line in r.stderr.splitlines() if not line.startswith("warning: ")]
    if code == EXIT_USAGE:
        lines = [line for line in lines if line.startswith("Error:")]
    assert len(lines) == 1 and lines[0].startswith("Error: "), r.stderr
    for f in fragments:
        assert f in lines[0], (f, lines[0])
    return lines[0]


def command(name: str, folder: Path, tmp: Path) -> list[str]:
    args = [a.replace("{tmp}", str(tmp)) for a in COMMANDS[name]]
    return [args[0], "--data", str(folder), *args[1:]]


@pytest.fixture(scope="module")
def broken_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("broken")
    for case, (mutate, _) in BROKEN.items():
        shutil.copytree(MINI_PATH, root / case)
        mutate(root / case)
    for case, mutate in ACCEPTED.items():
        shutil.copytree(MINI_PATH, root / case)
        mutate(root / case)
    return root


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_validate_names_file_line_and_field(case: str, broken_root: Path, cli_runner: CliRunner) -> None:
    r = run(cli_runner, ["validate", "--data", str(broken_root / case)])
    assert r.exit_code == 1
    assert r.exception is None or isinstance(r.exception, SystemExit)
    assert "Traceback" not in r.output
    assert BROKEN[case][1] in r.stderr, r.stderr
    assert r.stderr.splitlines()[-1].startswith("INVALID: ")


@pytest.mark.parametrize("cmd", sorted(set(COMMANDS) - {"validate"}))
@pytest.mark.parametrize("case", sorted(BROKEN))
def test_every_command_refuses_broken_data_in_one_line(
    case: str, cmd: str, broken_root: Path, cli_runner: CliRunner, tmp_path: Path
) -> None:
    r = run(cli_runner, command(cmd, broken_root / case, tmp_path))
    line = assert_one_line_error(r, "in the data; first: ")
    assert any(f in line for f in ("entities.csv", "relations.csv", "sources.csv", "datapackage.yaml")), line
    assert not (tmp_path / "graphs").exists() and not (tmp_path / "view.html").exists() and not (tmp_path / "csv").exists()


# Defects whose first error in the sorted report is a count assertion of datapackage.yaml
# (derived: the rows could not be read) rather than the defect itself.
SHADOWED = [
    "unclosed-quote",
    "non-utf8-byte",
    "cp1251-encoding",
    "nul-byte",
    "empty-file",
    "missing-column",
    "duplicate-header",
    "missing-file",
]


@pytest.mark.parametrize("case", SHADOWED)
def test_one_line_error_names_the_cause_not_a_count(case: str, broken_root: Path, cli_runner: CliRunner, tmp_path: Path) -> None:
    r = run(cli_runner, command("build", broken_root / case, tmp_path))
    assert_one_line_error(r, BROKEN[case][1].split(" error [")[0])


@pytest.mark.parametrize("case", sorted(ACCEPTED))
def test_harmless_variants_load_like_the_clean_data(case: str, broken_root: Path, cli_runner: CliRunner) -> None:
    clean = run(cli_runner, ["export", "--data", str(MINI_PATH), "-f", "json"])
    r = run(cli_runner, ["export", "--data", str(broken_root / case), "-f", "json"])
    assert r.exit_code == 0, r.stderr
    strip = lambda text: "\n".join(line for line in text.splitlines() if "content_hash" not in line)  # noqa: E731
    assert strip(r.stdout) == strip(clean.stdout)
    assert run(cli_runner, ["validate", "--data", str(broken_root / case)]).exit_code == 0


def test_ownership_cycle_is_reported_by_chains_not_a_crash(cli_runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "cycle"
    shutil.copytree(MINI_PATH, folder)
    rel = folder / "relations.csv"
    rel.write_text(
        rel.read_text(encoding="utf-8")
        + "c1,owns,delta-holdings,epsilon-mining,shareholder,40,,,direct,,,,,,,,,,judgment-2020,,\n"
        + "c2,owns,epsilon-mining,delta-holdings,shareholder,30,,,direct,,,,,,,,,,judgment-2020,,\n",
        encoding="utf-8",
    )
    assert run(cli_runner, ["validate", "--data", str(folder)]).exit_code == 0
    r = run(cli_runner, ["chains", "--data", str(folder), "delta-holdings", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    import json

    cycles = json.loads(r.stdout)["cycles"]
    assert any({"delta-holdings", "epsilon-mining"} <= set(c if isinstance(c, list) else c.get("nodes", [])) for c in cycles), cycles
    for cmd in ("report", "path", "neighbours", "search", "export-json", "build", "view"):
        assert run(cli_runner, command(cmd, folder, tmp_path)).exit_code == 0, cmd


def test_self_loop_of_an_allowed_kind_is_refused_with_its_line(cli_runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "loop"
    shutil.copytree(MINI_PATH, folder)
    rel = folder / "relations.csv"
    rel.write_text(
        rel.read_text(encoding="utf-8") + "loop1,owns,delta-holdings,delta-holdings,shareholder,10,,,direct,,,,,,,,,,judgment-2020,,\n",
        encoding="utf-8",
    )
    r = run(cli_runner, ["validate", "--data", str(folder)])
    line = len(rel.read_text(encoding="utf-8").splitlines())
    assert r.exit_code == EXIT_ERROR and f"relations.csv:{line}: target: error [self-loop]" in r.stderr, r.stderr
    assert_one_line_error(run(cli_runner, command("chains", folder, tmp_path)), f"relations.csv:{line}")


# --- dataset folders that are not there ------------------------------------------------------


def _missing(tmp: Path) -> Path:
    return tmp / "nope"


def _a_file(tmp: Path) -> Path:
    (tmp / "afile").write_text("x", encoding="utf-8")
    return tmp / "afile"


def _dangling_symlink(tmp: Path) -> Path:
    (tmp / "link").symlink_to(tmp / "gone")
    return tmp / "link"


@pytest.mark.parametrize("make", [_missing, _a_file, _dangling_symlink], ids=["missing", "a-file", "dangling-symlink"])
@pytest.mark.parametrize("cmd", sorted(COMMANDS))
def test_a_data_folder_that_is_not_there_is_a_usage_error(
    make: Callable[[Path], Path], cmd: str, cli_runner: CliRunner, tmp_path: Path
) -> None:
    folder = make(tmp_path)
    r = run(cli_runner, command(cmd, folder, tmp_path))
    assert_one_line_error(r, "--data", folder.name, code=EXIT_USAGE)


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root reads a chmod 000 folder anyway; the missing, file and symlink cases cover it",
)
def test_an_unreadable_data_folder_is_refused(cli_runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    shutil.copytree(MINI_PATH, folder)
    folder.chmod(0)
    try:
        r = run(cli_runner, ["build", "--data", str(folder), "--out", str(tmp_path / "o")])
        assert r.exit_code in (EXIT_ERROR, EXIT_USAGE) and "Traceback" not in r.output
    finally:
        folder.chmod(0o755)


# --- import: every format's broken files -----------------------------------------------------


def _ftm_line(**over: object) -> str:
    import json

    rec: dict[str, object] = {"id": "a1", "schema": "Person", "properties": {"name": ["A"]}, "datasets": ["x"]}
    rec.update(over)
    return json.dumps(rec)


ICIJ_NON_UTF8 = b"node_id,name,countries,country_codes,sourceID,valid_until,note\n1,\xff,x,KAZ,P,,\n"
IMPORT_CASES: dict[str, tuple[str, str, bytes, str]] = {
    # case: (format, file name, content, fragment of the one-line error)
    "ftm-truncated": ("ftm", "e.json", (IMPORTS / "ftm" / "entities.ftm.json").read_bytes()[:300], "e.json:1: not valid JSON"),
    "ftm-array-not-object": ("ftm", "e.json", b"[1, 2]\n", "e.json:1: schema: not an FtM entity"),
    "ftm-string-line": ("ftm", "e.json", b'"hello"\n', "e.json:1: schema: not an FtM entity"),
    "ftm-schema-a-list": ("ftm", "e.json", (_ftm_line(schema=["Person"]) + "\n").encode(), "e.json:1: schema: expected a schema name"),
    "ftm-schema-an-object": ("ftm", "e.json", (_ftm_line(id="a2", schema={}) + "\n").encode(), "e.json:1: schema: expected"),
    "ftm-id-a-number": ("ftm", "e.json", (_ftm_line(id=5) + "\n").encode(), "e.json:1: id: expected"),
    "ftm-properties-a-string": ("ftm", "e.json", (_ftm_line(properties="x") + "\n").encode(), "e.json:1: properties: expected an object"),
    # A bad record is left out and counted (tests/test_import_ftm.py); only a file with no
    # usable record at all is an error, naming the first problem.
    "ftm-no-usable-record": (
        "ftm",
        "e.json",
        (_ftm_line(schema=["Person"]) + "\n" + _ftm_line(id="a2", schema={}) + "\n").encode(),
        "no usable record in e.json (2 read, every one left out); the first problem: e.json:1: schema: expected",
    ),
    "ftm-unknown-schema": ("ftm", "e.json", (_ftm_line(schema="Spaceship") + "\n").encode(), "e.json:1: schema:"),
    "ftm-non-utf8-first-byte": ("ftm", "e.json", b"\xff\xfe{}\n", "e.json:1: not valid UTF-8"),
    "ftm-non-utf8-later-line": ("ftm", "e.json", (_ftm_line() + "\n").encode() + b'{"id": "\xe9"}\n', "e.json:2: not valid UTF-8"),
    "bods-truncated": ("bods", "b.json", (IMPORTS / "bods" / "bods-lines.jsonl").read_bytes()[:200], "b.json:1: not valid JSON"),
    "bods-not-object": ("bods", "b.json", b"[[1]]\n", "b.json:1: not a BODS statement"),
    "bods-0.2": (
        "bods",
        "b.json",
        b'{"statementID": "x", "statementType": "entityStatement", "name": "A"}\n',
        "b.json:1: recordId: BODS 0.2/0.3 statement",
    ),
    "bods-record-type-a-list": (
        "bods",
        "b.json",
        b'{"recordId": "r", "recordType": [], "publicationDetails": {"bodsVersion": "0.4"}}\n',
        "b.json:1: recordType:",
    ),
    "bods-record-id-an-object": ("bods", "b.json", b'{"recordId": {}, "recordType": "entity"}\n', "b.json:1: recordId: expected"),
    "bods-non-utf8": ("bods", "b.json", b"\x80\n", "b.json:1: not valid UTF-8"),
    "psc-truncated": ("psc", "s.txt", (IMPORTS / "psc" / "psc-snapshot.txt").read_bytes()[:150], "s.txt:1: not valid JSON"),
    "psc-data-not-object": ("psc", "s.txt", b'{"company_number": "1", "data": [1]}\n', "s.txt:1: data: not a PSC snapshot line"),
    "psc-no-company-number": (
        "psc",
        "s.txt",
        b'{"data": {"kind": "individual-person-with-significant-control"}}\n',
        "s.txt:1: company_number: missing",
    ),
    "psc-non-utf8": ("psc", "s.txt", b'{"company_number": "1", "data": {}}\n\xc3\x28\n', "s.txt:2: not valid UTF-8"),
    "icij-wrong-layout": ("icij", "nodes-entities.csv", b"a,b,c\n1,2,3\n", "nodes-entities.csv"),
    "icij-2016-edges": ("icij", "all_edges.csv", b"node_1,rel_type,node_2\n1,officer_of,2\n", "all_edges.csv:1: ICIJ 2016 edge layout"),
    "icij-row-width": (
        "icij",
        "nodes-officers.csv",
        b"node_id,name,countries,country_codes,sourceID,valid_until,note\n1,A,Kazakhstan,KAZ,Panama Papers\n",
        "nodes-officers.csv:2: has 5 cells",
    ),
    "icij-non-utf8": ("icij", "nodes-officers.csv", ICIJ_NON_UTF8, "nodes-officers.csv:"),
}


@pytest.mark.parametrize("case", sorted(IMPORT_CASES))
def test_import_refuses_broken_files_in_one_line(case: str, cli_runner: CliRunner, tmp_path: Path) -> None:
    fmt, name, content, fragment = IMPORT_CASES[case]
    src = tmp_path / name
    src.write_bytes(content)
    r = run(cli_runner, ["import", fmt, str(src), "--out", str(tmp_path / "out"), "--url", "https://example.org/data"])
    assert_one_line_error(r, fragment)
    assert not (tmp_path / "out").exists()  # nothing half-written under the final name
    assert src.read_bytes() == content


def test_icij_non_utf8_names_the_line_of_the_bad_byte(cli_runner: CliRunner, tmp_path: Path) -> None:
    src = tmp_path / "nodes-officers.csv"
    src.write_bytes(ICIJ_NON_UTF8)
    r = run(cli_runner, ["import", "icij", str(src), "--out", str(tmp_path / "out"), "--url", "https://example.org/data"])
    assert_one_line_error(r, "nodes-officers.csv:2: not valid UTF-8")


@pytest.mark.parametrize("fmt", ["ftm", "bods", "psc", "icij"])
def test_import_of_a_missing_file_is_a_usage_error(fmt: str, cli_runner: CliRunner, tmp_path: Path) -> None:
    r = run(cli_runner, ["import", fmt, str(tmp_path / "none.json"), "--out", str(tmp_path / "out")])
    assert_one_line_error(r, "none.json", code=EXIT_USAGE)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"left_id,right_id\n", "decisions.csv:1"),
        (b"\xff\xfe", "decisions.csv"),
        (b'left_id,right_id,score,decision\n"unclosed,x,1,same\n', "decisions.csv"),
    ],
    ids=["wrong-columns", "not-utf8", "malformed"],
)
def test_a_broken_decisions_file_fails_in_one_line(content: bytes, fragment: str, cli_runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "ds"
    shutil.copytree(MINI_PATH, folder)
    (folder / "decisions.csv").write_bytes(content)
    assert_one_line_error(run(cli_runner, ["search", "--data", str(folder), "alpha", "--format", "json"]), fragment)


# --- internal errors and --debug -------------------------------------------------------------


def test_an_unexpected_exception_exits_3_in_one_line_and_debug_shows_it(cli_runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    import tracker.paths

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated bug\nsecond line")

    monkeypatch.setattr(tracker.paths, "search", boom)
    r = run(cli_runner, ["search", "--data", str(MINI_PATH), "alpha"])
    line = assert_one_line_error(r, "internal error: RuntimeError: simulated bug", "--debug", code=EXIT_INTERNAL)
    assert "second line" not in line
    r = run(cli_runner, ["--debug", "search", "--data", str(MINI_PATH), "alpha"])
    assert isinstance(r.exception, RuntimeError)  # --debug lets the traceback through


def test_readme_documents_the_exit_codes() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = text.split("## Commands", 1)[1].split("\n## ", 1)[0]
    for code, meaning in ((1, "bad data"), (2, "wrong usage"), (3, "an internal error"), (130, "interrupted with Ctrl-C")):
        assert f"`{code}` {meaning}" in commands
    assert "a full disk included" in commands


# --- a real process: what the user sees in a terminal ---------------------------------------


def _python_m(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "tracker", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=120, check=False
    )


@pytest.mark.parametrize("case", ["non-utf8-byte", "negative-share"])
def test_python_m_tracker_prints_one_line_and_no_traceback(case: str, broken_root: Path, tmp_path: Path) -> None:
    p = _python_m("build", "--data", str(broken_root / case), "--out", str(tmp_path / "g"), cwd=tmp_path)
    assert p.returncode == EXIT_ERROR
    assert "Traceback" not in p.stderr and p.stdout == ""
    assert len(p.stderr.splitlines()) == 1 and p.stderr.startswith("Error: ")


def test_python_m_tracker_import_and_debug(tmp_path: Path) -> None:
    bad = tmp_path / "e.json"
    bad.write_bytes(b"\xff\xfe{}\n")
    p = _python_m("import", "ftm", str(bad), "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert p.returncode == EXIT_ERROR and p.stderr == "Error: e.json:1: not valid UTF-8 (byte 0xff); save the file as UTF-8\n"
    p = _python_m("--debug", "import", "ftm", str(bad), "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert p.returncode != 0 and "Traceback" in p.stderr and "InvalidData" in p.stderr
    p = _python_m("view", "--data", str(tmp_path / "missing"), cwd=tmp_path)
    assert p.returncode == EXIT_USAGE and "Traceback" not in p.stderr and "Error: Invalid value for '--data'" in p.stderr


def test_a_file_cut_inside_a_character_names_its_last_line_and_byte(tmp_path: Path) -> None:
    from tracker.importers.readers import not_utf8

    path = tmp_path / "cut.json"
    path.write_bytes('{"name": "ok"}\n{"name": "Тимур'.encode() + b"\xd0")  # "Т" is d0 a2: cut after d0
    assert str(not_utf8(path)) == "cut.json:2: not valid UTF-8 (byte 0xd0); save the file as UTF-8"
