"""`ramparts tenants|teams|users|keys|admin-keys` and `ramparts audit` as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from ramparts.store.db import create_store_engine, session_factory
from ramparts.store.models import ApiKey
from support.cli import Run
from support.databases import postgres_database
from support.gateway_process import RAMPARTS


def test_identity_lifecycle(run: Run, tmp_path: Path) -> None:
    run("tenants", "create", "acme")
    run("teams", "create", "research", "--tenant", "acme")
    run("users", "create", "carol", "--tenant", "acme", "--team", "research")
    created = run("keys", "create", "--tenant", "acme", "--user", "carol", "--model", "echo").stdout
    secret = created.strip().splitlines()[-1]
    assert secret.startswith("rk-") and len(secret) > 40

    keys = json.loads(run("keys", "list", "--tenant", "acme", "--json").stdout)
    assert len(keys) == 1 and keys[0]["models"] == "echo"
    assert secret not in json.dumps(keys)
    # Only the hash is stored.
    engine = create_store_engine(f"sqlite:///{tmp_path / 'data' / 'ramparts.db'}")
    with session_factory(engine)() as session:
        stored = session.scalars(select(ApiKey)).one()
        assert stored.secret_hash != secret and secret not in str(stored.__dict__)
    engine.dispose()

    run("keys", "revoke", keys[0]["id"])
    assert json.loads(run("keys", "list", "--json").stdout)[0]["revoked"] != "-"
    tenants = json.loads(run("tenants", "list", "--json").stdout)
    assert [t["name"] for t in tenants] == ["acme"]
    run("tenants", "revoke", "acme")
    assert json.loads(run("tenants", "list", "--json").stdout)[0]["revoked"] != "-"


def test_errors_are_one_clear_line_and_exit_2(run: Run) -> None:
    result = run("teams", "create", "x", "--tenant", "ghost", expect=2)
    assert (
        result.stderr.strip() == "error: no tenant 'ghost'; list them with `ramparts tenants list`"
    )
    run("tenants", "create", "dup")
    assert "already exists" in run("tenants", "create", "dup", expect=2).stderr
    bad = run("keys", "create", "--tenant", "dup", "--model", "nope", expect=2).stderr
    assert "'nope' is not configured (known: echo, echo-embed)" in bad
    assert (
        "not an ISO date"
        in run("keys", "create", "--tenant", "dup", "--expires", "soon", expect=2).stderr
    )
    assert "Traceback" not in bad


def test_admin_keys_and_audit_commands(run: Run) -> None:
    run("tenants", "create", "globex")
    secret = run("admin-keys", "create", "--tenant", "globex").stdout.strip().splitlines()[-1]
    assert secret.startswith("rka-")
    listed = json.loads(run("admin-keys", "list", "--json").stdout)
    assert listed[0]["tenant_id"] != "(all)"
    assert "verified" in run("audit", "verify").stdout
    assert run("audit", "export", "--format", "jsonl").stdout == ""
    assert "not supported" in run("audit", "export", "--format", "xml", expect=2).stderr


@pytest.mark.parametrize(
    "name", ["[/bold] x", "[link=https://evil.example]ceo@acme.com[/link]", "a[red]b"]
)
def test_names_with_markup_are_shown_as_written(run: Run, name: str) -> None:
    # A tenant-scoped admin can set key names through the API: Rich must not read them.
    run("tenants", "create", "acme")
    run("keys", "create", "--tenant", "acme", "--name", name)
    listed = run("keys", "list", "--tenant", "acme")
    assert name in listed.stdout


def test_init_does_not_print_the_database_password(tmp_path: Path) -> None:
    with postgres_database() as url:
        secret_url = url.replace("postgres@", "postgres:TopSecretPw@")
        env = {**os.environ, "RAMPARTS_DATABASE_URL": secret_url}
        result = subprocess.run(
            [str(RAMPARTS), "init", str(tmp_path / "r.yaml")],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
            cwd=tmp_path,
        )
    assert result.returncode == 0, result.stderr
    assert "TopSecretPw" not in result.stdout + result.stderr
    assert "postgres:***@" in result.stdout
