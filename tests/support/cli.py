"""Types shared by the CLI tests."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

# ``run(*args, expect=0)`` runs the real `ramparts` command and checks its exit code.
Run = Callable[..., subprocess.CompletedProcess[str]]
