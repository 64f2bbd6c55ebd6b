"""`ramparts catalog list|show|validate`: the AI service catalog and tenant overlays."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ramparts.cli.common import plain
from ramparts.errors import NotFoundError

OverlayOption = Annotated[
    Path | None,
    typer.Option("--overlay", help="Tenant overlay YAML (statuses, weights, extra services)."),
]


def register(app: typer.Typer) -> None:
    """Add the catalog commands to the root app."""
    group = typer.Typer(
        help="The AI service catalog: list, show and validate.", no_args_is_help=True
    )

    @group.command("list")
    def list_services(
        overlay: OverlayOption = None,
        category: Annotated[str | None, typer.Option(help="Only this category (chat...).")] = None,
        status: Annotated[str | None, typer.Option(help="Only this tenant status.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print JSON, not a table.")] = False,
    ) -> None:
        """List catalog services with their risk score and tenant status."""
        import orjson
        from rich.console import Console
        from rich.table import Table

        from ramparts.discovery.catalog import load_catalog

        catalog = load_catalog(overlay)
        entries = [
            e
            for e in sorted(catalog.entries.values(), key=lambda e: e.service.id)
            if (category is None or e.service.category == category)
            and (status is None or e.status == status)
        ]
        if as_json:
            rows = [
                {
                    "id": e.service.id,
                    "name": e.service.name,
                    "vendor": e.service.vendor,
                    "category": e.service.category,
                    "risk_score": e.risk.score,
                    "risk_level": e.risk.level,
                    "status": e.status,
                }
                for e in entries
            ]
            typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
            return
        table = Table(title=f"AI service catalog ({len(entries)} of {len(catalog)})")
        for column in ("id", "name", "vendor", "category", "risk", "status"):
            table.add_column(column)
        for e in entries:
            table.add_row(
                *(
                    plain(cell)
                    for cell in (
                        e.service.id,
                        e.service.name,
                        e.service.vendor,
                        e.service.category,
                        f"{e.risk.score} {e.risk.level}",
                        e.status,
                    )
                )
            )
        Console().print(table)

    @group.command("show")
    def show(service_id: str, overlay: OverlayOption = None) -> None:
        """Show one service: domains, risk facts with sources, score and sub-scores."""
        import orjson

        from ramparts.discovery.catalog import load_catalog

        catalog = load_catalog(overlay)
        entry = catalog.get(service_id)
        if entry is None:
            raise NotFoundError(
                f"no service '{service_id}' in the catalog: run 'ramparts catalog list' for ids"
            )
        s = entry.service
        out = {
            "id": s.id,
            "name": s.name,
            "vendor": s.vendor,
            "category": s.category,
            "hq": s.hq,
            "status": entry.status,
            "alternative": entry.alternative,
            "origin": entry.origin,
            "domains": s.domains.model_dump(),
            "shared_hosts": [h.model_dump() for h in s.shared],
            "domain_source": s.domain_source,
            "risk_facts": s.risk.model_dump(),
            "sources": s.sources,
            "reviewed": s.reviewed.isoformat(),
            "risk": {
                "score": entry.risk.score,
                "level": entry.risk.level,
                "subscores": entry.risk.subscores,
                "pinned": entry.risk.pinned,
            },
        }
        typer.echo(orjson.dumps(out, option=orjson.OPT_INDENT_2).decode())

    @group.command("validate")
    def validate(overlay: OverlayOption = None) -> None:
        """Validate the shipped catalog (and an overlay); exit 2 with the first error."""
        from ramparts.discovery.catalog import load_catalog

        catalog = load_catalog(overlay)
        typer.echo(
            f"ok: {len(catalog)} services valid (reviewed {catalog.reviewed.isoformat()}, "
            f"tenant {catalog.tenant})"
        )

    app.add_typer(group, name="catalog")
