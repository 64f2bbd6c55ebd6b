"""The ``ramparts`` command.

Each command group lives in its own module under ``ramparts.cli`` and exposes
``register(app)``; this module only assembles them, so parts of Ramparts add
commands through the same hook.
"""

from __future__ import annotations

import importlib
import sys

import typer

from ramparts import __version__
from ramparts.errors import RampartsError

COMMAND_MODULES = (
    "ramparts.cli.serve",
    "ramparts.cli.identity",
    "ramparts.cli.audit",
    "ramparts.cli.policy",
    "ramparts.cli.scan",
    "ramparts.cli.eval",
    "ramparts.cli.catalog",
    "ramparts.cli.discover",
)


def build_app() -> typer.Typer:
    app = typer.Typer(
        name="ramparts",
        help="Ramparts: sanctioned AI gateway, data protection and shadow-AI discovery.",
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
    )

    @app.callback(invoke_without_command=True)
    def _root(
        version: bool = typer.Option(False, "--version", help="Print the version and exit."),
    ) -> None:
        if version:
            typer.echo(__version__)
            raise typer.Exit()

    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(app)
    return app


def main() -> None:
    """Entry point: run the CLI, turning Ramparts errors into a clear message and exit 2."""
    app = build_app()
    try:
        # Without standalone mode click returns (not raises) the code of typer.Exit.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except RampartsError as exc:
        typer.secho(f"error: {exc}", fg=typer.colors.RED, err=True)
        sys.exit(2)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        typer.secho("aborted", err=True)
        sys.exit(130)
    except Exception as exc:
        import click

        # Usage errors: typer raises those of its own bundled copy of click
        # (typer.TyperException), commands written against click raise click's.
        show = getattr(exc, "show", None)
        if isinstance(exc, click.ClickException | typer.TyperException) and callable(show):
            show()
            sys.exit(int(getattr(exc, "exit_code", 2)))
        raise
