"""`ramparts policy lint|diff|test|set|show|history|rollback`."""

from __future__ import annotations

import getpass
import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ramparts.cli.common import (
    ConfigOption,
    console,
    err_console,
    open_store,
    plain,
    settings_from,
)
from ramparts.errors import ConfigError, NotFoundError

if TYPE_CHECKING:
    from ramparts.policy.store import PolicyStore

policy = typer.Typer(help="Tenant policies: guardrails as code.", no_args_is_help=True)
TenantOption = Annotated[str, typer.Option("--tenant", "-t", help="Tenant name or id.")]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read policy file: {exc.strerror}", source=str(path)) from None


def _tenant_id(config: Path | None, tenant: str) -> tuple[PolicyStore, str]:
    from ramparts.policy.store import PolicyStore
    from ramparts.store.db import session_factory

    engine, identities = open_store(settings_from(config))
    return PolicyStore(session_factory(engine)), identities.get_tenant(tenant).id


@policy.command("lint")
def lint(
    files: Annotated[list[Path], typer.Argument(help="Policy YAML files.")],
    config: ConfigOption = None,
) -> None:
    """Check policy files; errors name the file, line, key and allowed values. Exit 1 on errors."""
    from rich.markup import escape

    from ramparts.policy.model import check_against_settings, parse_policy

    settings = settings_from(config)
    failed = False
    for path in files:
        try:
            text = _read(path)
            problems = check_against_settings(
                parse_policy(text, str(path)), settings, str(path), text=text
            )
        except ConfigError as exc:
            problems = [str(exc)]
        for problem in problems:
            err_console().print(f"[red]✗[/] {escape(problem)}", highlight=False, soft_wrap=True)
        if problems:
            failed = True
        else:
            console().print(f"[green]✓[/] {escape(str(path))}", highlight=False)
    if failed:
        raise typer.Exit(1)


@policy.command("diff")
def diff(
    old: Annotated[Path | None, typer.Argument(help="Old policy file.")] = None,
    new: Annotated[Path | None, typer.Argument(help="New policy file.")] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", "-t", help="Compare stored versions.")
    ] = None,
    from_version: Annotated[
        int | None, typer.Option("--from", help="Stored version (default: previous).")
    ] = None,
    to_version: Annotated[
        int | None, typer.Option("--to", help="Stored version (default: active).")
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Show what changed: two files, a file against a tenant's active policy, or two versions."""
    from ramparts.policy.diff import diff_texts

    if tenant is None:
        if old is None or new is None:
            raise ConfigError("give two policy files, or --tenant to compare stored versions")
        old_text, old_label, new_text, new_label = _read(old), str(old), _read(new), str(new)
    else:
        store, tenant_id = _tenant_id(config, tenant)
        latest = store.latest_version(tenant_id)
        if latest is None:
            raise NotFoundError(f"tenant '{tenant}' has no stored policy")
        if old is not None:  # a file against the active version
            stored = store.get(tenant_id)
            assert stored is not None
            old_text, old_label = stored.text, f"{tenant} v{stored.version}"
            new_text, new_label = _read(old), str(old)
        else:
            to_v = to_version or latest
            from_v = from_version or max(1, to_v - 1)
            before, after = store.get(tenant_id, from_v), store.get(tenant_id, to_v)
            if before is None or after is None:
                raise NotFoundError(f"no such version; `ramparts policy history --tenant {tenant}`")
            old_text, old_label = before.text, f"{tenant} v{from_v}"
            new_text, new_label = after.text, f"{tenant} v{to_v}"
    unified, summary = diff_texts(old_text, new_text, old_label, new_label)
    out = console()
    for line in summary:
        out.print(f"• {line}", highlight=False, markup=False)
    if unified:
        out.print(unified, highlight=False, markup=False, end="")
    elif not summary:
        out.print("no changes")


@policy.command("test")
def try_prompts(
    file: Annotated[Path, typer.Argument(help="Policy YAML file.")],
    prompts: Annotated[
        Path, typer.Option("--prompts", "-p", help="Sample prompts: one per line, or JSON lines.")
    ],
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="Model the prompts are sent to.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON lines.")] = False,
    config: ConfigOption = None,
) -> None:
    """Run the policy over sample prompts and print what each would get (no model is called)."""
    from rich.table import Table

    from ramparts.policy.model import parse_policy
    from ramparts.policy.trial import read_samples, run_trial

    settings = settings_from(config)
    loaded = parse_policy(_read(file), str(file))
    results = run_trial(loaded, settings, read_samples(prompts), model)
    if as_json:
        for result in results:
            typer.echo(json.dumps(result.as_dict()))
        return
    table = Table(title=plain(f"{file} on {len(results)} prompts"))
    for column in ("#", "verdict", "model", "rules", "findings", "what would be sent"):
        table.add_column(column, overflow="fold")
    for result in results:
        table.add_row(
            plain(result.sample.id),
            plain(result.verdict),
            plain(result.model),
            plain(", ".join(result.rules) or "-"),
            plain(", ".join(result.findings) or "-"),
            plain(
                result.sent_text if result.sent_text is not None else f"(blocked) {result.message}"
            ),
        )
    console().print(table)


@policy.command("set")
def set_policy(
    file: Annotated[Path, typer.Argument(help="Policy YAML file.")],
    tenant: TenantOption,
    comment: Annotated[str, typer.Option(help="Why it changed.")] = "",
    author: Annotated[
        str | None, typer.Option(help="Who changed it (default: your login).")
    ] = None,
    expected_version: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Refuse unless the tenant's newest version is this one (0: none yet).",
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Store the file as the tenant's next policy version (it becomes active)."""
    from ramparts.policy.model import check_against_settings, parse_policy

    settings = settings_from(config)
    text = _read(file)
    problems = check_against_settings(parse_policy(text, str(file)), settings, str(file), text=text)
    if problems:
        raise ConfigError("; ".join(problems))
    store, tenant_id = _tenant_id(config, tenant)
    stored = store.save(
        tenant_id,
        text,
        author=author or getpass.getuser(),
        comment=comment,
        expected_version=expected_version,
    )
    console().print(f"tenant {tenant}: policy v{stored.version} is active")


@policy.command("show")
def show(
    tenant: TenantOption,
    version: Annotated[int | None, typer.Option(help="A stored version (default: active).")] = None,
    config: ConfigOption = None,
) -> None:
    store, tenant_id = _tenant_id(config, tenant)
    stored = store.get(tenant_id, version)
    if stored is None:
        raise NotFoundError(f"tenant '{tenant}' has no such policy; it uses the default policy")
    typer.echo(stored.text, nl=False)


@policy.command("history")
def history(tenant: TenantOption, config: ConfigOption = None) -> None:
    from rich.table import Table

    store, tenant_id = _tenant_id(config, tenant)
    table = Table(title=plain(f"Policy history of {tenant}"))
    for column in ("version", "when", "author", "comment"):
        table.add_column(column)
    for stored in store.history(tenant_id):
        table.add_row(
            str(stored.version),
            stored.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            plain(stored.author),
            plain(stored.comment),
        )
    console().print(table)


@policy.command("rollback")
def rollback(
    tenant: TenantOption,
    to: Annotated[int, typer.Option("--to", help="The version to make active again.")],
    author: Annotated[
        str | None, typer.Option(help="Who rolled back (default: your login).")
    ] = None,
    expected_version: Annotated[
        int | None,
        typer.Option(min=0, help="Refuse unless the tenant's newest version is this one."),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Make an earlier version active again (saved as a new version; history is kept)."""
    store, tenant_id = _tenant_id(config, tenant)
    stored = store.rollback(
        tenant_id, to, author=author or getpass.getuser(), expected_version=expected_version
    )
    console().print(f"tenant {tenant}: policy v{stored.version} (a copy of v{to}) is active")


def register(app: typer.Typer) -> None:
    app.add_typer(policy, name="policy")
