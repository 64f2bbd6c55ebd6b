# Stub of the optional C extension built from _native_runs.c (see ramparts.detectors.native).

SOURCE_SHA256: str

def capitalized_runs(text: str, /) -> tuple[tuple[tuple[int, int], ...], ...]:
    """``ramparts.detectors.pii._tokens.runs_python(text)``."""
