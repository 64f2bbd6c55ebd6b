"""`ramparts catalog` commands (filled in by the catalog work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the catalog commands to the root app."""
