"""CLI commands for imports (registered on the group in tracker/cli/__init__.py)."""
