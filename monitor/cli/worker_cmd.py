"""``repmon worker``: a crawler process for distributed crawling (scrapy-redis)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from monitor.cli.app import config_option, fail, main

if TYPE_CHECKING:
    from monitor.config import Config


@main.command("worker")
@config_option
def worker_cmd(config: Config) -> None:
    """Crawl rounds seeded by the scheduler from the shared Redis queue (needs distributed.redis_url)."""
    # Here, not at the top: crawlers.runner brings the database layer, which the other
    # commands' start-up should not pay for.
    from crawlers.runner import work_forever
    from monitor.migrate import database

    if not config.distributed.redis_url:
        fail("repmon worker needs distributed.redis_url in the config (a Redis server shared with the scheduler)")
    with database(config):
        pass  # the schema is brought to head here; the crawls open their own connections
    work_forever(config)
