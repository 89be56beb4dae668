"""``repmon db upgrade``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from monitor.cli.app import config_option, fail, main
from monitor.secrets import mask_url

if TYPE_CHECKING:
    from monitor.config import Config


@main.group("db")
def db_group() -> None:
    """Database schema."""


@db_group.command("upgrade")
@config_option
def db_upgrade(config: Config) -> None:
    """Apply the schema migrations to the configured database."""
    from sqlalchemy.exc import OperationalError

    from monitor.db import make_engine
    from monitor.migrate import upgrade

    url = config.database_url()
    engine = make_engine(url)
    try:
        before, after = upgrade(engine)
    except OperationalError as exc:
        fail(f"cannot reach the database {mask_url(url)}: {str(exc.orig).splitlines()[0] if exc.orig else exc}")
    finally:
        engine.dispose()
    if before == after:
        click.echo(f"{mask_url(url)}: already at {after}")
    else:
        click.echo(f"{mask_url(url)}: upgraded {before or 'empty'} -> {after}")
