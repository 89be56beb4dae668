"""``repmon mentions list`` and ``repmon mentions rescore``."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import click

from monitor.cli.app import config_option, main
from monitor.clock import ensure_utc
from monitor.presentation import format_local

if TYPE_CHECKING:
    from monitor.config import Config


def _since(since: str | None) -> datetime | None:
    if not since:
        return None
    try:
        return ensure_utc(datetime.fromisoformat(since))
    except ValueError:
        raise click.BadParameter(f"not an ISO time: {since!r} (e.g. 2026-06-15T10:00:00+08:00)",
                                 param_hint="--since") from None


def _known_brand(brand: str | None, config: Config) -> None:
    if brand is not None and brand not in {b.id for b in config.brands}:
        # A typo must not look like "no mentions".
        known = ", ".join(b.id for b in config.brands)
        raise click.BadParameter(f"no brand {brand!r} in the config (brands: {known})", param_hint="--brand")


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
    from monitor.migrate import database
    from monitor.store import mentions_query

    since_dt = _since(since)
    _known_brand(brand, config)
    with database(config) as (_, factory), session_scope(factory) as s:
        q = mentions_query(brand=brand, negative=True if negative else None, since=since_dt, source_id=source_id)
        rows = [m.as_dict() for m in s.scalars(q.limit(limit))]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    _print_table(rows, config)


def _print_table(rows: list[dict], config: Config) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(show_lines=False, expand=False)
    for col in ("published", "brand", "source", "sent.", "polarity", "cat.", "reposts", "author", "text"):
        table.add_column(col, overflow="fold")
    tz = config.tz
    for r in rows:
        published = format_local(r["published_at"], tz)
        text = r["text"].replace("\n", " ")
        table.add_row(
            published,
            r["brand"],
            r["source_id"],
            f"{r['sentiment']:.2f}" if r["sentiment"] is not None else "-",
            r["polarity"] or ("negative" if r["negative"] else ""),
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


@mentions_group.command("rescore")
@click.option("--brand", help="Only this brand id.")
@click.option("--since", metavar="ISO", help="Only mentions published at or after this time (default: all).")
@click.option("--batch", type=click.IntRange(1, 100_000), default=1000, show_default=True,
              help="Mentions per transaction.")
@config_option
def mentions_rescore(brand: str | None, since: str | None, batch: int, config: Config) -> None:
    """Score stored mentions again with the current models and config (after an upgrade of
    the sentiment model, a brand-adapted model or new categories), so that incidents and the
    digest count them the way new mentions are counted. Open incidents pick the change up at
    the next evaluation."""
    from sqlalchemy import select

    from monitor.db import session_scope
    from monitor.models import Mention
    from monitor.migrate import database
    from monitor.scoring import Scorer
    from monitor.store import set_score

    since_dt = _since(since)
    _known_brand(brand, config)
    brands = {b.id: b for b in config.brands}
    scorer = Scorer(config)
    seen = changed = skipped = 0
    last_id = 0
    with database(config) as (_, factory):
        while True:
            with session_scope(factory) as s:
                q = select(Mention).where(Mention.id > last_id).order_by(Mention.id).limit(batch)
                if brand:
                    q = q.where(Mention.brand == brand)
                if since_dt:
                    q = q.where(Mention.published_at >= since_dt)
                rows = list(s.scalars(q))
                if not rows:
                    break
                for m in rows:
                    b = brands.get(m.brand)
                    if b is None:  # a brand since removed from the config: nothing to score it for
                        skipped += 1
                        continue
                    sc = scorer.score(m.text, brand=b, followers=m.author_followers, verified=m.author_verified,
                                      author_id=m.author_id, author_name=m.author_name, reposts=m.reposts,
                                      comments=m.comments, likes=m.likes)
                    before = (m.negative, m.polarity, m.category, m.kol)
                    set_score(m, sc, m.language)
                    changed += before != (m.negative, m.polarity, m.category, m.kol)
                seen += len(rows)
                last_id = rows[-1].id
            click.echo(f"  {seen:,} mentions scored ...", err=True)
    click.echo(f"rescored {seen - skipped:,} mention(s): {changed:,} changed polarity, category or KOL flag"
               + (f"; {skipped:,} of brands no longer in the config left as they were" if skipped else ""))
