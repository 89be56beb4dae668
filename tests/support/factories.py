"""Configs and databases a test starts from."""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from monitor.config import Config, parse_config
from monitor.db import make_engine, session_factory, session_scope
from monitor.migrate import upgrade
from monitor.models import Incident

BRAND_YAML = """
brands:
  - id: shouzhuo
    name: 手镯之家
    keywords:
      any: [手镯之家, shouzhuo home]
      none: [招聘]
    kol:
      min_followers: 100000
      verified: true
      accounts: [珠宝测评师老王]
"""


def make_config(tmp_path: Path, db_url: str, extra: str = "", brands: str = BRAND_YAML) -> Config:
    """A validated Config with the demo brand, the given database and extra YAML sections."""
    text = f"database:\n  url: {db_url}\n" + textwrap.dedent(brands) + textwrap.dedent(extra)
    return parse_config(text, base_dir=tmp_path)


@contextmanager
def migrated(db_url: str) -> Iterator[sessionmaker[Session]]:
    """A session factory on ``db_url`` migrated to head; the engine is disposed afterwards."""
    engine = make_engine(db_url)
    upgrade(engine)
    try:
        yield session_factory(engine)
    finally:
        engine.dispose()


def add_open_incidents(factory: sessionmaker[Session], ids: Iterable[int], at: datetime) -> None:
    """Open red incidents with these ids, for sample notifications (:mod:`tests.support.alert_samples`) to belong to."""
    with session_scope(factory) as s:
        for iid in ids:
            s.add(Incident(id=iid, brand="shouzhuo", cause=f"cause{iid}", status="open", tier="red",
                           opened_at=at, updated_at=at, figures={}))
