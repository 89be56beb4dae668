"""``repmon sources``: every source and its health."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from monitor.cli.app import config_option, main
from monitor.presentation import format_local

if TYPE_CHECKING:
    from monitor.config import Config


@main.command("sources")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@config_option
def sources_cmd(fmt: str, config: Config) -> None:
    """Sources with their last run, last success, items and last error."""
    from monitor.db import session_scope
    from monitor.migrate import database
    from monitor.source_health import source_health

    with database(config) as (_, factory), session_scope(factory) as s:
        rows = source_health(s, config)
    if fmt == "json":
        click.echo(json.dumps([
            {"id": h.id, "kind": h.kind, "enabled": h.enabled, "last_run": h.last_run.isoformat() if h.last_run else None,
             "last_ok": h.last_ok, "last_success": h.last_success.isoformat() if h.last_success else None,
             "items": h.last_items, "last_error": h.last_error, "failing_streak": h.failing_streak}
            for h in rows], ensure_ascii=False, indent=1))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for col in ("id", "kind", "last run", "last success", "items", "last error"):
        table.add_column(col, overflow="fold")
    for h in rows:
        status = "" if h.last_ok in (None, True) else f"FAILING x{h.failing_streak}: "
        table.add_row(h.id + ("" if h.enabled else " (off)"), h.kind, format_local(h.last_run, config.tz, empty="never"),
                      format_local(h.last_success, config.tz, empty="never"),
                      "" if h.last_items is None else str(h.last_items), (status + (h.last_error or "")) or "")
    console = Console(markup=False, highlight=False)
    if not console.is_terminal:
        console.width = 200
    console.print(table)
