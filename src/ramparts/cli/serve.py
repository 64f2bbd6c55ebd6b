"""`ramparts serve`, `ramparts init` and `ramparts quickstart`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ramparts.cli.common import ConfigOption, console, open_store, redacted_url, settings_from
from ramparts.errors import ConfigError

if TYPE_CHECKING:
    from ramparts.config import Settings

EXAMPLE_CONFIG = Path(__file__).with_name("example-config.yaml")


def run_server(settings: Settings) -> None:
    # Imported here so that every other command starts fast.
    import uvicorn

    from ramparts.gateway.app import create_app
    from ramparts.gateway.logs import configure_logging

    configure_logging(settings.log_level, settings.log_format)
    app = create_app(settings)
    config = uvicorn.Config(
        app,
        host=settings.server.host,
        port=settings.server.port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=int(settings.server.shutdown_grace_seconds),
        timeout_keep_alive=30,
    )
    uvicorn.Server(config).run()


def serve(
    config: ConfigOption = None,
    host: Annotated[str | None, typer.Option(help="Listen address (overrides settings).")] = None,
    port: Annotated[int | None, typer.Option(help="Listen port (overrides settings).")] = None,
) -> None:
    """Start the gateway."""
    settings = settings_from(config)
    server = settings.server.model_copy(
        update={k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    )
    run_server(settings.model_copy(update={"server": server}))


def init(
    path: Annotated[Path, typer.Argument(help="Where to write the example settings.")] = Path(
        "ramparts.yaml"
    ),
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Write a commented example settings file and initialise the store it names."""
    from rich.markup import escape

    from ramparts.config import load_settings

    if path.exists() and not force:
        raise ConfigError(f"{path} exists; pass --force to overwrite it")
    path.write_text(EXAMPLE_CONFIG.read_text())
    settings = load_settings(path)
    open_store(settings)
    console().print(
        f"wrote [bold]{escape(str(path))}[/]; store ready at "
        f"{escape(redacted_url(settings.resolved_database_url))}"
    )


def quickstart(
    data_dir: Annotated[Path, typer.Option(help="Where the embedded store lives.")] = Path(
        "ramparts-data"
    ),
    config: ConfigOption = None,
) -> None:
    """Initialise the embedded store, create a demo tenant and key, print how to call, serve."""
    from ramparts.config import load_settings

    settings = load_settings(config, overrides={"data_dir": str(data_dir)})
    _, store = open_store(settings)
    out = console()
    url = f"http://{settings.server.host}:{settings.server.port}"
    if not any(t.name == "demo" for t in store.list_tenants()):
        store.create_tenant("demo")
        store.create_team("demo", "engineering")
        store.create_user("demo", "alice", "engineering")
        _, created = store.create_key("demo", name="quickstart", user_ref="alice")
        key = created.secret
        out.print("[bold green]Created tenant 'demo', team 'engineering', user 'alice'.[/]")
        out.print("Your API key (shown once, stored only as a hash):\n")
        out.print(f"  {key}\n", markup=False, highlight=False, soft_wrap=True)
    else:
        key = "<your key>"
        out.print("Store already initialised. Create another key with:")
        out.print("  .venv/bin/ramparts keys create --tenant demo --user alice\n")
    out.print("Try it (the built-in 'echo' model answers with what it received):\n")
    out.print(
        f"  curl -s {url}/v1/chat/completions -H 'Authorization: Bearer {key}' \\\n"
        "    -H 'content-type: application/json' \\\n"
        '    -d \'{"model": "echo",\n'
        '         "messages": [{"role": "user", "content": "Hello, Ramparts"}]}\'\n',
        markup=False,
        soft_wrap=True,
    )
    out.print(
        "The built-in policy redacts personal data before it reaches a model (you get your"
        " own text back; the x-ramparts-redacted header counts what was hidden) and blocks"
        " credentials and prompt attacks. See docs/policy.md.\n",
        markup=False,
    )
    out.print(f"Gateway listening on {url} (Ctrl-C to stop)\n", markup=False)
    run_server(settings)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(init)
    app.command()(quickstart)
