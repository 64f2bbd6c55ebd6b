"""Running the real `ramparts` command against a throwaway data directory."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from support.cli import Run
from support.gateway_process import RAMPARTS


@pytest.fixture
def run(tmp_path: Path) -> Run:
    """``run(*args, expect=0)``: the CLI's result, asserting its exit code."""
    env = {**os.environ, "RAMPARTS_DATA_DIR": str(tmp_path / "data"), "COLUMNS": "250"}
    env.pop("RAMPARTS_DATABASE_URL", None)

    def invoke(*args: str, expect: int = 0) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(RAMPARTS), *args],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=tmp_path,
        )
        assert result.returncode == expect, result.stdout + result.stderr
        return result

    return invoke
