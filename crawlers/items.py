"""The one item every spider yields: a mention, as raw as the source gave it.

Spiders fill what they can; the ingest pipelines normalise it (counts such as
``1.2万``, times such as ``5分钟前``, HTML in text), match it to a brand, dedupe, score
and store it. Fields left empty stay None.
"""

from __future__ import annotations

import scrapy


class MentionItem(scrapy.Item):
    source_id = scrapy.Field()  # set by the spider from its config id
    external_id = scrapy.Field()  # unique per source: post id, note id, URL ...
    url = scrapy.Field()
    text = scrapy.Field()  # may contain HTML; the pipeline strips it
    author_id = scrapy.Field()
    author_name = scrapy.Field()
    author_followers = scrapy.Field()  # int or a string such as "1.2万"
    author_verified = scrapy.Field()
    # Weibo's verified_type: -1 none, 0 personal (orange V), 1-7 institutional (blue V), 200/220 paid members.
    author_verified_type = scrapy.Field()
    published_at = scrapy.Field()  # datetime, ISO, epoch s/ms, RFC 2822, "5分钟前", "06-14" ...
    fetched_at = scrapy.Field()  # when the counts were seen; defaults to the crawl's now
    reposts = scrapy.Field()
    comments = scrapy.Field()
    likes = scrapy.Field()
    language = scrapy.Field()  # if the source says; otherwise detected when scoring
    timezone = scrapy.Field()  # IANA zone for times given without one (the source's zone)


MENTION_FIELDS = tuple(MentionItem.fields)
