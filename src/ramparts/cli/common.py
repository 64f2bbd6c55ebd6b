"""What every command needs: settings, the store, and consistent output.

Every `ramparts` run imports all command modules to build the command tree, so
this module and the command modules import only typer and the standard library
at the top; settings (pydantic), the store (SQLAlchemy, Alembic) and Rich load
inside the functions that use them.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text
    from sqlalchemy import Engine

    from ramparts.config import Settings
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


@functools.cache
def console() -> Console:
    """The Rich console on stdout, made on first use."""
    from rich.console import Console

    return Console()


@functools.cache
def err_console() -> Console:
    """The Rich console on stderr, made on first use."""
    from rich.console import Console

    return Console(stderr=True)


def plain(value: object) -> Text:
    """A table cell shown as is: names, comments and prompts may hold ``[...]``, which
    Rich would otherwise read as markup (a crash, or a hidden or spoofed link)."""
    from rich.text import Text

    return Text(str(value))


def redacted_url(url: str) -> str:
    """A database URL fit to print: the password replaced by ``***``."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(unparsable database URL)"


def settings_from(config: Path | None) -> Settings:
    from ramparts.config import load_settings

    return load_settings(config)


def open_store(settings: Settings) -> tuple[Engine, IdentityStore]:
    from ramparts.store.db import create_store_engine, migrate, session_factory
    from ramparts.store.identity import IdentityStore

    engine = create_store_engine(settings.resolved_database_url)
    migrate(engine)
    return engine, IdentityStore(session_factory(engine))
