"""CLI commands for views (registered on the group in tracker/cli/__init__.py)."""
