"""CLI commands for exports (registered on the group in tracker/cli/__init__.py)."""
