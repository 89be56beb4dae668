"""``repmon run --once`` and ``repmon crawl SOURCE_ID``."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import click

from monitor.cli.app import config_option, main, now_option
from monitor.clock import parse_now
from monitor.secrets import redact

if TYPE_CHECKING:
    from crawlers.runner import CrawlResult
    from monitor.config import Config


def print_crawl_summary(results: list[CrawlResult]) -> None:
    """A short table of what each source did, then negatives per brand.

    Each record a source handed over (a post, or a line that was not even JSON) is
    counted once: read = new + updated (re-crawled, counts or text changed) +
    unchanged (re-crawled as stored) + dropped (not stored; reasons listed).
    """
    click.echo(f"sources run: {len(results)}")
    for r in results:
        state = "ok" if r.ok else f"FAILED: {redact(r.error or 'unknown error')}"
        click.echo(
            f"  {r.source_id}: {r.items} read = {r.new} new + {r.updated} updated + {r.unchanged} unchanged"
            f" + {r.dropped} dropped  [{state}]"
        )
        if r.dropped_reasons:
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(r.dropped_reasons.items()))
            click.echo(f"    dropped: {reasons}")
    totals = {k: sum(getattr(r, k) for r in results) for k in ("items", "new", "updated", "unchanged", "dropped")}
    click.echo(
        f"mentions: {totals['items']} read = {totals['new']} new + {totals['updated']} updated"
        f" + {totals['unchanged']} unchanged + {totals['dropped']} dropped"
    )
    negatives: dict[str, int] = {}
    for r in results:
        for brand, n in r.negatives.items():
            negatives[brand] = negatives.get(brand, 0) + n
    if negatives:
        click.echo("new negative mentions: " + ", ".join(f"{b} {n}" for b, n in sorted(negatives.items())))
    else:
        click.echo("new negative mentions: none")


@main.command("crawl")
@click.argument("source_id")
@now_option
@config_option
def crawl_cmd(source_id: str, now_iso: str | None, config: Config) -> None:
    """Run one source once through the ingest pipeline."""
    # Here, not at the top: crawlers.runner brings the database layer, which the other
    # commands' start-up (repmon --help, status) should not pay for.
    from crawlers.runner import crawl
    from monitor.migrate import database

    try:
        source = config.source(source_id)
    except KeyError:
        known = ", ".join(s.id for s in config.sources) or "none"
        raise click.BadParameter(f"no source {source_id!r} in the config (sources: {known})",
                                 param_hint="SOURCE_ID") from None
    with database(config):
        pass  # the schema is brought to head here; the crawl opens its own connections
    results = crawl(config, [source], now=parse_now(now_iso).now() if now_iso else None, progress=sys.stderr.isatty())
    print_crawl_summary(results)
    if not all(r.ok for r in results):
        raise SystemExit(1)
