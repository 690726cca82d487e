"""`python -m tracker` runs the CLI."""

from tracker.cli import cli

if __name__ == "__main__":
    cli()
