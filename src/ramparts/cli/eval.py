"""``ramparts eval``: measure the detectors on the labelled sets in ``shared/data``."""

from __future__ import annotations

import importlib
import json
import pathlib
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ramparts.errors import ConfigError

if TYPE_CHECKING:
    from rich.console import Console

DEFAULT_DATA_DIR = pathlib.Path("../shared/data")


def run_suite(name: str, data_dir: pathlib.Path) -> dict[str, Any]:
    """Import ``ramparts.detectors.evaluate.<name>`` only when asked, and run it."""
    module_name = f"ramparts.detectors.evaluate.{name}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        return {"dataset": name, "rows": [], "error": f"{module_name} is not available yet"}
    result: dict[str, Any] = module.evaluate(data_dir)
    return result


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4f}"
    if isinstance(value, list | dict):
        return json.dumps(value)[:40]
    return str(value)


def print_tables(results: list[dict[str, Any]], console: Console) -> None:
    from rich.table import Table

    for result in results:
        rows = result.get("rows", [])
        if result.get("error"):
            console.print(f"[yellow]{result['dataset']}[/yellow]: {result['error']}")
            continue
        table = Table(title=f"ramparts eval: {result['dataset']}")
        columns = list(dict.fromkeys(key for row in rows for key in row))
        for column in columns:
            table.add_column(column)
        for row in rows:
            table.add_row(*(_cell(row.get(column, "")) for column in columns))
        console.print(table)


def evaluate(
    suite: Annotated[str, typer.Argument(help="pii, secrets, injection or all.")] = "all",
    data_dir: Annotated[
        pathlib.Path, typer.Option("--data-dir", help="The shared labelled data folder.")
    ] = DEFAULT_DATA_DIR,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print results as JSON on stdout.")
    ] = False,
) -> None:
    """Measure detectors on the labelled data sets and print JSON and tables."""
    from rich.console import Console

    from ramparts.detectors.evaluate import SUITES

    choices = (*SUITES, "all")
    if suite not in choices:
        raise ConfigError(f"unknown suite '{suite}'", key="suite", allowed=list(choices))
    if not data_dir.is_dir():
        raise ConfigError(
            f"data folder {data_dir} not found; pass --data-dir pointing at shared/data"
        )
    names = SUITES if suite == "all" else (suite,)
    results = [run_suite(name, data_dir) for name in names]
    if as_json:
        sys.stdout.write(json.dumps(results if suite == "all" else results[0], indent=2) + "\n")
        print_tables(results, Console(stderr=True))
    else:
        print_tables(results, Console())


def register(app: typer.Typer) -> None:
    """Add the eval commands to the root app."""
    app.command("eval")(evaluate)
