"""``repmon web``: the PR team's console."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from monitor.cli.app import config_option, fail, main

if TYPE_CHECKING:
    from monitor.config import Config


def server_config(app: Any, config: Config, host: str | None = None, port: int | None = None) -> Any:
    """The uvicorn settings the console is served with: ``--host``/``--port`` when given,
    else ``web.host``/``web.port`` (127.0.0.1:8000 unless configured, so the console is
    reachable from this machine only until someone decides otherwise)."""
    import uvicorn

    return uvicorn.Config(app, host=host or config.web.host, port=port or config.web.port, log_level="warning",
                          server_header=False)


@main.command("web")
@click.option("--host", default=None, help="Address to bind (default: web.host, 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default: web.port, 8000).")
@config_option
def web_cmd(host: str | None, port: int | None, config: Config) -> None:
    """Serve the web console (login with the token in web.token_env)."""
    import uvicorn

    from monitor.migrate import database
    from monitor.web.app import WebConfigError, create_app

    with database(config) as (_, factory):
        try:
            app = create_app(config, factory)
        except WebConfigError as exc:
            fail(str(exc))
        settings = server_config(app, config, host, port)
        click.echo(f"repmon console on http://{settings.host}:{settings.port}/ (login with ${config.web.token_env})", err=True)
        uvicorn.Server(settings).run()
