"""The ``repmon`` command group and what every command shares (``--config``, ``--now``, errors).

Start-up is part of every command's cost (operators type them, tests run hundreds): a
command's module is imported only when that command runs (:class:`LazyGroup`), and the
modules import at their top only what declaring their options needs. The config's models,
the database layer and the crawlers are imported inside the commands that use them.
"""

from __future__ import annotations

import atexit
import functools
import gc
import importlib
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from monitor.clock import parse_now
from monitor.defaults import DEFAULT_CONFIG_PATH
from monitor.gcpause import gc_paused

if TYPE_CHECKING:
    from monitor.config import Config, ConfigError

EXIT_CONFIG = 2

# The interpreter's last act is a full collection over every object still alive: for a
# short command, a fifth of its CPU time (repmon status: 0.70 s → 0.52 s with the pause
# around the config's imports below, measured side by side), spent proving that modules
# are not garbage. Freezing at exit (atexit handlers run before it) takes everything out of
# it; what is left unfreed at exit is the operating system's to reclaim.
atexit.register(gc.freeze)

# Each top-level command and the module that declares it.
COMMAND_MODULES = {
    "backtest": "monitor.cli.backtest_cmd",
    "config": "monitor.cli.config_cmd",
    "crawl": "monitor.cli.crawl_cmd",
    "db": "monitor.cli.db_cmd",
    "digest": "monitor.cli.digest_cmd",
    "incidents": "monitor.cli.incidents_cmd",
    "mentions": "monitor.cli.mentions_cmd",
    "run": "monitor.cli.run_cmd",
    "score": "monitor.cli.scoring_cmd",
    "sources": "monitor.cli.sources_cmd",
    "status": "monitor.cli.status_cmd",
    "train-sentiment": "monitor.cli.scoring_cmd",
    "web": "monitor.cli.web_cmd",
    "worker": "monitor.cli.worker_cmd",
}


class LazyGroup(click.Group):
    """A group that imports a command's module when the command is looked up (to run it,
    or to list it in ``--help``), not when the program starts."""

    def __init__(self, *args: Any, modules: dict[str, str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.modules = dict(modules or {})

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self.modules))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.modules:
            importlib.import_module(self.modules[cmd_name])  # its decorators register it on this group
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, modules=COMMAND_MODULES, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("--log-json", is_flag=True, help="Log as JSON lines instead of text.")
@click.version_option(package_name="repmon")
@click.pass_context
def main(ctx: click.Context, verbose: int, log_json: bool) -> None:
    """repmon: reputation monitor and crisis alerter for brand PR teams."""
    from monitor.logs import setup_logging

    setup_logging(level=logging.WARNING - 10 * min(verbose, 2), as_json=log_json)
    ctx.ensure_object(dict)


def config_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--config PATH`` to a command and pass the loaded :class:`Config` as ``config``.

    A config that does not validate ends the command with exit code 2 and one line per problem;
    a database that cannot be reached ends it with exit code 1 and one line naming it.
    """

    @click.option(
        "--config",
        "config_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=DEFAULT_CONFIG_PATH,
        show_default=True,
        help="The config file.",
    )
    @functools.wraps(func)
    def wrapper(*args: Any, config_path: Path, **kwargs: Any) -> Any:
        with gc_paused():  # the config's imports: long-lived objects (see monitor.gcpause)
            config = kwargs["config"] = load_or_exit(config_path)
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            # Only a command that used the database can raise SQLAlchemy's errors, so they are
            # looked up, not imported: importing SQLAlchemy cost `repmon score` 0.2 s.
            errors = sys.modules.get("sqlalchemy.exc")
            if errors is not None and isinstance(exc, (errors.OperationalError, errors.InterfaceError, errors.ArgumentError)):
                # A database that is down or misaddressed is the user's to fix: one line, no traceback.
                fail_database(config, exc)
            raise

    return wrapper


def load_or_exit(path: Path, check_files: bool = True) -> Config:
    from monitor.config import ConfigError, load_config

    try:
        return load_config(path, check_files=check_files)
    except ConfigError as exc:
        print_config_error(exc)
        sys.exit(EXIT_CONFIG)


def print_config_error(exc: ConfigError) -> None:
    click.echo(f"{exc.source}: {len(exc.problems)} problem(s):", err=True)
    for problem in exc.problems:
        click.echo(f"  {problem}", err=True)


def fail_database(config: Config, exc: Exception) -> None:
    """End the command with ``database: cannot connect to <url>: <reason>`` (password masked)."""
    from monitor.secrets import mask_url, redact

    cause = getattr(exc, "orig", None) or exc
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    reason = lines[0] if lines else cause.__class__.__name__
    reason = reason.removeprefix("connection failed: ")
    url = mask_url(config.database_url())
    click.echo(redact(f"database: cannot connect to {url}: {reason}"), err=True)
    sys.exit(1)


def _valid_now(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            parse_now(value)
        except ValueError:
            raise click.BadParameter(f"not an ISO time: {value!r} (e.g. 2026-06-15T10:00:00+08:00)") from None
    return value


def now_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--now ISO`` (checked, passed on as the string ``now_iso``)."""
    return click.option(
        "--now",
        "now_iso",
        default=None,
        metavar="ISO",
        callback=_valid_now,
        help="Pretend it is this time (ISO 8601): for drills, replays and tests.",
    )(func)


def fail(message: str, code: int = 1) -> None:
    """End the command with one clear message on stderr."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
