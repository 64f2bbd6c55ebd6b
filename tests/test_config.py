"""Settings: YAML plus RAMPARTS_* environment, validated once, errors that say where."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from ramparts.config import load_settings
from ramparts.errors import ConfigError
from support.gateway_process import RAMPARTS


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "ramparts.yaml"
    path.write_text(text)
    return path


def test_defaults_run_offline_on_sqlite_with_the_echo_model() -> None:
    settings = load_settings(environ={})
    assert settings.resolved_database_url.startswith("sqlite:///")
    assert [m.name for m in settings.models] == ["echo", "echo-embed"]
    assert settings.providers["local"].type == "echo"
    assert settings.server.port == 8080 and settings.server.host == "127.0.0.1"


def test_environment_overrides_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "server:\n  port: 9000\nlog_level: debug\n")
    settings = load_settings(
        path,
        environ={
            "RAMPARTS_SERVER__PORT": "9100",
            "RAMPARTS_DATABASE_URL": "postgresql://u@h/db",
            "RAMPARTS_AUDIT__BATCH_SIZE": "7",
        },
    )
    assert settings.server.port == 9100
    assert settings.log_level == "debug"
    assert settings.database_url == "postgresql://u@h/db"
    assert settings.audit.batch_size == 7


def test_models_can_come_from_the_environment_as_yaml() -> None:
    settings = load_settings(environ={"RAMPARTS_MODELS": '[{"name": "e2", "provider": "local"}]'})
    assert [m.name for m in settings.models] == ["e2"]


def test_wrong_literal_names_file_line_key_and_allowed_values(tmp_path: Path) -> None:
    path = write(tmp_path, "data_dir: ./d\n\nlog_level: loud\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    error = caught.value
    assert (error.source, error.line, error.key) == (str(path), 3, "log_level")
    assert error.allowed == ["debug", "info", "warning", "error"]
    assert f"{path}:3" in str(error) and "allowed: debug, info, warning, error" in str(error)


def test_unknown_key_lists_the_known_ones(tmp_path: Path) -> None:
    path = write(tmp_path, "server:\n  host: 0.0.0.0\n  prot: 80\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.line == 3 and caught.value.key == "server.prot"
    assert caught.value.allowed is not None and "port" in caught.value.allowed


def test_nested_list_errors_point_at_the_item(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "models:\n  - name: a\n    provider: local\n"
        "  - name: b\n    provider: local\n    retries: -1\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.key == "models.1.retries" and caught.value.line == 6


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            "models:\n  - name: a\n    provider: ghost\n",
            "unknown provider 'ghost' (allowed: local)",
        ),
        (
            "models:\n  - {name: a, provider: local}\n  - {name: a, provider: local}\n",
            "repeated: a",
        ),
        ("models:\n  - {name: a, provider: local, fallbacks: [zz]}\n", "fallback 'zz'"),
        ("providers:\n  p:\n    type: anthropic\n", "needs base_url"),
        ("providers:\n  p:\n    type: grpc\n", "allowed: openai-compatible, anthropic, echo"),
        ("server: [1, 2\n", "invalid YAML"),
        ("- just\n- a list\n", "must be a mapping"),
    ],
)
def test_invalid_settings_are_refused(tmp_path: Path, text: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, text), environ={})
    assert fragment in str(caught.value)


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(environ={"RAMPARTS_SERVER__PORT": "eighty"})
    assert "RAMPARTS_SERVER__PORT" in str(caught.value)


def test_provider_secrets_never_show_in_reprs(tmp_path: Path) -> None:
    secret_file = tmp_path / "key"
    secret_file.write_text("sk-very-secret-value\n")
    path = write(
        tmp_path,
        f"providers:\n  up:\n    type: openai-compatible\n    base_url: http://x\n"
        f"    api_key_file: {secret_file}\n",
    )
    settings = load_settings(path, environ={})
    key = settings.providers["up"].api_key()
    assert key is not None and key.get_secret_value() == "sk-very-secret-value"
    assert "sk-very-secret-value" not in repr(key) + repr(settings)
    assert set(settings.providers) == {"local", "up"}


def test_server_refuses_to_start_on_invalid_settings(tmp_path: Path) -> None:
    path = write(tmp_path, "server:\n  port: 99999\n")
    result = subprocess.run(
        [str(RAMPARTS), "serve", "--config", str(path)], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    assert f"{path}:2" in result.stderr and "server.port" in result.stderr


def test_example_config_written_by_init_is_valid(tmp_path: Path) -> None:
    path = tmp_path / "ramparts.yaml"
    result = subprocess.run(
        [str(RAMPARTS), "init", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "RAMPARTS_DATA_DIR": str(tmp_path / "d")},
    )
    assert result.returncode == 0, result.stderr
    assert load_settings(path, environ={}).server.port == 8080
    assert "# Ramparts settings" in path.read_text()
