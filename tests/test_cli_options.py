"""One spelling of each shared option: -f/--format and -o/--output on every command that has one."""

from __future__ import annotations

from pathlib import Path

import click
from click.testing import CliRunner
from conftest import MINI_PATH

from tracker.cli import cli


def options(name: str) -> dict[str, list[str]]:
    command = cli.commands[name]
    return {o.name or "": list(o.opts) for o in command.params if isinstance(o, click.Option)}


def test_format_is_spelt_one_way() -> None:
    spelt = {name: opts for name in cli.commands for dest, opts in options(name).items() if dest == "fmt"}
    assert sorted(spelt) == ["chains", "dossier", "export", "neighbours", "path", "report", "search"]
    assert {tuple(o) for o in spelt.values()} == {("-f", "--format")}


def test_output_is_spelt_one_way() -> None:
    spelt = {
        name: opts for name in ("report", "view", "dossier", "export", "build") for opts in options(name).values() if "--output" in opts
    }
    assert sorted(spelt) == ["build", "dossier", "export", "report", "view"]
    assert {tuple(o) for o in spelt.values()} == {("-o", "--output", "--out")}
    help_text = CliRunner().invoke(cli, ["build", "--help"]).stdout
    assert "-o, --output DIRECTORY" in help_text and "--out " not in help_text  # the older spelling works, unlisted


def test_the_older_spelling_still_works(tmp_path: Path) -> None:
    for flag in ("--out", "-o"):
        out = tmp_path / flag.strip("-")
        r = CliRunner().invoke(cli, ["export", "--data", str(MINI_PATH), "-f", "csv", flag, str(out)])
        assert r.exit_code == 0, r.stderr
        assert sorted(p.name for p in out.iterdir()) == ["edges.csv", "nodes.csv", "sources.csv"]


def test_the_table_formats_are_the_renderers() -> None:
    from tracker.cli.common import TABLE_FORMATS
    from tracker.render import FORMATS

    assert TABLE_FORMATS == FORMATS == ("table", "csv", "json", "md")
