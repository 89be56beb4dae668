"""``repmon backtest``: what the current thresholds would have done."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TYPE_CHECKING

import click

from monitor.cli.app import config_option, fail, main
from monitor.clock import ensure_utc
from monitor.presentation import tier_name

if TYPE_CHECKING:
    from monitor.config import Config


@main.command("backtest")
@click.option("--from", "start", required=True, metavar="ISO", help="First hour to replay.")
@click.option("--to", "end", required=True, metavar="ISO", help="Last hour to replay.")
@config_option
def backtest_cmd(start: str, end: str, config: Config) -> None:
    """Replay stored mentions hour by hour with the current thresholds; nothing is sent."""
    from monitor.backtest import run_backtest
    from monitor.migrate import database

    try:
        t0, t1 = ensure_utc(datetime.fromisoformat(start)), ensure_utc(datetime.fromisoformat(end))
    except ValueError:
        fail("--from and --to take ISO times, e.g. 2026-03-10T00:00+08:00")
    if t1 < t0:
        fail("--to is before --from")

    def progress(done: int, total: int) -> None:
        if sys.stderr.isatty():
            click.echo(f"\rreplaying hour {done}/{total}", nl=False, err=True)

    with database(config) as (_, factory):
        result = run_backtest(config, factory, t0, t1, progress)
    if sys.stderr.isatty():
        click.echo("", err=True)
    tz = config.tz
    click.echo(f"replayed {result.hours} hour(s) with the current thresholds (nothing was sent)")
    click.echo(f"incidents that would have opened: {len(result.opened)}")
    for o in result.opened:
        click.echo(f"  {o['at'].astimezone(tz):%Y-%m-%d %H:%M}  {o['brand']} / {o['cause']}  {tier_name(o['tier'], 'en')}  ({o['trigger']})")
    for e in result.escalated:
        click.echo(f"  {e['at'].astimezone(tz):%Y-%m-%d %H:%M}  replay #{e['id']} escalated {e['from']} -> {e['to']}")
    kinds = ", ".join(f"{k} {v}" for k, v in sorted(result.notifications.items())) or "none"
    click.echo(f"notifications that would have gone out: {result.total_notifications} ({kinds})")
