"""The command-line interface: one click group, thin commands over the library.

Commands live in a few modules by area (data, views, analysis, exports, imports) and register
themselves on the group below. Errors: a `TrackerError` from the library becomes a one-line
`Error: ...` and exit 1; wrong usage exits 2 (click); anything unexpected exits 3 with a
one-line message, and `--debug` shows the traceback.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click

from tracker import __version__

__all__ = ["cli", "EXIT_OK", "EXIT_ERROR", "EXIT_USAGE", "EXIT_INTERNAL", "EXIT_INTERRUPTED"]

EXIT_OK = 0  # success
EXIT_ERROR = 1  # bad data, failed validation, unknown entity, unwritable output (disk full too)
EXIT_USAGE = 2  # wrong options or arguments (click's own code)
EXIT_INTERNAL = 3  # a bug: please report it with the --debug traceback
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it


class TrackerGroup(click.Group):
    """A click group that turns library errors into one-line messages."""

    def invoke(self, ctx: click.Context) -> Any:
        from tracker.exc import TrackerError

        try:
            result = super().invoke(ctx)
        except TrackerError as exc:
            if ctx.find_root().params.get("debug"):
                raise
            raise click.ClickException(str(exc).splitlines()[0] if str(exc) else type(exc).__name__) from None
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except KeyboardInterrupt:
            # Every output is written to a temporary name and renamed, so what was written is whole.
            click.echo("Interrupted: outputs already written are whole, the one being written was discarded.", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            sys.stderr.close()
            ctx.exit(EXIT_OK)
        except OSError as exc:
            # The system refused (disk full, permission, device gone): not a bug in the tool.
            if ctx.find_root().params.get("debug"):
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            click.echo(f"Error: {where}{exc.strerror or exc}", err=True)
            ctx.exit(EXIT_ERROR)
        except Exception as exc:  # noqa: BLE001 - the last line of defence against tracebacks
            if ctx.find_root().params.get("debug"):
                raise
            msg = str(exc).splitlines()[0] if str(exc) else ""
            click.echo(f"Error: internal error: {type(exc).__name__}: {msg} (run with --debug for details)", err=True)
            ctx.exit(EXIT_INTERNAL)
        from tracker.cli.common import fast_exit_pending

        if fast_exit_pending() and not ctx.resilient_parsing:
            # Every output is written and renamed; skip freeing millions of objects one by one.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_OK)
        return result


@click.group(cls=TrackerGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tracker")
@click.option("-v", "--verbose", is_flag=True, help="Log progress to stderr.")
@click.option("--debug", is_flag=True, help="Show a traceback instead of a one-line error.")
def cli(verbose: bool, debug: bool) -> None:
    """Trace how a ruling elite's wealth reaches the City of London and offshore havens.

    Without --data DIR, every command reads the dataset of the current folder (a
    datapackage.yaml here or in ./datasets), else the curated dataset shipped with the tool.
    Data goes to stdout, messages to stderr.

    Exit codes: 0 success, 1 bad data or other error (a full disk too), 2 wrong usage,
    3 internal error, 130 interrupted (Ctrl-C).
    """
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


# Register the commands (each module adds its own to `cli`).
from tracker.cli import analysis as _analysis  # noqa: E402,F401
from tracker.cli import data as _data  # noqa: E402,F401
from tracker.cli import exports as _exports  # noqa: E402,F401
from tracker.cli import imports as _imports  # noqa: E402,F401
from tracker.cli import store as _store  # noqa: E402,F401
from tracker.cli import views as _views  # noqa: E402,F401
