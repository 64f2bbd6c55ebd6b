"""Each `ramparts` run imports only what its command needs.

Pre-commit hooks and CI start `ramparts scan` once per run, so the gateway, the
SQL store, discovery (polars) and the HTTP stack must not load for it, nor for
``--version`` and ``--help``. The commands run as real processes (a fresh
``sys.modules``), through the console script's entry point.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Runs `ramparts ARGS...`, then writes the imported module names to OUT.
PROBE = """
import json, sys
from ramparts.cli.main import main
out, sys.argv = sys.argv[1], ["ramparts", *sys.argv[2:]]
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code
with open(out, "w") as f:
    json.dump(sorted(sys.modules), f)
sys.exit(code)
"""

# What only `serve`, the store-backed commands and `discover` need.
SERVER_AND_STORE = (
    "aiohttp",
    "alembic",
    "fastapi",
    "polars",
    "redis",
    "sqlalchemy",
    "starlette",
    "uvicorn",
    "ramparts.audit",
    "ramparts.discovery",
    "ramparts.gateway",
    "ramparts.policy",
    "ramparts.store",
)
# Besides, what no command's code needs before the command runs. (Not pydantic: typer
# itself coerces option values with it.)
COMMAND_CODE = ("yaml", "ramparts.config", "ramparts.detectors")

CLEAN = b"the weather is fine today\n"


def imported(tmp_path: Path, *args: str, stdin: bytes = b"", expect: int = 0) -> set[str]:
    """The modules a `ramparts ARGS...` process imported."""
    out = tmp_path / "modules.json"
    env = {**os.environ, "RAMPARTS_DATA_DIR": str(tmp_path / "data")}
    env.pop("RAMPARTS_CONFIG", None)
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args],
        input=stdin,
        capture_output=True,
        timeout=120,
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == expect, result.stderr.decode()
    return set(json.loads(out.read_text()))


def loaded(modules: set[str], packages: tuple[str, ...]) -> list[str]:
    """The ``packages`` (or modules inside them) present in ``modules``."""
    return sorted(p for p in packages if any(m == p or m.startswith(p + ".") for m in modules))


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("scan", "--help")])
def test_version_and_help_import_no_command_code(tmp_path: Path, args: tuple[str, ...]) -> None:
    modules = imported(tmp_path, *args)
    assert loaded(modules, SERVER_AND_STORE + COMMAND_CODE) == []


def test_version_imports_no_rich(tmp_path: Path) -> None:
    assert loaded(imported(tmp_path, "--version"), ("rich",)) == []


def test_scan_of_stdin_imports_the_engine_only(tmp_path: Path) -> None:
    modules = imported(tmp_path, "scan", "-", stdin=CLEAN)
    assert "ramparts.detectors.engine" in modules  # the probe sees the command's imports
    assert loaded(modules, SERVER_AND_STORE) == []


def test_scan_of_a_file_as_sarif_imports_the_engine_only(tmp_path: Path) -> None:
    sample = tmp_path / "notes.txt"
    sample.write_bytes(CLEAN)
    modules = imported(tmp_path, "scan", str(sample), "--format", "sarif")
    assert "ramparts.detectors.scanning_sarif" in modules
    assert loaded(modules, SERVER_AND_STORE) == []


def test_policy_lint_imports_no_store_or_gateway_app(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(
        "rules:\n  - id: no-secrets\n    match: {families: [secrets]}\n    action: block\n"
    )
    modules = imported(tmp_path, "policy", "lint", str(policy))
    assert "ramparts.policy.model" in modules
    # The policy's own checks use the gateway's request types (plain dataclasses).
    heavy = ("aiohttp", "alembic", "polars", "sqlalchemy", "ramparts.gateway.app", "ramparts.store")
    assert loaded(modules, heavy) == []


def test_discover_default_store_url_is_the_stores() -> None:
    """`discover run` names the default without importing the store (polars, SQLAlchemy)."""
    from ramparts.cli.discover import DEFAULT_STORE_URL as shown
    from ramparts.discovery.storage import DEFAULT_STORE_URL

    assert shown == DEFAULT_STORE_URL
