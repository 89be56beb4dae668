"""``repmon run``: one cycle of the whole pipeline (``--once``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from monitor.cli.app import config_option, fail, main, now_option
from monitor.cli.crawl_cmd import print_crawl_summary
from monitor.clock import parse_now

if TYPE_CHECKING:
    from monitor.config import Config


def _serve(config: Config, standby: bool = False) -> None:
    """The always-on service: runs until SIGTERM / SIGINT."""
    from monitor.lock import LockHeld
    from monitor.service import Service

    service = Service(config.path or config.base_dir / "config.yaml", config)
    try:
        service.start(standby=standby)
    except LockHeld as exc:
        service.engine.dispose()
        fail(str(exc))
    click.echo(f"repmon running (pid {service.lease.pid}); Ctrl-C or SIGTERM stops it", err=True)
    code = service.wait()
    if service.unfinished:
        # A job ignored the stop timeout: its thread would keep the interpreter from exiting.
        import logging
        import os

        logging.shutdown()
        os._exit(code or 1)
    if code:
        raise SystemExit(code)


@main.command("run")
@click.option("--once", is_flag=True, help="Run every enabled source once, then the rest of the pipeline, and exit.")
@click.option("--standby", is_flag=True, help="If another scheduler holds the database, wait and take over when it stops or dies.")
@now_option
@config_option
def run_cmd(once: bool, standby: bool, now_iso: str | None, config: Config) -> None:
    """Run the monitor."""
    from monitor.migrate import database

    if not once:
        _serve(config, standby)
        return
    # Here, not at the top: slack_sdk and httpx (alerts), and the database layer (crawlers.runner),
    # would slow every other repmon command's start.
    from alerts.delivery import Deliverer
    from crawlers.runner import crawl
    from monitor.cycle import evaluate_and_enqueue

    clock = parse_now(now_iso)
    with database(config) as (_, factory):
        sources = [s for s in config.sources if s.enabled]
        if not sources:
            click.echo("no enabled sources in the config")
        results = crawl(config, sources, now=clock.now() if now_iso else None)
        print_crawl_summary(results)
        cycle = evaluate_and_enqueue(config, factory, clock)
        ev = cycle.evaluation
        click.echo(
            f"incidents: {len(ev.opened)} opened, {len(ev.escalated)} escalated, {len(ev.resolved)} resolved; "
            f"{len(cycle.notifications)} notification(s), {cycle.enqueued} outbox message(s)"
        )
        click.echo("-" * 60)
        report = Deliverer(config).deliver_due(factory, clock)
        click.echo(f"delivered: {report.sent} sent, {report.retried} to retry, {report.failed} failed")
        for error in report.errors:
            click.echo(f"  {error}")
