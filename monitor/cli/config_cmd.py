"""``repmon config check``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from monitor.cli.app import EXIT_CONFIG, main, print_config_error
from monitor.defaults import DEFAULT_CONFIG_PATH


@main.group("config")
def config_group() -> None:
    """Check the configuration."""


@config_group.command("check")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_CONFIG_PATH, show_default=True)
def config_check(config_path: Path) -> None:
    """Validate the config file: exit 0 if good, 2 with one line per problem if not."""
    from monitor.config import ConfigError, load_config

    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        print_config_error(exc)
        sys.exit(EXIT_CONFIG)
    click.echo(f"{config_path}: OK ({len(cfg.brands)} brand(s), {len(cfg.sources)} source(s))")
