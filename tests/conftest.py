"""Shared fixtures: databases (SQLite and the real PostgreSQL), Redis, configs.

Tests that need PostgreSQL or Redis skip with a reason when the server is not
reachable — unless ``REPMON_REQUIRE_SERVICES=1`` (CI sets it), which turns the skip
into a failure so CI always runs them.
"""

from __future__ import annotations

import atexit
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

from tests.support.factories import BRAND_YAML, make_config
from tests.support.pg import fresh_schema

# repmon's cache folder (jieba's dictionary, the models' weights) for this test session:
# built once by the first test that scores, then reused by every repmon process the tests
# start (they inherit the environment), and never the developer's own cache. Set
# REPMON_CACHE_DIR to keep one across sessions.
if "REPMON_CACHE_DIR" not in os.environ:
    os.environ["REPMON_CACHE_DIR"] = tempfile.mkdtemp(prefix="repmon-test-cache-")
    atexit.register(shutil.rmtree, os.environ["REPMON_CACHE_DIR"], ignore_errors=True)

REQUIRE_SERVICES = os.environ.get("REPMON_REQUIRE_SERVICES") == "1"
PG_URL = os.environ.get("REPMON_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("REPMON_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
FIXTURES = Path(__file__).parent / "fixtures"


def _reachable(url: str, default_port: int) -> bool:
    u = urlparse(url.replace("+psycopg", ""))
    try:
        with socket.create_connection((u.hostname or "127.0.0.1", u.port or default_port), timeout=1):
            return True
    except OSError:
        return False


def service_unavailable(what: str) -> None:
    """Skip the test, or fail it when the environment demands every service."""
    message = f"{what} is not reachable"
    if REQUIRE_SERVICES:
        pytest.fail(f"{message}, and REPMON_REQUIRE_SERVICES=1 requires it")
    pytest.skip(message)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A URL to a fresh, empty schema on the real PostgreSQL server; dropped afterwards."""
    if not _reachable(PG_URL, 5432):
        service_unavailable(f"PostgreSQL at {PG_URL}")
    with fresh_schema(PG_URL) as url:
        yield url


# Every test that touches the product's database runs once on SQLite and once on the
# PostgreSQL server. REPMON_TEST_DB=sqlite (or postgres) keeps one of the two, for a
# quick local run.
TEST_DBS = [d for d in ("sqlite", "postgres") if os.environ.get("REPMON_TEST_DB", d) == d]


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file, for the tests about SQLite itself (busy database, WAL, file paths)."""
    return f"sqlite:///{tmp_path / 'repmon.db'}"


@pytest.fixture(params=[d if d == "sqlite" else pytest.param(d, marks=pytest.mark.postgres) for d in TEST_DBS])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The database under test: once a SQLite file, once a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'repmon.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def redis_url() -> str:
    if not _reachable(REDIS_URL, 6379):
        service_unavailable(f"Redis at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture
def config_factory(tmp_path: Path):
    def factory(db_url: str, extra: str = "", brands: str = BRAND_YAML):
        return make_config(tmp_path, db_url, extra, brands)

    return factory
