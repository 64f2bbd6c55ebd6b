"""Usage errors are a short message and exit 2, never a traceback."""

from __future__ import annotations

import pytest

from support.cli import Run


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("scan", "--bogus"), "No such option: --bogus"),
        (("policy", "lint"), "Missing argument"),
        (("nosuchcommand",), "No such command"),
    ],
)
def test_usage_errors_exit_2_with_a_message(run: Run, args: tuple[str, ...], message: str) -> None:
    result = run(*args, expect=2)
    assert message in result.stderr
    assert "Traceback" not in result.stderr
