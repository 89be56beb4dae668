"""The ``repmon`` command group and what every command shares (``--config``, errors)."""

from __future__ import annotations

import functools
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from monitor.config import DEFAULT_CONFIG_PATH, Config, ConfigError, load_config

EXIT_CONFIG = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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
        config = kwargs["config"] = load_or_exit(config_path)
        from sqlalchemy.exc import ArgumentError, InterfaceError, OperationalError

        try:
            return func(*args, **kwargs)
        except (OperationalError, InterfaceError, ArgumentError) as exc:
            # A database that is down or misaddressed is the user's to fix: one line, no traceback.
            fail_database(config, exc)

    return wrapper


def load_or_exit(path: Path, check_files: bool = True) -> Config:
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


def fail(message: str, code: int = 1) -> None:
    """End the command with one clear message on stderr."""
    click.echo(f"error: {message}", err=True)
    sys.exit(code)
