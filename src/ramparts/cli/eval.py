"""`ramparts eval` commands (filled in by the eval work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the eval commands to the root app."""
