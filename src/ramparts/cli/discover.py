"""`ramparts discover` commands (filled in by the discover work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the discover commands to the root app."""
