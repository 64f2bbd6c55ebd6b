"""Hatch build hook: compile the optional C kernels (src/ramparts/detectors/_native*.c).

Editable installs (``make install``) build the extension next to its source, where
the editable ``.pth`` finds it; wheels get it as a platform-specific file. When
there is no compiler or the build fails, the install goes on with a warning and
the package uses its pure-Python code (identical results, slower).
``RAMPARTS_NATIVE_BUILD=0`` skips the build. See docs/native.md.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import subprocess
import sysconfig
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = Path("src/ramparts/detectors/_native.c")
# Each C file is its own small module (its own source digest); one failing to
# build leaves the others, and the Python code stands in for it.
EXTENSIONS = (
    (SOURCE, "_native"),
    (Path("src/ramparts/detectors/_native_runs.c"), "_native_runs"),
)
PACKAGE_DIR = "ramparts/detectors"
# No -ffast-math or FMA contraction: the exact float sum needs IEEE rounding.
CFLAGS = ["-O2", "-fPIC", "-shared", "-std=gnu11", "-Wall", "-ffp-contract=off"]


def source_digest(source: Path) -> str:
    """sha256 of the C source; the module reports it so tests catch a stale build."""
    return hashlib.sha256(source.read_bytes()).hexdigest()


def compile_extension(source: Path, target: Path) -> None:
    """Compile ``source`` into the shared library ``target`` (atomically replaced)."""
    compiler = shlex.split(os.environ.get("CC") or sysconfig.get_config_var("CC") or "cc")
    include = sysconfig.get_paths()["include"]
    digest = source_digest(source)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        built = Path(scratch) / target.name
        command = [
            *compiler,
            *CFLAGS,
            f"-I{include}",
            f'-DRAMPARTS_NATIVE_SOURCE="{digest}"',
            str(source),
            "-o",
            str(built),
        ]
        subprocess.run(command, check=True, capture_output=True, text=True)
        os.replace(built, target)  # a process that loaded the old file keeps its copy


class CustomBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"
    _scratch: str | None = None  # where a standard wheel's library is built

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or os.environ.get("RAMPARTS_NATIVE_BUILD") == "0":
            return
        if version != "editable":
            self._scratch = tempfile.mkdtemp(prefix="ramparts-native-")
        for source, module in EXTENSIONS:
            self._build(Path(self.root) / source, module, build_data)

    def _build(self, source: Path, module: str, build_data: dict[str, Any]) -> None:
        name = module + (sysconfig.get_config_var("EXT_SUFFIX") or ".so")
        # editable: next to the source; a wheel: in the scratch directory
        target = source.parent / name if self._scratch is None else Path(self._scratch) / name
        try:
            compile_extension(source, target)
        except (OSError, subprocess.CalledProcessError) as error:
            detail = getattr(error, "stderr", "") or str(error)
            self.app.display_warning(
                f"ramparts: the optional C extension {module} was not built "
                f"({detail.strip()[:500]}); the detectors use their pure-Python code "
                "(same results, slower)"
            )
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if self._scratch is not None:
            build_data["force_include"][str(target)] = f"{PACKAGE_DIR}/{name}"

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
