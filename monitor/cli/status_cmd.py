"""``repmon status``: is the service running, and how is it doing."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from monitor.cli.app import config_option, main
from monitor.clock import SystemClock
from monitor.presentation import format_ago, tier_name

if TYPE_CHECKING:
    from monitor.config import Config


@main.command("status")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@config_option
def status_cmd(fmt: str, config: Config) -> None:
    """Whether the service runs, its last cycle, outbox backlog, failing sources, open incidents."""
    from sqlalchemy import func, select

    from monitor.db import session_scope
    from monitor.lock import read_lock
    from monitor.migrate import database, is_current
    from monitor.models import Incident, OutboxMessage
    from monitor.source_health import failing_now

    now = SystemClock().now()
    # Read-only: never migrate from here, a starting service may be doing just that.
    with database(config, migrate=False) as (engine, factory):
        if not is_current(engine):
            _print_never_started(fmt)
            return
        with session_scope(factory) as s:
            holder = read_lock(s)
            backlog = dict(
                s.execute(
                    select(OutboxMessage.status, func.count()).where(OutboxMessage.status != "sent").group_by(OutboxMessage.status)
                ).all()
            )
            open_incidents = [
                {"id": i.id, "brand": i.brand, "cause": i.cause, "tier": i.tier, "status": i.status,
                 "opened_at": i.opened_at.isoformat()}
                for i in s.scalars(select(Incident).where(Incident.status != "resolved").order_by(Incident.opened_at))
            ]
            failing = [
                {"id": h.id, "since": h.failing_since.isoformat(), "runs": h.failing_streak, "error": h.last_error}
                for h in failing_now(s, config)
            ]
    running = holder is not None and holder.alive(now, config.service.lease)
    data = {
        "running": running,
        "pid": holder.pid if holder and running else None,
        "host": holder.host if holder and running else None,
        "last_heartbeat": holder.heartbeat_at.isoformat() if holder else None,
        "last_cycle": (holder.info or {}).get("last_cycle_at") if holder else None,
        "last_cycle_seconds": (holder.info or {}).get("last_cycle_seconds") if holder else None,
        "last_crawl": (holder.info or {}).get("last_crawl_at") if holder else None,
        "last_delivery": (holder.info or {}).get("last_delivery_at") if holder else None,
        "outbox_backlog": backlog,
        "failing_sources": failing,
        "open_incidents": open_incidents,
    }
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=1))
        return
    if running:
        click.echo(f"service: running (pid {data['pid']} on {data['host']}, heartbeat {format_ago(holder.heartbeat_at, now)})")
    elif holder:
        click.echo(f"service: not running (last seen {format_ago(holder.heartbeat_at, now)})")
    else:
        click.echo("service: never started against this database")
    click.echo(f"last cycle: {data['last_cycle'] or 'none'}"
               + (f" ({data['last_cycle_seconds']}s)" if data["last_cycle_seconds"] is not None else ""))
    click.echo(f"last crawl: {data['last_crawl'] or 'none'}; last delivery round: {data['last_delivery'] or 'none'}")
    click.echo("outbox backlog: " + (", ".join(f"{k} {v}" for k, v in sorted(backlog.items())) or "empty"))
    click.echo(f"failing sources: {len(failing)}")
    for f in failing:
        click.echo(f"  {f['id']} since {f['since']}: {f['error']}")
    click.echo(f"open incidents: {len(open_incidents)}")
    for i in open_incidents:
        click.echo(f"  #{i['id']} {i['brand']} {i['cause']} {tier_name(i['tier'], 'en')} ({i['status']}) opened {i['opened_at']}")


def _print_never_started(fmt: str) -> None:
    if fmt == "json":
        click.echo(json.dumps({"running": False, "pid": None, "host": None, "last_heartbeat": None, "last_cycle": None,
                               "last_cycle_seconds": None, "last_crawl": None, "last_delivery": None,
                               "outbox_backlog": {}, "failing_sources": [], "open_incidents": []}))
    else:
        click.echo("service: never started against this database (schema not created yet)")

