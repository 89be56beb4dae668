"""Apply Alembic migrations programmatically (on start and by ``repmon db upgrade``).

Every command checks that the schema is at head before it reads; that check is made
without Alembic (:func:`is_current`): the stored version row against the head named in
the migration scripts' source. Importing Alembic and loading its scripts costs a command
about 0.1 s of start-up, so that happens only when the schema has to change.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig
    from sqlalchemy.orm import Session, sessionmaker

    from monitor.config import Config

VERSIONS = Path(__file__).with_name("migrations") / "versions"
VERSION_TABLE = "alembic_version"  # Alembic's default, which env.py keeps


def alembic_config(engine: Engine | None = None, url: str | None = None) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", "monitor:migrations")
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str | None]:
    """Bring the schema to ``revision``; returns (before, after) revision ids."""
    from alembic import command

    cfg = alembic_config(engine)
    before = current_revision(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return before, current_revision(engine)


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the database (Alembic's version row), read with plain SQL;
    None for an empty database."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()
    return rows[0] if len(rows) == 1 else None


@lru_cache(maxsize=1)
def script_head() -> str | None:
    """The head revision, read from the ``revision`` / ``down_revision`` assignments of
    the migration scripts; Alembic's answer when they do not name exactly one head."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in VERSIONS.glob("*.py"):
        values = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                if node.targets[0].id in ("revision", "down_revision"):
                    values[node.targets[0].id] = ast.literal_eval(node.value)
        if isinstance(values.get("revision"), str):
            revisions.add(values["revision"])
        down = values.get("down_revision")
        parents.update([down] if isinstance(down, str) else down or ())
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else head_revision()


def is_current(engine: Engine) -> bool:
    """Whether the schema is at head (without importing Alembic; see the module docstring)."""
    return stored_revision(engine) == script_head()


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
