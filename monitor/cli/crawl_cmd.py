"""``repmon run --once`` and ``repmon crawl SOURCE_ID``."""

from __future__ import annotations

import click

from crawlers.runner import CrawlResult, crawl
from monitor.cli.app import config_option, main
from monitor.clock import parse_now
from monitor.config import Config
from monitor.secrets import redact


def _valid_now(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is not None:
        try:
            parse_now(value)
        except ValueError:
            raise click.BadParameter(f"not an ISO time: {value!r} (e.g. 2026-06-15T10:00:00+08:00)") from None
    return value


def now_option(func):
    return click.option(
        "--now",
        "now_iso",
        default=None,
        metavar="ISO",
        callback=_valid_now,
        help="Pretend it is this time (ISO 8601): for drills, replays and tests.",
    )(func)


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
    from monitor.migrate import database

    try:
        source = config.source(source_id)
    except KeyError:
        known = ", ".join(s.id for s in config.sources) or "none"
        raise click.BadParameter(f"no source {source_id!r} in the config (sources: {known})",
                                 param_hint="SOURCE_ID") from None
    with database(config):
        pass  # the schema is brought to head here; the crawl opens its own connections
    import sys

    results = crawl(config, [source], now=parse_now(now_iso).now() if now_iso else None, progress=sys.stderr.isatty())
    print_crawl_summary(results)
    if not all(r.ok for r in results):
        raise SystemExit(1)
