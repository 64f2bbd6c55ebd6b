"""`ramparts discover run|export-sigma`: find the AI services people use."""

from __future__ import annotations

import math
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ramparts.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from rich.console import Console
    from sqlalchemy.engine import Engine

# Exit code when no input gave a single record (unreadable, unrecognised or empty logs):
# the run says nothing about AI use. 2 is a usage or settings error (as everywhere).
NOTHING_READ_EXIT = 3

# ramparts.discovery.storage.DEFAULT_STORE_URL, spelled out here because importing the
# store loads polars and SQLAlchemy in every `ramparts` run (a test keeps the two equal).
DEFAULT_STORE_URL = "sqlite:///ramparts-data/ramparts.db"


def parse_mapping(text: str | None) -> dict[str, str] | None:
    """``ts=time,host=dest`` -> {"ts": "time", "host": "dest"}."""
    if not text:
        return None
    mapping: dict[str, str] = {}
    for pair in text.split(","):
        key, sep, value = pair.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ConfigError("expected field=column pairs separated by commas", key=pair)
        mapping[key.strip()] = value.strip()
    return mapping


def parse_since(text: str | None) -> float | None:
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(
            "expected an ISO date or date-time (2026-11-01 or 2026-11-01T08:00:00Z) or 'last'",
            key="--since",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def upload_threshold(megabytes: float) -> int:
    """``--large-upload-mb`` in bytes: a positive, finite size."""
    if not math.isfinite(megabytes) or megabytes <= 0 or megabytes > 1e12:
        raise ConfigError(
            "expected a positive number of megabytes (at most 1e12)", key="--large-upload-mb"
        )
    return max(1, int(megabytes * 1024 * 1024))


def _store_and_write(
    report: dict[str, Any],
    engine: Engine | None,
    read_until: datetime,
    outputs: dict[str, Path | None],
    console: Console | None,
) -> None:
    """Save the run, then write the report files. Stored first: a file can still fail
    (disk full) and must not lose the run. A run without a single record is not stored:
    it is no history for `--since last` or `new_service`."""
    from ramparts.discovery.report import render_html, render_json, write_csv
    from ramparts.discovery.storage import save_run

    stored = ""
    if engine is not None and report["totals"]["records"]:
        stored = f"discovery run {save_run(engine, report, read_until=read_until)}"
        if console is not None:
            console.print(f"[dim]stored as {stored}[/dim]")
    writers: dict[str, Callable[[Path], object]] = {
        "--json": lambda p: p.write_text(render_json(report), encoding="utf-8"),
        "--csv": lambda p: write_csv(report, p),
        "--html": lambda p: p.write_text(render_html(report), encoding="utf-8"),
    }
    for option, path in outputs.items():
        if path is None:
            continue
        try:
            writers[option](path)
        except OSError as exc:
            kept = f"; the results are stored as {stored}" if stored else ""
            raise ConfigError(
                f"cannot write the report: {exc.strerror or type(exc).__name__}{kept}",
                source=str(path),
                key=option,
            ) from None


def check_output(path: Path | None, option: str) -> None:
    """Refuse an output path that cannot be written before any log is read, so a typo
    never costs a whole run."""
    if path is None:
        return
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ConfigError("is a directory; give a file name", source=str(path), key=option)
    if not parent.is_dir():
        raise ConfigError(
            f"the directory {parent} does not exist; create it or pick another path",
            source=str(path),
            key=option,
        )
    writable = os.access(path, os.W_OK) if path.exists() else os.access(parent, os.W_OK | os.X_OK)
    if not writable:
        raise ConfigError("not writable (permission denied)", source=str(path), key=option)


def since_last(engine: Engine | None, tenant: str) -> float | None:
    """Strictly after the newest record of the previous run, so nothing is counted twice."""
    from ramparts.discovery.storage import last_window_end

    last = last_window_end(engine, tenant) if engine is not None else None
    return math.nextafter(last, math.inf) if last is not None else None


def register(app: typer.Typer) -> None:
    """Add the discover commands to the root app."""
    group = typer.Typer(
        help="Shadow-AI discovery from proxy, DNS and firewall logs.", no_args_is_help=True
    )

    @group.command("run")
    def run(
        inputs: Annotated[
            list[str], typer.Argument(help="Log files, globs, directories, or '-' for stdin.")
        ],
        fmt: Annotated[
            str | None, typer.Option("--format", help="Log format (default: auto-detect).")
        ] = None,
        mapping: Annotated[
            str | None,
            typer.Option("--map", help="Generic CSV/JSONL mapping: ts=col,user=col,host=col,..."),
        ] = None,
        users: Annotated[
            Path | None, typer.Option("--users", help="CSV with ip,user[,department] columns.")
        ] = None,
        overlay: Annotated[
            Path | None, typer.Option("--overlay", help="Tenant overlay YAML.")
        ] = None,
        since: Annotated[
            str | None,
            typer.Option(
                "--since", help="Only traffic from this time on; 'last' = after the last run."
            ),
        ] = None,
        json_out: Annotated[
            Path | None, typer.Option("--json", help="Write the JSON report here.")
        ] = None,
        csv_out: Annotated[
            Path | None, typer.Option("--csv", help="Services CSV here (and <name>-users.csv).")
        ] = None,
        html_out: Annotated[
            Path | None, typer.Option("--html", help="Write the self-contained HTML report here.")
        ] = None,
        store_url: Annotated[
            str, typer.Option("--store-url", help="SQLAlchemy URL of the Ramparts store.")
        ] = DEFAULT_STORE_URL,
        no_store: Annotated[
            bool, typer.Option("--no-store", help="Do not save results in the store.")
        ] = False,
        large_upload_mb: Annotated[
            float, typer.Option(help="Upload per user and service that is a finding (MB).")
        ] = 10.0,
        many_services: Annotated[
            int, typer.Option(help="Number of AI services per user that is a finding.")
        ] = 5,
        quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No terminal summary.")] = False,
    ) -> None:
        """Read logs, match them to the catalog and report who uses which AI services."""
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        from ramparts.discovery.analysis import Thresholds
        from ramparts.discovery.catalog import load_catalog
        from ramparts.discovery.pipeline import RunOptions, run_discovery
        from ramparts.discovery.report import print_summary
        from ramparts.discovery.report.csv import users_csv_path
        from ramparts.discovery.report.terminal import nothing_read_message, safe_text
        from ramparts.discovery.storage import known_services, open_store
        from ramparts.discovery.usermap import load_user_map

        for path, option in ((json_out, "--json"), (csv_out, "--csv"), (html_out, "--html")):
            check_output(path, option)
        if csv_out is not None:
            check_output(users_csv_path(csv_out), "--csv")
        upload_bytes = upload_threshold(large_upload_mb)
        if many_services < 1:
            raise ConfigError("expected a number of services of at least 1", key="--many-services")
        catalog = load_catalog(overlay)
        if since == "last" and no_store:
            raise ConfigError("--since last reads the previous run from the store: drop --no-store")
        engine = None if no_store else open_store(store_url)
        since_ts = since_last(engine, catalog.tenant) if since == "last" else parse_since(since)
        options = RunOptions(
            fmt=fmt,
            mapping=parse_mapping(mapping),
            user_map=load_user_map(users) if users else None,
            since=since_ts,
            thresholds=Thresholds(large_upload_bytes=upload_bytes, many_services=many_services),
            known_services=known_services(engine, catalog.tenant) if engine is not None else None,
        )
        console = Console(stderr=True)
        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("files"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=quiet,
        ) as progress:
            task = progress.add_task("reading logs", total=None)
            current = {"file": ""}

            def on_records(count: int) -> None:
                progress.update(task, description=f"{current['file']}: {count:,} records")

            def on_file(done: int, total: int, path: str) -> None:
                # The description is Rich markup: a file name is escaped and loses control
                # characters (a name can hold '[...]' and terminal escape sequences).
                current["file"] = safe_text(Path(path).name, 80) if path != "-" else "stdin"
                progress.update(task, completed=done, total=total, description=current["file"])

            report = run_discovery(inputs, catalog, options, progress=on_records, on_file=on_file)
            progress.update(task, completed=progress.tasks[0].total or 0)
            read_until = datetime.now(UTC)
        _store_and_write(
            report,
            engine,
            read_until,
            {"--json": json_out, "--csv": csv_out, "--html": html_out},
            console if not quiet else None,
        )
        if not quiet:
            print_summary(report, Console())
        if not report["totals"]["records"]:
            console.print(f"[red]error:[/red] {nothing_read_message(report)}")
            raise typer.Exit(NOTHING_READ_EXIT)

    @group.command("export-sigma")
    def export_sigma(
        out_dir: Annotated[Path, typer.Option("--out", help="Directory for the rules.")] = Path(
            "sigma-rules"
        ),
        overlay: Annotated[
            Path | None, typer.Option("--overlay", help="Tenant overlay YAML.")
        ] = None,
        status: Annotated[
            list[str] | None,
            typer.Option("--status", help="Only services with this status; repeatable."),
        ] = None,
    ) -> None:
        """Write Sigma rules (proxy and DNS log sources) for the catalog."""
        from ramparts.discovery.catalog import STATUSES, load_catalog
        from ramparts.discovery.sigma import export_rules

        status = status or []
        bad = [s for s in status if s not in STATUSES]
        if bad:
            raise ConfigError("unknown status", key=bad[0], allowed=list(STATUSES))
        catalog = load_catalog(overlay)
        written = export_rules(catalog, out_dir, statuses=set(status) or None)
        typer.echo(f"wrote {len(written)} Sigma rules under {out_dir}")

    app.add_typer(group, name="discover")
