"""One spider per source kind. ``SPIDERS`` maps a config ``kind`` to its spider class."""

from crawlers.spiders.base import MentionSpider
from crawlers.spiders.bluesky import BlueskySpider
from crawlers.spiders.html import HtmlSpider
from crawlers.spiders.jsonl import JsonlSpider
from crawlers.spiders.mastodon import MastodonSpider
from crawlers.spiders.mediacrawler import MediaCrawlerSpider
from crawlers.spiders.rss import RssSpider
from crawlers.spiders.weibo import WeiboSpider

SPIDERS: dict[str, type[MentionSpider]] = {
    cls.kind: cls
    for cls in (JsonlSpider, WeiboSpider, RssSpider, HtmlSpider, MastodonSpider, BlueskySpider, MediaCrawlerSpider)
}

__all__ = ["SPIDERS", "MentionSpider"]
