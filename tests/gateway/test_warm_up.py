"""The gateway loads the detectors' first-use tables at start-up, not on a first request."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

_PROBE = """
import sys
from starlette.testclient import TestClient
from ramparts.config import load_settings
from ramparts.detectors import native
from ramparts.detectors.pii import gazetteer, _location_context, _tokens
from ramparts.gateway.app import create_app

settings = load_settings(environ={}, overrides={"data_dir": sys.argv[1]})
built = lambda: [f.cache_info().currsize for f in (
    gazetteer.word_classes, _location_context.tables, _tokens._run_listed)]
before = built()
with TestClient(create_app(settings)):
    print(before, built(), native.RUNS_LOADED)
"""


def test_start_up_builds_the_first_use_tables(tmp_path: Path) -> None:
    # A fresh process: the test process has built these tables long ago.
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    runs_native = result.stdout.split()[-1]
    # With the C kernel the capitalised runs need no regex table (_native_runs.c).
    listed = 0 if runs_native == "True" else 1
    assert result.stdout.strip() == f"[0, 0, 0] [1, 1, {listed}] {runs_native}"
