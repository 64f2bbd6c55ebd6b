"""``ramparts scan``: find personal data, secrets and confidential text in files or stdin.

The detection engine, YAML and Rich are imported inside the functions: every
`ramparts` run imports this module to build the command tree.
"""

from __future__ import annotations

import functools
import json
import os
import pathlib
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import IO, TYPE_CHECKING, Annotated, Any

import typer

from ramparts.errors import ConfigError

if TYPE_CHECKING:
    from rich.console import Console

    from ramparts.detectors.base import Sensitivity
    from ramparts.detectors.engine import Engine
    from ramparts.detectors.scanning import SourceResult
    from ramparts.detectors.scanning_files import Entry, SourceScan

FORMATS = ("table", "json", "sarif")
_PROGRESS_MIN_BYTES = 4 << 20
# 1 is "found at or above --fail-on" and 2 a usage or settings error (click, RampartsError).
NOT_SCANNED_EXIT = 3


# Fingerprints in reports are keyed HMACs of the values; a public key would let anyone
# holding a report brute-force short values (SSNs, card numbers) back out of them.
FINGERPRINT_KEY_ENV = "RAMPARTS_FINGERPRINT_KEY"


def fail_on_choices() -> tuple[str, ...]:
    """What ``--fail-on`` accepts: a sensitivity level, or never."""
    from ramparts.detectors.base import Sensitivity

    return ("never", *(str(level) for level in Sensitivity))


def fingerprint_key() -> bytes:
    """The key of this run's fingerprints: from the environment, else random for this run."""
    configured = os.environ.get(FINGERPRINT_KEY_ENV, "")
    return configured.encode("utf-8") if configured else os.urandom(32)


def load_engine(
    config: pathlib.Path | None, only: str | None = None, key: bytes | None = None
) -> Engine:
    """The engine with default detectors, or as set by a settings YAML file and ``--only``.

    Detectors named in ``--only`` run whatever their side or cost (an
    ``output.*`` detector scans the files as if they were answers), unless the
    settings file disables them. An engine with no detector left is a
    :class:`ConfigError`: a scan that looks at nothing must not pass as clean.
    ``key`` keys the findings' fingerprints (default: :func:`fingerprint_key`).
    """
    import dataclasses

    from ramparts.detectors.engine import DetectorSettings, Engine, EngineConfig
    from ramparts.detectors.registry import Registry, default_registry

    key = fingerprint_key() if key is None else key
    registry = default_registry()
    names: list[str] = []
    if only is not None:
        names = list(dict.fromkeys(name.strip() for name in only.split(",") if name.strip()))
        if not names:
            raise ConfigError("names no detector", key="--only", allowed=registry.names())
        registry = Registry(registry.get(name) for name in names)
    settings = EngineConfig.from_dict(_settings_data(config), registry=registry)
    detectors = dict(settings.detectors)
    for name in names:
        chosen = detectors.get(name, DetectorSettings())
        if chosen.enabled is None:  # named: run it, whatever its default
            detectors[name] = dataclasses.replace(chosen, enabled=True)
    settings = dataclasses.replace(settings, detectors=detectors)
    engine = Engine(settings, registry=registry, fingerprint_key=key)
    if not engine.detector_names:
        raise ConfigError(
            "no detectors selected: the settings and --only leave none enabled",
            source=None if config is None else str(config),
        )
    return engine


def _settings_data(config: pathlib.Path | None) -> Any:
    """The ``detectors`` settings of a YAML file (a whole policy file or the section)."""
    import yaml

    if config is None:
        return None
    try:
        data = yaml.safe_load(config.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"cannot read detector settings: {exc}", source=str(config)) from None
    if isinstance(data, dict) and "detectors" in data and isinstance(data["detectors"], dict):
        section = data["detectors"]
        # Accept both a whole policy file (detectors: {threshold, detectors}) and the section.
        if "detectors" in section or "threshold" in section:
            data = section
    return data


def _sources(engine: Engine, paths: list[str] | None, err: Console) -> Iterator[SourceScan]:
    """Each file, directory entry or stdin, in argument order, scanned lazily."""
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    from ramparts.detectors.scanning_files import STDIN, iter_entries, open_entry, read_source

    unlisted: list[OSError] = []  # directories that could not be listed, as they are met
    entries: list[Entry] = []
    for entry in iter_entries(paths or [], unlisted.append):
        entries.extend(_unlisted(unlisted))
        entries.append(entry)
    entries.extend(_unlisted(unlisted))
    total = sum(entry.size for entry in entries)
    show = err.is_terminal and total >= _PROGRESS_MIN_BYTES
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err,
        disable=not show,
        transient=True,
    ) as progress:
        task = progress.add_task("scanning", total=total)

        def advance(size: int) -> None:
            progress.advance(task, size)

        for entry in entries:
            if entry.path == STDIN and entry.skip is None:
                yield read_source(engine, STDIN, sys.stdin.buffer)
            else:
                yield open_entry(engine, entry, on_progress=advance)


def _unlisted(errors: list[OSError]) -> list[Entry]:
    from ramparts.detectors.scanning_files import Entry, unreadable

    entries = [Entry(str(error.filename), unreadable(error, "directory")) for error in errors]
    errors.clear()
    return entries


def _stream_json(sources: Iterator[SourceScan], out: IO[str]) -> tuple[list[Sensitivity], bool]:
    """Write the JSON report as findings arrive, so memory stays flat.

    Returns the levels seen, and whether some source could not be scanned.
    """
    from ramparts.detectors.scanning import display_path, is_failure

    levels: set[Sensitivity] = set()
    incomplete = False
    out.write('{\n  "results": [')
    for index, source in enumerate(sources):
        path = json.dumps(display_path(source.path))
        out.write(("," if index else "") + '\n    {"path": ' + path + ', "findings": [')
        for count, item in enumerate(source.findings()):
            levels.add(item.finding.sensitivity)
            out.write(("," if count else "") + "\n      " + json.dumps(item.to_dict()))
        out.write("]")
        # Known once the findings are read: stray bytes and read errors show up late.
        if source.encoding:
            out.write(', "encoding": ' + json.dumps(source.encoding))
        if source.skipped:
            out.write(', "skipped": ' + json.dumps(source.skipped))
        out.write("}")
        incomplete = incomplete or is_failure(source.skipped)
    out.write("\n  ]\n}\n")
    return sorted(levels), incomplete


def _print_table(results: list[SourceResult], out: Console) -> None:
    from rich.markup import escape
    from rich.table import Table

    from ramparts.detectors.scanning import display_path

    table = Table(title="ramparts scan", show_lines=False)
    for column in ("file", "line:col", "detector", "kind", "score", "sensitivity"):
        table.add_column(column)
    for result in results:
        for item in result.findings:
            table.add_row(
                escape(display_path(result.path)),
                f"{item.line}:{item.column}",
                item.finding.detector,
                item.finding.kind,
                f"{item.finding.score:.2f}",
                str(item.finding.sensitivity),
            )
    out.print(table)
    for result in results:
        path = escape(display_path(result.path))
        if result.skipped:
            out.print(f"[yellow]skipped[/yellow] {path}: {escape(result.skipped)}", soft_wrap=True)
        if result.encoding not in (None, "utf-8", "utf-8-sig"):
            out.print(f"[dim]read {path} as {result.encoding}[/dim]", soft_wrap=True)
    count = sum(len(result.findings) for result in results)
    out.print(f"{count} finding(s) in {len(results)} source(s)")


def _render(results: list[SourceResult], output_format: str, out: Console) -> None:
    if output_format == "table":
        _print_table(results, out)
        return
    from ramparts.detectors.registry import default_registry
    from ramparts.detectors.scanning_sarif import to_sarif

    sys.stdout.write(json.dumps(to_sarif(results, default_registry()), indent=2) + "\n")


def _exit_code(levels: Iterable[Sensitivity], fail_on: str, *, incomplete: bool = False) -> int:
    if incomplete:
        return NOT_SCANNED_EXIT  # the verdict is incomplete, whatever was found
    if fail_on == "never":
        return 0
    from ramparts.detectors.base import Sensitivity

    threshold = Sensitivity.parse(fail_on)
    return 1 if any(level >= threshold for level in levels) else 0


def _scan_jsonl(
    engine: Engine, make_engine: Callable[[], Engine], workers: int, fail_on: str
) -> int:
    """Answer each stdin line on stdout, summarise on stderr; returns the exit code."""
    from rich.console import Console

    from ramparts.detectors.scanning import default_workers, scan_jsonl

    out = sys.stdout.buffer
    counts = scan_jsonl(
        engine,
        sys.stdin.buffer,
        out,
        workers=workers or default_workers(),
        make_engine=make_engine,
    )
    out.flush()
    Console(stderr=True).print(
        f"{counts.read} line(s), {counts.flagged} flagged, {counts.errors} not scanned",
        highlight=False,
    )
    if counts.errors:
        return NOT_SCANNED_EXIT  # the verdicts are incomplete, whatever was found
    levels = [] if counts.highest is None else [counts.highest]
    return _exit_code(levels, fail_on)


def _check_jsonl_usage(paths: list[str] | None, output_format: str | None) -> None:
    """--jsonl reads stdin and writes JSON lines: paths and --format would be ignored."""
    from ramparts.detectors.scanning_files import STDIN

    if any(path != STDIN for path in paths or []):
        raise ConfigError(
            "reads JSON lines from stdin only, not from paths; to scan a file, "
            "redirect it: ramparts scan --jsonl < FILE",
            key="--jsonl",
        )
    if output_format is not None:
        raise ConfigError("writes one JSON answer per line; --format does not apply", key="--jsonl")


def _exit(code: int) -> None:
    if code:
        raise typer.Exit(code)


def scan(
    paths: Annotated[
        list[str] | None, typer.Argument(help="Files or directories to scan; '-' for stdin.")
    ] = None,
    output_format: Annotated[
        str | None,
        typer.Option("--format", "-f", help="table (the default), json or sarif."),
    ] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on",
            help="Exit 1 when a finding at or above this sensitivity is found "
            "(public, internal, confidential, restricted, never).",
        ),
    ] = "confidential",
    jsonl: Annotated[
        bool,
        typer.Option(
            "--jsonl",
            help="Bulk mode: JSON objects {text, id} per stdin line (stdin only: "
            "no paths, no --format); one JSON answer per line, an error record for "
            "a line that could not be scanned.",
        ),
    ] = False,
    config: Annotated[
        pathlib.Path | None,
        typer.Option("--config", "-c", help="YAML detector settings (policy 'detectors')."),
    ] = None,
    only: Annotated[
        str | None,
        typer.Option("--only", help="Comma-separated detector names to run (default: all)."),
    ] = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            min=0,
            help="With --jsonl: processes scanning in parallel (0: one per CPU, "
            "at most 8). Output keeps the input order.",
        ),
    ] = 0,
) -> None:
    """Scan files, directories or stdin for personal data, secrets and confidential text.

    Matched values are never printed: findings show where, what and how sure.

    Exit codes: 0 nothing at or above --fail-on; 1 found at or above it; 2 usage or
    settings error; 3 something could not be scanned (a missing or unreadable file
    or directory; with --jsonl, a line, which has an error record): 3 wins over 1
    because the answer is incomplete. Binary files, and in walked directories
    FIFOs, sockets, devices and broken or looping symbolic links, are skipped
    with a note (exit 0). Text is decoded as UTF-8, UTF-16 or UTF-32 (by its
    byte-order mark, or UTF-16's NUL bytes), else cp1252; offsets and columns
    count characters of the decoded text.

    Fingerprints (JSON, SARIF) are keyed by $RAMPARTS_FINGERPRINT_KEY when it is
    set, so runs can be compared; otherwise by a random key, new each run.
    """
    from rich.console import Console

    from ramparts.detectors.scanning import is_failure

    if jsonl:
        _check_jsonl_usage(paths, output_format)
    output_format = output_format or "table"
    if output_format not in FORMATS:
        raise ConfigError(
            f"unknown format '{output_format}'", key="--format", allowed=list(FORMATS)
        )
    severities = fail_on_choices()
    if fail_on not in severities:
        raise ConfigError(
            f"unknown severity '{fail_on}'", key="--fail-on", allowed=list(severities)
        )
    key = fingerprint_key()
    engine = load_engine(config, only, key)
    err = Console(stderr=True)
    if jsonl:
        make_engine = functools.partial(load_engine, config, only, key)
        _exit(_scan_jsonl(engine, make_engine, workers, fail_on))
        return
    sources = _sources(engine, paths, err)
    if output_format == "json":
        levels, incomplete = _stream_json(sources, sys.stdout)
        _exit(_exit_code(levels, fail_on, incomplete=incomplete))
        return
    results = [source.result() for source in sources]
    _render(results, output_format, Console())
    seen = (item.finding.sensitivity for result in results for item in result.findings)
    incomplete = any(is_failure(result.skipped) for result in results)
    _exit(_exit_code(seen, fail_on, incomplete=incomplete))


def register(app: typer.Typer) -> None:
    """Add the scan commands to the root app."""
    app.command("scan")(scan)
