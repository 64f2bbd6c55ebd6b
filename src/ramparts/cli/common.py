"""What every command needs: settings, the store, and consistent output."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlalchemy import Engine

from ramparts.config import Settings, load_settings
from ramparts.store.db import create_store_engine, migrate, session_factory
from ramparts.store.identity import IdentityStore

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        "-c",
        help="Settings YAML (default: $RAMPARTS_CONFIG or ./ramparts.yaml when present).",
        envvar="RAMPARTS_CONFIG",
        show_envvar=False,
    ),
]

console = Console()
err_console = Console(stderr=True)


def settings_from(config: Path | None) -> Settings:
    return load_settings(config)


def open_store(settings: Settings) -> tuple[Engine, IdentityStore]:
    engine = create_store_engine(settings.resolved_database_url)
    migrate(engine)
    return engine, IdentityStore(session_factory(engine))
