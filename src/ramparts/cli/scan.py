"""`ramparts scan` commands (filled in by the scan work)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the scan commands to the root app."""
