"""``repmon digest``: the managers' daily digest."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import click

from monitor.cli.app import config_option, fail, main, now_option
from monitor.clock import parse_now

if TYPE_CHECKING:
    from monitor.config import Config


@main.command("digest")
@click.option("--date", "day", metavar="YYYY-MM-DD", help="The local day (default: yesterday).")
@click.option("--brand", "brand_id", help="Only this brand.")
@click.option("--no-send", is_flag=True, help="Write the page only (a preview); do not send the summary card. The service still sends it when due.")
@now_option
@config_option
def digest_cmd(day: str | None, brand_id: str | None, no_send: bool, now_iso: str | None, config: Config) -> None:
    """Write the digest page of each brand and send its summary card to the digest route."""
    # Here, not at the top: slack_sdk and httpx would slow every other repmon command's start.
    from alerts.delivery import Deliverer
    from monitor.digest import send_digests
    from monitor.migrate import database

    try:
        d = date.fromisoformat(day) if day else None
    except ValueError:
        fail(f"--date: not a date (YYYY-MM-DD): {day!r}")
    if brand_id and brand_id not in {b.id for b in config.brands}:
        fail(f"no brand {brand_id!r} in the config")
    clock = parse_now(now_iso)
    with database(config) as (_, factory):
        results = send_digests(config, factory, clock, d, brand_id, send=not no_send)
        for r in results:
            click.echo(f"{r.brand}: {r.path}")
        if not no_send:
            report = Deliverer(config).deliver_due(factory, clock)
            click.echo(f"summary cards: {report.sent} sent, {report.retried} to retry, {report.failed} failed")
