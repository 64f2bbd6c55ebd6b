"""Start and stop a real ``ramparts serve`` process for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2
import yaml

RAMPARTS = Path(sys.executable).with_name("ramparts")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def gateway_config(upstream_openai: str, upstream_anthropic: str, data_dir: Path) -> dict[str, Any]:
    """Settings naming one model per fake-upstream behaviour."""
    fast = {"retries": 0}

    def gpt(name: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "provider": "openai-up", **extra}

    def claude(name: str, **extra: Any) -> dict[str, Any]:
        return {"name": name, "provider": "anthropic-up", **extra}

    return {
        "data_dir": str(data_dir),
        "log_level": "info",
        "server": {"max_body_bytes": 65536, "shutdown_grace_seconds": 10},
        "auth": {"cache_ttl_seconds": 0},
        "audit": {"flush_interval_ms": 20},
        # Tenants get guardrails only from the policies a test stores for them.
        "guardrails": {"default_policy": "none", "policy_cache_seconds": 0},
        "providers": {
            "local": {"type": "echo"},
            "openai-up": {
                "type": "openai-compatible",
                "base_url": upstream_openai,
                "api_key_env": "FAKE_OPENAI_KEY",
            },
            "anthropic-up": {
                "type": "anthropic",
                "base_url": upstream_anthropic,
                "api_key_env": "FAKE_ANTHROPIC_KEY",
            },
            "nowhere": {
                "type": "openai-compatible",
                "base_url": f"http://127.0.0.1:{free_port()}/v1",
            },
        },
        "models": [
            {"name": "echo", "provider": "local"},
            {"name": "echo-embed", "provider": "local", "embeddings": True},
            gpt("gpt-ok", price={"input_per_million": 1.0, "output_per_million": 2.0}),
            gpt("gpt-tools"),
            gpt("gpt-flaky", retries=2, backoff_seconds=0.01),
            gpt("gpt-429", retries=2, backoff_seconds=0.01),
            gpt("gpt-500", retries=1, backoff_seconds=0.01, fallbacks=["claude-ok"]),
            gpt("gpt-slow", timeout_seconds=0.5, **fast),
            gpt("gpt-garbage", **fast),
            gpt("gpt-hang", **fast),
            gpt("gpt-midfail", **fast),
            gpt("gpt-400", **fast),
            gpt("gpt-embed", embeddings=True),
            {"name": "gpt-down", "provider": "nowhere", "retries": 1, "backoff_seconds": 0.01},
            gpt("gpt-leak", **fast),
            gpt("gpt-chars", **fast),
            gpt("gpt-exfil", **fast),
            gpt("gpt-toolecho", **fast),
            claude(
                "claude-ok",
                price={"input_per_million": 3.0, "output_per_million": 15.0},
                max_sensitivity="confidential",
            ),
            claude("claude-tools"),
        ],
    }


READY_TIMEOUT = 90


class GatewayProcess:
    def __init__(self, config_path: Path, database_url: str, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.database_url = database_url
        self._log = log_path.open("wb")
        self.log_path = log_path
        env = {
            **os.environ,
            "RAMPARTS_DATABASE_URL": database_url,
            "RAMPARTS_SERVER__PORT": str(self.port),
            "FAKE_OPENAI_KEY": "sk-fake-openai-credential-123",
            "FAKE_ANTHROPIC_KEY": "sk-ant-fake-credential-456",
        }
        self.process = subprocess.Popen(
            [str(RAMPARTS), "serve", "--config", str(config_path)],
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready()

    def _wait_ready(self) -> None:
        # Start-up warms the detection engines: on a loaded 2-core machine that alone
        # has taken over 20 s.
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"ramparts serve exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx2.get(self.url + "/readyz", timeout=1).status_code == 200:
                    return
            except httpx2.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"ramparts serve did not become ready in {READY_TIMEOUT} s")

    def logs(self) -> str:
        self._log.flush()
        return self.log_path.read_text()

    def stop(self, timeout: float = 20) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        return self.process.returncode


def write_config(path: Path, config: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
