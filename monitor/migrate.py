"""Apply Alembic migrations programmatically (on start and by ``repmon db upgrade``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, NamedTuple

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from sqlalchemy import Engine

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from monitor.config import Config


def alembic_config(engine: Engine | None = None, url: str | None = None) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", "monitor:migrations")
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to ``revision``; returns (before, after) revision ids."""
    cfg = alembic_config(engine)
    before = current_revision(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return before, current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def is_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()


def open_database(config: "Config", *, migrate: bool = True) -> tuple[Engine, "sessionmaker[Session]"]:
    """Engine and session factory for the configured database, migrated to head."""
    from monitor.db import make_engine, session_factory

    engine = make_engine(config.database_url(), echo=config.database.echo)
    if migrate and not is_current(engine):
        upgrade(engine)
    return engine, session_factory(engine)


class Database(NamedTuple):
    """An open database: its engine and a session factory bound to it."""

    engine: Engine
    factory: "sessionmaker[Session]"


@contextmanager
def database(config: "Config", *, migrate: bool = True) -> Iterator[Database]:
    """``with database(config) as (engine, factory):`` — :func:`open_database` for one
    command, its engine disposed when the block ends, however it ends."""
    engine, factory = open_database(config, migrate=migrate)
    try:
        yield Database(engine, factory)
    finally:
        engine.dispose()
