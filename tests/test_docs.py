"""The README documents every command, and every command has help."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from tracker.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
COMMANDS = sorted(cli.commands)


def test_there_are_commands() -> None:
    assert {"schema", "validate", "build"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_command_is_documented(name: str) -> None:
    assert f"### tracker {name}" in README, f"README.md has no '### tracker {name}' section"


@pytest.mark.parametrize("name", COMMANDS)
def test_command_has_help(name: str) -> None:
    command = cli.commands[name]
    assert command.help and len(command.help.strip()) > 20
    for param in command.params:
        if isinstance(param, click.Option) and param.name not in {"help"}:
            assert param.help, f"{name} {param.opts} has no help"


def test_readme_names_every_module_in_its_architecture_list() -> None:
    pkg = Path(__file__).resolve().parents[1] / "tracker"
    modules = [p.relative_to(pkg.parent).as_posix() for p in pkg.rglob("*.py") if p.name != "__init__.py" or p.parent != pkg]
    missing = [m for m in modules if f"`{m}`" not in README and f"`{Path(m).parent.as_posix()}/`" not in README]
    assert not missing, f"README architecture list lacks: {missing}"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (Path(__file__).resolve().parents[1] / ".ci" / "run").read_text(encoding="utf-8")
    test_cmd = ci.strip().splitlines()[-1]
    lint = "ruff check tracker tests && ruff format --check tracker tests && mypy tracker"
    assert test_cmd == f"pip install -q '.[dev]' && {lint} && python -m pytest -q -p no:cacheprovider"
    readme_cmd = f"pip install '.[dev]' && \\\n    {lint} && python -m pytest -q -p no:cacheprovider"
    assert readme_cmd in README
    assert test_cmd.replace("pip install -q", "pip install") == readme_cmd.replace(" \\\n   ", "")
