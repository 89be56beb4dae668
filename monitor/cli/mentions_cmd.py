"""``repmon mentions list``."""

from __future__ import annotations

import json
from datetime import datetime

import click

from monitor.cli.app import config_option, main
from monitor.clock import ensure_utc
from monitor.config import Config
from monitor.models import Mention


def mention_dict(m: Mention) -> dict:
    """A mention as plain JSON-able data."""
    return {
        "id": m.id,
        "brand": m.brand,
        "source_id": m.source_id,
        "external_id": m.external_id,
        "url": m.url,
        "text": m.text,
        "author_id": m.author_id,
        "author_name": m.author_name,
        "author_followers": m.author_followers,
        "author_verified": m.author_verified,
        "published_at": m.published_at.isoformat(),
        "fetched_at": m.fetched_at.isoformat(),
        "reposts": m.reposts,
        "comments": m.comments,
        "likes": m.likes,
        "language": m.language,
        "sentiment": m.sentiment,
        "negative": m.negative,
        "category": m.category,
        "kol": m.kol,
        "priority": m.priority,
    }


@main.group("mentions")
def mentions_group() -> None:
    """Stored mentions."""


@mentions_group.command("list")
@click.option("--brand", help="Only this brand id.")
@click.option("--negative", is_flag=True, help="Only negative mentions.")
@click.option("--since", metavar="ISO", help="Only mentions published at or after this time.")
@click.option("--source", "source_id", help="Only this source id.")
@click.option("--limit", type=click.IntRange(1, 100_000), default=50, show_default=True)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@config_option
def mentions_list(
    brand: str | None, negative: bool, since: str | None, source_id: str | None, limit: int, fmt: str, config: Config
) -> None:
    """List stored mentions, newest first."""
    from monitor.db import session_scope
    from monitor.migrate import open_database
    from monitor.store import mentions_query

    since_dt = None
    if since:
        try:
            since_dt = ensure_utc(datetime.fromisoformat(since))
        except ValueError:
            raise click.BadParameter(f"not an ISO time: {since!r} (e.g. 2026-06-15T10:00:00+08:00)",
                                     param_hint="--since") from None
    if brand is not None and brand not in {b.id for b in config.brands}:
        # A typo must not look like "no mentions".
        known = ", ".join(b.id for b in config.brands)
        raise click.BadParameter(f"no brand {brand!r} in the config (brands: {known})", param_hint="--brand")
    engine, factory = open_database(config)
    with session_scope(factory) as s:
        q = mentions_query(brand=brand, negative=True if negative else None, since=since_dt, source_id=source_id)
        rows = [mention_dict(m) for m in s.scalars(q.limit(limit))]
    engine.dispose()
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    _print_table(rows, config)


def _print_table(rows: list[dict], config: Config) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False, expand=False)
    for col in ("published", "brand", "source", "sent.", "neg", "cat.", "reposts", "author", "text"):
        table.add_column(col, overflow="fold")
    tz = config.tz
    for r in rows:
        published = datetime.fromisoformat(r["published_at"]).astimezone(tz).strftime("%m-%d %H:%M")
        text = r["text"].replace("\n", " ")
        table.add_row(
            published,
            r["brand"],
            r["source_id"],
            f"{r['sentiment']:.2f}" if r["sentiment"] is not None else "-",
            "yes" if r["negative"] else "",
            r["category"] or "",
            str(r["reposts"]),
            (r["author_name"] or "") + (" (KOL)" if r["kol"] else ""),
            text[:80] + ("…" if len(text) > 80 else ""),
        )
    # markup=False: post text is untrusted and must not be read as rich markup.
    console = Console(markup=False, highlight=False)
    if not console.is_terminal:
        console.width = 200  # pipes and files get full rows, not an 80-column wrap
    console.print(table)
    click.echo(f"{len(rows)} mention(s)")
