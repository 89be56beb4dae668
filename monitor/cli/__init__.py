"""The ``repmon`` command line. Each module below registers its commands on ``main``."""

from monitor.cli.app import main

# Imported for their side effect of registering commands on ``main``.
from monitor.cli import backtest_cmd  # noqa: E402,F401
from monitor.cli import config_cmd  # noqa: E402,F401
from monitor.cli import crawl_cmd  # noqa: E402,F401
from monitor.cli import db_cmd  # noqa: E402,F401
from monitor.cli import digest_cmd  # noqa: E402,F401
from monitor.cli import incidents_cmd  # noqa: E402,F401
from monitor.cli import mentions_cmd  # noqa: E402,F401
from monitor.cli import run_cmd  # noqa: E402,F401
from monitor.cli import scoring_cmd  # noqa: E402,F401
from monitor.cli import sources_cmd  # noqa: E402,F401
from monitor.cli import status_cmd  # noqa: E402,F401
from monitor.cli import web_cmd  # noqa: E402,F401
from monitor.cli import worker_cmd  # noqa: E402,F401

__all__ = ["main"]
