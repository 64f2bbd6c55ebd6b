"""`ramparts audit verify|export|import-spill`."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer

from ramparts.cli.common import ConfigOption, console, open_store, settings_from
from ramparts.errors import InvalidRequestError

audit = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)


@audit.command("verify")
def verify(
    tenant: Annotated[str | None, typer.Option("--tenant", "-t", help="Tenant name or id.")] = None,
    legacy_zone: Annotated[
        str | None,
        typer.Option(
            help="Time zone (e.g. Europe/Berlin) the database sessions of gateways before"
            " UTC-aware audit times ran in, to verify their records from another zone."
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Check every record against the hash chain; exit 1 on altered, deleted or moved records."""
    from rich.text import Text

    from ramparts.audit.trail import verify_trail

    zone = _zone(legacy_zone) if legacy_zone else None
    engine, store = open_store(settings_from(config))
    tenant_id = store.get_tenant(tenant).id if tenant else None
    result = verify_trail(engine, tenant_id, legacy_zone=zone)
    out = console()
    for problem in result.problems:
        # Problems quote tenant keys from the database: data, never markup.
        out.print(Text.assemble(("✗", "red"), " ", str(problem)), highlight=False)
    if result.legacy_time_records:
        out.print(
            f"note: {result.legacy_time_records} records matched only with their time read"
            " as versions before UTC-aware audit times hashed it (the wall clock in the"
            " session's time zone or --legacy-zone)",
            markup=False,
            highlight=False,
        )
    if result.ok:
        out.print(f"[green]✓[/] {result.records} records in {result.tenants} chains verified")
        return
    out.print(f"[red]{len(result.problems)} problems[/] in {result.records} records")
    raise typer.Exit(1)


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ValueError, OSError, ZoneInfoNotFoundError):
        raise InvalidRequestError(
            f"--legacy-zone {name!r} is not a time zone name (e.g. Europe/Berlin)"
        ) from None


@audit.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", help="Output format.")] = "jsonl",
    tenant: Annotated[str | None, typer.Option("--tenant", "-t", help="Tenant name or id.")] = None,
    since: Annotated[
        str | None, typer.Option(help="Only records at or after this ISO time (UTC).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Stream audit records to stdout, one JSON object per line."""
    from ramparts.audit.trail import export_records

    if fmt != "jsonl":
        raise InvalidRequestError(f"--format {fmt!r} is not supported (allowed: jsonl)")
    try:
        since_at = datetime.fromisoformat(since) if since else None
    except ValueError:
        raise InvalidRequestError(f"--since {since!r} is not an ISO date or time") from None
    engine, store = open_store(settings_from(config))
    tenant_id = store.get_tenant(tenant).id if tenant else None
    out = sys.stdout.buffer
    for line in export_records(engine, tenant_id=tenant_id, since=since_at):
        out.write(line)
    out.flush()


@audit.command("import-spill")
def import_spill_file(path: Path, config: ConfigOption = None) -> None:
    """Write records spilled to disk during a shutdown with the store down into the trail.

    Records already in the trail are skipped; the file is renamed to *.imported afterwards.
    """
    from ramparts.audit.trail import IMPORTED_SUFFIX, import_spill

    engine, _ = open_store(settings_from(config))
    out = console()
    result = import_spill(engine, path)
    if result.already_imported:
        out.print(
            f"{path} was already imported (now {result.moved_to}); nothing to do",
            markup=False,
            highlight=False,
        )
        return
    out.print(
        f"imported {result.imported} records from {path},"
        f" skipped {result.skipped} already in the trail or repeated in the file",
        markup=False,
        highlight=False,
    )
    if result.moved_to is not None:
        out.print(f"renamed to {result.moved_to}", markup=False, highlight=False)
    elif not path.name.endswith(IMPORTED_SUFFIX):
        out.print(
            f"could not rename {path}; importing it again skips its records",
            markup=False,
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.add_typer(audit, name="audit")
