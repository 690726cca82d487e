"""CLI commands for analysis (registered on the group in tracker/cli/__init__.py)."""
