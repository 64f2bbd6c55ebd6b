"""`ramparts tenants|teams|users|keys|admin-keys create|list|revoke`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ramparts.cli.common import ConfigOption, console, open_store, plain, settings_from
from ramparts.errors import InvalidRequestError

if TYPE_CHECKING:
    from ramparts.store.identity import IdentityStore

TenantOption = Annotated[str, typer.Option("--tenant", "-t", help="Tenant name or id.")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _store(config: Any) -> IdentityStore:
    return open_store(settings_from(config))[1]


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


def _bold(name: str) -> str:
    """``name`` in bold, as data: names may hold ``[...]``, which Rich reads as markup."""
    from rich.markup import escape

    return f"[bold]{escape(name)}[/]"


def _print(rows: list[dict[str, Any]], columns: list[str], as_json: bool, title: str) -> None:
    if as_json:
        console().print_json(data=rows, default=str)
        return
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*[plain(row.get(c) if row.get(c) is not None else "-") for c in columns])
    console().print(table)


def _shown_once(kind: str, key_id: str, secret: str) -> None:
    out = console()
    out.print(f"created {kind} {_bold(key_id)}")
    out.print("secret (shown once, stored only as a hash):")
    out.print(secret, markup=False, highlight=False)


tenants = typer.Typer(help="Client organisations.", no_args_is_help=True)
teams = typer.Typer(help="Teams inside a tenant.", no_args_is_help=True)
users = typer.Typer(help="Users inside a tenant.", no_args_is_help=True)
keys = typer.Typer(help="Virtual API keys for the model API.", no_args_is_help=True)
admin_keys = typer.Typer(help="Keys for the /admin HTTP API.", no_args_is_help=True)


@tenants.command("create")
def tenants_create(name: str, config: ConfigOption = None) -> None:
    tenant = _store(config).create_tenant(name)
    console().print(f"created tenant {_bold(tenant.name)} ({tenant.id})")


@tenants.command("list")
def tenants_list(config: ConfigOption = None, as_json: JsonFlag = False) -> None:
    rows = [
        {
            "id": t.id,
            "name": t.name,
            "created": _when(t.created_at),
            "revoked": _when(t.disabled_at),
        }
        for t in _store(config).list_tenants()
    ]
    _print(rows, ["id", "name", "created", "revoked"], as_json, "Tenants")


@tenants.command("revoke")
def tenants_revoke(tenant: str, config: ConfigOption = None) -> None:
    """Disable a tenant: every key of it stops working."""
    row = _store(config).revoke_tenant(tenant)
    console().print(f"revoked tenant {_bold(row.name)} ({row.id})")


@teams.command("create")
def teams_create(name: str, tenant: TenantOption, config: ConfigOption = None) -> None:
    team = _store(config).create_team(tenant, name)
    console().print(f"created team {_bold(team.name)} ({team.id})")


@teams.command("list")
def teams_list(
    tenant: Annotated[str | None, typer.Option("--tenant", "-t")] = None,
    config: ConfigOption = None,
    as_json: JsonFlag = False,
) -> None:
    rows = [
        {"id": t.id, "tenant_id": t.tenant_id, "name": t.name, "revoked": _when(t.disabled_at)}
        for t in _store(config).list_teams(tenant)
    ]
    _print(rows, ["id", "tenant_id", "name", "revoked"], as_json, "Teams")


@teams.command("revoke")
def teams_revoke(team: str, tenant: TenantOption, config: ConfigOption = None) -> None:
    store = _store(config)
    row = store.revoke_team(store.get_tenant(tenant).id, team)
    console().print(f"revoked team {_bold(row.name)} ({row.id})")


@users.command("create")
def users_create(
    name: str,
    tenant: TenantOption,
    team: Annotated[str | None, typer.Option(help="Team name or id.")] = None,
    config: ConfigOption = None,
) -> None:
    user = _store(config).create_user(tenant, name, team)
    console().print(f"created user {_bold(user.name)} ({user.id})")


@users.command("list")
def users_list(
    tenant: Annotated[str | None, typer.Option("--tenant", "-t")] = None,
    config: ConfigOption = None,
    as_json: JsonFlag = False,
) -> None:
    rows = [
        {"id": u.id, "tenant_id": u.tenant_id, "team_id": u.team_id, "name": u.name}
        for u in _store(config).list_users(tenant)
    ]
    _print(rows, ["id", "tenant_id", "team_id", "name"], as_json, "Users")


def _expiry(expires: str | None) -> datetime | None:
    if expires is None:
        return None
    try:
        moment = datetime.fromisoformat(expires)
    except ValueError:
        raise InvalidRequestError(
            f"--expires {expires!r} is not an ISO date or time"
            " (e.g. 2027-01-31 or 2027-01-31T12:00Z)"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@keys.command("create")
def keys_create(
    tenant: TenantOption,
    name: Annotated[str, typer.Option(help="A label for the key.")] = "",
    team: Annotated[str | None, typer.Option(help="Team name or id.")] = None,
    user: Annotated[str | None, typer.Option(help="User name or id.")] = None,
    model: Annotated[
        list[str] | None, typer.Option("--model", "-m", help="Allow only this model (repeatable).")
    ] = None,
    expires: Annotated[str | None, typer.Option(help="Expiry, ISO date or time (UTC).")] = None,
    config: ConfigOption = None,
) -> None:
    """Create an API key; its secret is printed once."""
    settings = settings_from(config)
    for allowed in model or []:
        if settings.model(allowed) is None:
            known = ", ".join(m.name for m in settings.models)
            raise InvalidRequestError(f"--model {allowed!r} is not configured (known: {known})")
    _, store = open_store(settings)
    row, created = store.create_key(
        tenant,
        name=name,
        team_ref=team,
        user_ref=user,
        allowed_models=model,
        expires_at=_expiry(expires),
    )
    _shown_once("key", row.id, created.secret)


@keys.command("list")
def keys_list(
    tenant: Annotated[str | None, typer.Option("--tenant", "-t")] = None,
    config: ConfigOption = None,
    as_json: JsonFlag = False,
) -> None:
    rows = [
        {
            "id": k.id,
            "tenant_id": k.tenant_id,
            "user_id": k.user_id,
            "name": k.name,
            "prefix": k.prefix + "…",
            "models": ",".join(k.allowed_models) if k.allowed_models else "all",
            "expires": _when(k.expires_at),
            "revoked": _when(k.revoked_at),
        }
        for k in _store(config).list_keys(tenant)
    ]
    _print(
        rows,
        ["id", "tenant_id", "user_id", "name", "prefix", "models", "expires", "revoked"],
        as_json,
        "API keys",
    )


@keys.command("revoke")
def keys_revoke(key_id: str, config: ConfigOption = None) -> None:
    row = _store(config).revoke_key(key_id)
    console().print(f"revoked key {_bold(row.id)}")


@admin_keys.command("create")
def admin_keys_create(
    tenant: Annotated[
        str | None, typer.Option("--tenant", "-t", help="Limit the key to one tenant.")
    ] = None,
    name: str = "",
    config: ConfigOption = None,
) -> None:
    """Create an admin key (global unless --tenant is given); its secret is printed once."""
    row, created = _store(config).create_admin_key(tenant_ref=tenant, name=name)
    _shown_once("admin key", row.id, created.secret)


@admin_keys.command("list")
def admin_keys_list(config: ConfigOption = None, as_json: JsonFlag = False) -> None:
    rows = [
        {
            "id": k.id,
            "tenant_id": k.tenant_id or "(all)",
            "name": k.name,
            "prefix": k.prefix + "…",
            "revoked": _when(k.revoked_at),
        }
        for k in _store(config).list_admin_keys()
    ]
    _print(rows, ["id", "tenant_id", "name", "prefix", "revoked"], as_json, "Admin keys")


@admin_keys.command("revoke")
def admin_keys_revoke(key_id: str, config: ConfigOption = None) -> None:
    row = _store(config).revoke_admin_key(key_id)
    console().print(f"revoked admin key {_bold(row.id)}")


def register(app: typer.Typer) -> None:
    app.add_typer(tenants, name="tenants")
    app.add_typer(teams, name="teams")
    app.add_typer(users, name="users")
    app.add_typer(keys, name="keys")
    app.add_typer(admin_keys, name="admin-keys")
