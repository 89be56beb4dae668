"""Property-based tests of every spider's parsing: generated answers, pages and files —
well-shaped ones with random values, and garbage — fed to the real parse methods with
Scrapy responses (``TextResponse`` with its ``Request``).

What a parse method may do (``crawlers/spiders/base.py``): yield mention items of its
source and follow-up requests to its own callbacks, and report what it cannot use — a
fault of the source with ``report_error`` (recorded in ``source_errors``: the run is
marked failed), or records it drops, counted by reason with ``count_dropped``
(``repmon/dropped/<reason>`` in the crawl's stats). The properties named "… yield(s)
items or is/are reported" assert exactly that of every generated input
(:func:`yields_items_or_is_reported`); the one kind of input that is rightly neither
(an empty page, a quiet day) is left out of them and has a property of its own. The
spiders document no exception of their own, so any exception is a failure here.
Several properties below once found such faults (a crash that lost a page, a ``null``
answer taken for an empty page, a damaged CSV file ending the run); they stay as
regression tests.

Each property runs under the ``ci`` profile in the default run and under ``long``
(thousands of inputs) with ``-m slow``; see ``tests/support/fuzzing.py``.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape as xml_escape

import pytest
from hypothesis import strategies as st
from scrapy import Request
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.test import get_crawler

from crawlers.context import SETTINGS_KEY, IngestContext
from crawlers.items import MentionItem
from crawlers.normalise import clean_text
from crawlers.spiders.bluesky import BlueskySpider
from crawlers.spiders.html import HtmlSpider
from crawlers.spiders.jsonl import JsonlSpider
from crawlers.spiders.mastodon import MastodonSpider
from crawlers.spiders.mediacrawler import MediaCrawlerSpider, first_record
from crawlers.spiders.rss import RssSpider
from crawlers.spiders.weibo import WeiboSpider
from monitor.clock import FixedClock
from monitor.config import parse_config
from monitor.db import make_engine, session_factory
from monitor.migrate import upgrade
from monitor.sources_config import (BlueskySource, HtmlSource, JsonlSource, MastodonSource, MediaCrawlerSource, RssSource,
                                    WeiboSource)
from tests.support.fuzzing import fuzz

# feedparser warns on every entry without <updated> about a fallback it will drop one day.
pytestmark = pytest.mark.filterwarnings("ignore:To avoid breaking existing software:DeprecationWarning")

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=timezone.utc)
BASE = "http://127.0.0.1:8999"

json_leaf = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(
    json_leaf,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=25,
)
# Text for fields: any characters, XML/JSON-hostile ones included.
any_text = st.text(max_size=60)
post_id = st.integers(min_value=1, max_value=10**18) | st.text(alphabet="0123456789abcdefXYZ", min_size=1, max_size=20)
count_value = st.none() | st.integers(min_value=0, max_value=10**9) | st.from_regex(r"\d{1,4}(\.\d)?(万|亿)?\+?", fullmatch=True)


# ---------------------------------------------------------------------------- harness


@pytest.fixture(scope="module")
def ctx(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IngestContext]:
    """A real (SQLite) database and a fixed clock: paging asks which posts are known."""
    folder = tmp_path_factory.mktemp("fuzzdb")
    config = parse_config(f"database: {{url: 'sqlite:///{folder / 'repmon.db'}'}}\n"
                          "brands:\n  - {id: s, name: 手镯之家, keywords: {any: [手镯之家]}}\n", base_dir=folder)
    engine = make_engine(config.database_url())
    upgrade(engine)
    yield IngestContext(config, session_factory(engine), FixedClock(NOW))
    engine.dispose()


_CRAWLERS: dict[tuple[type, int], Any] = {}


def _crawler(cls: type, ctx: IngestContext) -> Any:
    key = (cls, id(ctx))
    if key not in _CRAWLERS:
        _CRAWLERS[key] = (get_crawler(cls, {SETTINGS_KEY: ctx, "LOG_ENABLED": False}), ctx)  # ctx held: its id stays its own
    return _CRAWLERS[key][0]


def make_spider(cls: type, source: Any, ctx: IngestContext, **kw: Any) -> Any:
    """A fresh spider (its own source_errors) on a crawler shared by the test's examples."""
    crawler = _crawler(cls, ctx)
    crawler.stats.clear_stats()  # what the spider counts is this example's alone
    spider = cls.from_crawler(crawler, source=source, **kw)
    spider.logger.logger.disabled = True  # thousands of reported errors are the point, not log lines
    return spider


def response(body: bytes | str, url: str = BASE + "/api", meta: dict | None = None, html: bool = False) -> TextResponse:
    if isinstance(body, str):
        body = body.encode("utf-8", "surrogatepass")
    cls = HtmlResponse if html else TextResponse
    return cls(url=url, body=body, encoding="utf-8", request=Request(url, meta=meta or {}))


def drain(spider: Any, results: Any) -> tuple[list[MentionItem], list[Request]]:
    """What a callback yields; anything but a mention item of this source or a request to one
    of this spider's callbacks fails the property."""
    items, requests = [], []
    for x in results or ():
        if isinstance(x, MentionItem):
            assert x["source_id"] == spider.source_id
            items.append(x)
        elif isinstance(x, Request):
            assert getattr(x.callback, "__self__", None) is spider, f"a request to {x.callback!r}"
            assert x.url.startswith(("http://", "https://", "file://")), x.url
            requests.append(x)
        else:
            pytest.fail(f"{spider.kind} yielded a {type(x).__name__}: {x!r}")
    return items, requests


def dropped(spider: Any) -> dict[str, int]:
    """The records the spider dropped and counted, by reason (``repmon/dropped/<reason>``)."""
    prefix = "repmon/dropped/"
    return {k[len(prefix):]: v for k, v in spider.crawler.stats.get_stats().items() if k.startswith(prefix)}


def yields_items_or_is_reported(spider: Any, items: list[MentionItem], requests: list[Request]) -> bool:
    """Whether an input gave mention items (a Weibo post whose long text is still to fetch
    travels in the request for it) or was reported: a source error, or records dropped and
    counted by reason."""
    waiting = [r.meta["item"] for r in requests if isinstance(r.meta.get("item"), MentionItem)]
    return bool(items or waiting or spider.source_errors or dropped(spider))


def not_json(body: bytes) -> bool:
    try:
        json.loads(body.decode("utf-8"))
    except ValueError:
        return True
    return False


garbage_bytes = st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")) \
    | st.sampled_from([b"", b"   ", b"<html><body>\xe8\xaf\xb7\xe7\x99\xbb\xe5\xbd\x95 login</body></html>", b'{"ok": 1, "data": {"cards": [',
                       b"null", b"[]", b"{}", b"\xff\xfe{", b'{"ok": -100, "url": "https://passport.weibo.cn"}'])


# ---------------------------------------------------------------------------- weibo

WEIBO = WeiboSource(id="wb", kind="weibo", keywords=["手镯之家"], base_url=BASE, max_pages=3)
user = st.fixed_dictionaries({"id": st.integers(1, 10**10), "screen_name": any_text, "followers_count": count_value,
                              "verified": st.booleans(), "verified_type": st.integers(-1, 220)})
mblog = st.fixed_dictionaries(
    {"id": post_id, "text": any_text, "user": user, "reposts_count": count_value, "comments_count": count_value,
     "attitudes_count": count_value,
     "created_at": st.sampled_from(["刚刚", "5分钟前", "今天 12:30", "06-14", "Sat Jun 15 11:44:46 +0800 2019"]) | any_text},
    optional={"isLongText": st.booleans(), "retweeted_status": st.fixed_dictionaries({"text": any_text}), "raw_text": any_text},
)
card = st.one_of(st.fixed_dictionaries({"card_type": st.just(9), "mblog": mblog}),
                 st.fixed_dictionaries({"card_type": st.just(11), "card_group": st.lists(st.fixed_dictionaries({"mblog": mblog}), max_size=3)}),
                 st.fixed_dictionaries({"card_type": st.just(17), "desc": any_text}))


def posts_of(cards: list[dict]) -> list[dict]:
    """The posts of a page in page order: a card's own, or those of its card group."""
    return [m for c in cards for m in ([c["mblog"]] if "mblog" in c else [g["mblog"] for g in c.get("card_group", [])])]


@fuzz(st.lists(card, max_size=6), st.integers(1, 3))
def test_a_weibo_search_page_yields_every_post_once(cards, page, *, ctx):
    spider = make_spider(WeiboSpider, WEIBO, ctx)
    body = json.dumps({"ok": 1, "data": {"cards": cards}}, ensure_ascii=False)
    items, requests = drain(spider, spider.parse_search(response(body, meta={"keyword": "手镯之家", "page": page})))
    long_text = [r for r in requests if r.callback == spider.parse_long_text]
    got = [i["external_id"] for i in items] + [r.meta["item"]["external_id"] for r in long_text]
    posts = posts_of(cards)
    assert sorted(got) == sorted(str(m["id"]) for m in posts)
    for m, item in zip([m for m in posts if not m.get("isLongText")], items):
        assert item["text"].startswith(m["text"] or m.get("raw_text") or "")
    paging = [r for r in requests if r.callback == spider.parse_search]
    assert len(paging) == (1 if posts and page < WEIBO.max_pages else 0)
    assert not spider.source_errors


@fuzz(st.lists(st.fixed_dictionaries({"mblog": st.dictionaries(st.sampled_from([
    "id", "mid", "text", "raw_text", "user", "created_at", "reposts_count", "isLongText", "retweeted_status"]), json_values)}),
    max_size=4))
def test_weibo_posts_with_wrongly_typed_fields_never_crash_the_page(cards, *, ctx):
    spider = make_spider(WeiboSpider, WEIBO, ctx)
    body = json.dumps({"ok": 1, "data": {"cards": cards}})
    drain(spider, spider.parse_search(response(body, meta={"keyword": "k", "page": 1})))


def weibo_empty_page(data: Any) -> bool:
    """What Weibo sends for a keyword with no posts: ``ok`` with cards none of which holds a
    post (banners, hints), or ``ok: 0`` with a "no content" message and no cards (and no
    redirect to a login or captcha page, which is a refusal whatever the message)."""
    if not isinstance(data, dict):
        return False
    inner = data.get("data")
    cards = inner.get("cards") if isinstance(inner, dict) else None
    if data.get("ok") in (1, "1", True):
        if not isinstance(cards, list):
            return False
        groups = [g for c in cards if isinstance(c, dict) and isinstance(c.get("card_group"), list) for g in c["card_group"]]
        return not any(isinstance(c, dict) and c.get("mblog") is not None for c in [*cards, *groups])
    msg, url = str(data.get("msg") or ""), str(data.get("url") or "").lower()
    redirected = any(w in url for w in ("passport", "login", "captcha", "verify"))
    return str(data.get("ok")) == "0" and any(m in msg for m in WEIBO_NO_CONTENT) and not cards and not redirected


WEIBO_NO_CONTENT = ["还没有内容", "没有内容", "暂无", "无结果", "没有找到"]
weibo_answer = st.one_of(
    json_values.filter(lambda v: v is not None),
    st.lists(card, max_size=6).map(lambda cards: {"ok": 1, "data": {"cards": cards}}),
    st.fixed_dictionaries({"ok": st.sampled_from([0, "0", 1, -100, 20003]), "msg": st.sampled_from(["", *WEIBO_NO_CONTENT, "请先登录"])},
                          optional={"data": json_values, "url": st.sampled_from(["https://passport.weibo.cn/signin", "/verify"])}),
)


@fuzz(weibo_answer.filter(lambda v: not weibo_empty_page(v)))
def test_any_json_answer_to_a_weibo_search_yields_items_or_is_reported(data, *, ctx):
    spider = make_spider(WeiboSpider, WEIBO, ctx)
    items, requests = drain(spider, spider.parse_search(response(json.dumps(data), meta={"keyword": "k", "page": 1})))
    assert yields_items_or_is_reported(spider, items, requests), (requests, spider.source_errors)


@fuzz(weibo_answer.filter(weibo_empty_page), st.integers(1, 3))
def test_an_empty_weibo_search_page_yields_nothing_and_is_not_reported(data, page, *, ctx):
    spider = make_spider(WeiboSpider, WEIBO, ctx)
    assert drain(spider, spider.parse_search(response(json.dumps(data), meta={"keyword": "k", "page": page}))) == ([], [])
    assert not spider.source_errors and not dropped(spider)


@fuzz(st.sampled_from(["weibo", "mastodon", "bluesky"]), st.sampled_from(["null", " null\n"]))
def test_an_api_answering_null_is_reported(kind, body, *, ctx):
    cls, source, meta = {"weibo": (WeiboSpider, WEIBO, {"keyword": "k", "page": 1}),
                         "mastodon": (MastodonSpider, MASTODON, mastodon_meta(False, 1)),
                         "bluesky": (BlueskySpider, BLUESKY, {"q": "x", "page": 1})}[kind]
    spider = make_spider(cls, source, ctx)
    callback = spider.parse_timeline if kind == "mastodon" else spider.parse_search
    assert drain(spider, callback(response(body, meta=meta))) == ([], [])
    assert spider.source_errors


@fuzz(garbage_bytes.filter(not_json))
def test_a_weibo_answer_that_is_not_json_is_reported_not_parsed(body, *, ctx):
    spider = make_spider(WeiboSpider, WEIBO, ctx)
    assert drain(spider, spider.parse_search(response(body, meta={"keyword": "k", "page": 1}))) == ([], [])
    assert len(spider.source_errors) == 1


def long_text_item(spider: Any) -> MentionItem:
    return spider.mention(external_id="4990001", text="截断的文字…", url="https://m.weibo.cn/detail/4990001")


@fuzz(st.fixed_dictionaries({"ok": st.sampled_from([1, "1", True, 0, -100]), "data": st.fixed_dictionaries({"longTextContent": any_text})})
      | garbage_bytes, st.sampled_from(["", " //转发: 原帖"]))
def test_a_weibo_long_text_answer_always_yields_the_post_once(answer, repost, *, ctx):
    spider = make_spider(WeiboSpider, WEIBO, ctx)
    body = answer if isinstance(answer, bytes) else json.dumps(answer, ensure_ascii=False)
    item = long_text_item(spider)
    items, requests = drain(spider, spider.parse_long_text(response(body, meta={"item": item, "repost": repost})))
    assert requests == [] and len(items) == 1 and items[0]["external_id"] == "4990001"
    if isinstance(answer, dict) and answer["ok"] in (1, "1", True) and answer["data"]["longTextContent"]:
        assert items[0]["text"] == answer["data"]["longTextContent"] + repost
    else:
        assert items[0]["text"] == "截断的文字…"


@fuzz(st.fixed_dictionaries({"ok": st.just(1), "data": st.dictionaries(st.sampled_from(["longTextContent", "x"]), json_values)}))
def test_a_weibo_long_text_of_the_wrong_type_keeps_the_truncated_post(answer, *, ctx):
    spider = make_spider(WeiboSpider, WEIBO, ctx)
    items, _ = drain(spider, spider.parse_long_text(response(json.dumps(answer), meta={"item": long_text_item(spider), "repost": ""})))
    assert len(items) == 1


# ---------------------------------------------------------------------------- rss and atom

RSS = RssSource(id="rss", kind="rss", urls=[BASE + "/feed"])
# XML 1.0 allows no control characters but tab and newlines. Latin-1 letters are left out:
# feedparser re-decodes text that reads as UTF-8 taken for Latin-1 ("Ã©" becomes "é"), its
# own repair of a common mis-encoding, which no spider can undo. So is "&": the normaliser
# decodes entities twice on purpose (some feeds double-escape), so a typed "&lt" reads "<".
xml_text = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc", "Co"),
                                          exclude_characters=["&", "\ufffe", "\uffff", *(chr(c) for c in range(0x80, 0x100))]),
                   max_size=40)
# Titles are plain text; angle brackets in them are the subject of
# test_plain_text_with_angle_brackets_keeps_its_words_through_the_pipeline.
entry = st.fixed_dictionaries({"guid": st.text(alphabet="abcdef0123456789", min_size=1, max_size=12),
                               "title": xml_text.filter(lambda t: t.strip() and "<" not in t and ">" not in t),
                               "summary": xml_text, "author": xml_text,
                               "date": st.sampled_from(["Sat, 15 Jun 2019 11:44:46 +0800", "2019-06-15T11:44:46Z", "yesterday", ""])})


def rss_feed(entries: list[dict], atom: bool) -> str:
    if atom:
        body = "".join(f"<entry><id>urn:x:{e['guid']}</id><title>{xml_escape(e['title'])}</title><summary>{xml_escape(e['summary'])}</summary>"
                       f"<author><name>{xml_escape(e['author'])}</name></author><updated>{e['date']}</updated>"
                       f"<link href='https://news.example/{e['guid']}'/></entry>" for e in entries)
        return f"<?xml version='1.0' encoding='utf-8'?><feed xmlns='http://www.w3.org/2005/Atom'><title>t</title>{body}</feed>"
    body = "".join(f"<item><guid>urn:x:{e['guid']}</guid><title>{xml_escape(e['title'])}</title><description>{xml_escape(e['summary'])}"
                   f"</description><author>{xml_escape(e['author'])}</author><pubDate>{e['date']}</pubDate>"
                   f"<link>https://news.example/{e['guid']}</link></item>" for e in entries)
    return f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>t</title>{body}</channel></rss>"


@fuzz(st.lists(entry, max_size=6, unique_by=lambda e: e["guid"]), st.booleans())
def test_an_rss_or_atom_feed_yields_one_item_per_entry(entries, atom, *, ctx):
    spider = make_spider(RssSpider, RSS, ctx)
    items, requests = drain(spider, spider.parse(response(rss_feed(entries, atom), url=BASE + "/feed")))
    assert requests == [] and not spider.source_errors
    assert [i["external_id"] for i in items] == [f"urn:x:{e['guid']}" for e in entries]
    for e, item in zip(entries, items):
        assert item["url"] == f"https://news.example/{e['guid']}"
        assert " ".join(e["title"].split()) in " ".join(clean_text(item["text"]).split())


def normalised_text(item: MentionItem, ctx: IngestContext) -> str:
    """The text the ingest pipeline's first stage makes of an item (what is stored and matched)."""
    from crawlers.pipelines import NormalisePipeline

    crawler = get_crawler(settings_dict={SETTINGS_KEY: ctx, "LOG_ENABLED": False})
    return NormalisePipeline.from_crawler(crawler).process_item(item).text


plain_words_with_brackets = st.lists(st.sampled_from(["I", "<3", "it", "价格<100元>", "a<b", "c>d", "<不>", "好评"]), min_size=1,
                                     max_size=6).map(" ".join)


@fuzz(plain_words_with_brackets, st.sampled_from(["bluesky", "rss"]))
def test_plain_text_with_angle_brackets_keeps_its_words_through_the_pipeline(text, kind, *, ctx):
    if kind == "bluesky":
        spider = make_spider(BlueskySpider, BLUESKY, ctx)
        post = {"uri": "at://did:plc:x/app.bsky.feed.post/1", "author": {"did": "did:plc:x", "handle": "x"},
                "record": {"text": text, "createdAt": "2026-06-14T10:00:00Z"}}
        _, requests = drain(spider, spider.parse_search(response(json.dumps({"posts": [post]}), meta={"q": "x", "page": 1})))
        items = requests[0].meta["state"]["items"]  # waiting for the author's follower count
    else:
        spider = make_spider(RssSpider, RSS, ctx)
        items, _ = drain(spider, spider.parse(response(rss_feed([{"guid": "1", "title": text, "summary": "", "author": "",
                                                                  "date": ""}], atom=False), url=BASE + "/feed")))
    assert normalised_text(items[0], ctx).split() == text.split()


def empty_feed(body: bytes | str) -> bool:
    """A well-formed RSS or Atom feed with no entry: a quiet day."""
    import feedparser

    parsed = feedparser.parse(body)
    return bool(parsed.get("version")) and not parsed.get("bozo") and not parsed.entries


feed_page = garbage_bytes | any_text.map(lambda t: f"<rss version='2.0'><channel><item><title>{t}</title></item></channel></rss>")


@fuzz(feed_page.filter(lambda b: not empty_feed(b)))
def test_any_page_on_a_feed_url_yields_items_or_is_reported(body, *, ctx):
    spider = make_spider(RssSpider, RSS, ctx)
    items, requests = drain(spider, spider.parse(response(body, url=BASE + "/feed")))
    assert requests == []
    assert yields_items_or_is_reported(spider, items, requests), body


@fuzz(st.sampled_from(["<rss version='2.0'><channel><title>t</title></channel></rss>",
                       "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><title>t</title></feed>"]))
def test_an_empty_feed_yields_nothing_and_is_not_reported(body, *, ctx):
    assert empty_feed(body)
    spider = make_spider(RssSpider, RSS, ctx)
    assert drain(spider, spider.parse(response(body, url=BASE + "/feed"))) == ([], [])
    assert not spider.source_errors and not dropped(spider)


# ---------------------------------------------------------------------------- html listings

HTML = HtmlSource(id="page", kind="html", urls=[BASE + "/list"], max_pages=3,
                  selectors={"item": "div.post", "text": "p.text", "link": "a.link::attr(href)", "author": ".author::text",
                             "time": "time::attr(datetime)", "reposts": ".reposts::text", "next": "a.next::attr(href)"})
# No "&": entities are decoded twice on purpose (see xml_text), so a typed "&lt" reads "<".
html_text = st.text(alphabet=st.characters(exclude_categories=("Cs", "Cc", "Co"), exclude_characters="&\ufffe\uffff"), max_size=40)
post = st.fixed_dictionaries({"text": html_text, "author": html_text, "reposts": count_value.map(str), "slug": st.text(alphabet="abc123", min_size=1, max_size=8)})


def listing(posts: list[dict], next_page: bool) -> str:
    from html import escape

    rows = "".join(f"<div class='post'><p class='text'>{escape(p['text'])}</p><span class='author'>{escape(p['author'])}</span>"
                   f"<span class='reposts'>{escape(p['reposts'])}</span><time datetime='2026-06-14T10:00:00+08:00'></time>"
                   f"<a class='link' href='/p/{p['slug']}?a=1&amp;b=2'>more</a></div>" for p in posts)
    nxt = "<a class='next' href='/list?page=2'>next</a>" if next_page else ""
    return f"<html><head><meta charset='utf-8'></head><body>{rows}{nxt}</body></html>"


@fuzz(st.lists(post, min_size=1, max_size=6), st.booleans())
def test_an_html_listing_yields_one_item_per_post_element(posts, next_page, *, ctx):
    spider = make_spider(HtmlSpider, HTML, ctx)
    items, requests = drain(spider, spider.parse(response(listing(posts, next_page), url=BASE + "/list", meta={"page": 1}, html=True)))
    assert not spider.source_errors
    assert [i["url"] for i in items] == [f"{BASE}/p/{p['slug']}?a=1&b=2" for p in posts]
    for p, item in zip(posts, items):
        assert clean_text(item["text"] or "").split() == p["text"].split()
    assert len(requests) == (1 if next_page else 0)


@fuzz(garbage_bytes | any_text.map(lambda t: f"<div class='post'>{t}<p class='text'>{t}</p><a class='link' href='{t}'>x</a></div>"))
def test_any_page_on_a_listing_url_yields_items_or_is_reported(body, *, ctx):
    spider = make_spider(HtmlSpider, HTML, ctx)
    items, requests = drain(spider, spider.parse(response(body, url=BASE + "/list", meta={"page": 1}, html=True)))
    assert yields_items_or_is_reported(spider, items, requests), body


# ---------------------------------------------------------------------------- mastodon

MASTODON = MastodonSource(id="md", kind="mastodon", base_url=BASE, hashtags=["手镯之家"], search=["手镯之家"], token="t0ken", max_pages=3)
account = st.fixed_dictionaries({"id": st.text(alphabet="0123456789", min_size=1, max_size=8), "acct": any_text,
                                 "display_name": any_text, "username": any_text, "followers_count": st.integers(0, 10**8)})
status = st.fixed_dictionaries({"id": st.text(alphabet="0123456789", min_size=1, max_size=18), "content": any_text.map(lambda t: f"<p>{t}</p>"),
                                "created_at": st.just("2026-06-14T10:00:00.000Z"), "url": st.just("https://m.example/@a/1"),
                                "account": account, "reblogs_count": st.integers(0, 10**6), "replies_count": st.integers(0, 10**6),
                                "favourites_count": st.integers(0, 10**6), "language": st.sampled_from(["zh", "en", None])},
                               optional={"spoiler_text": any_text})
status_or_boost = st.one_of(status, st.builds(lambda outer, inner: {**outer, "reblog": inner}, status, status))


def mastodon_meta(search: bool, page: int) -> dict:
    base = f"{BASE}/api/v2/search?q=x" if search else f"{BASE}/api/v1/timelines/tag/x"
    return {"what": "search 'x'" if search else "#x", "page": page, "base": base}


@fuzz(st.lists(status_or_boost, max_size=6), st.booleans(), st.integers(1, 3))
def test_a_mastodon_timeline_or_search_page_yields_every_status_once(statuses, search, page, *, ctx):
    spider = make_spider(MastodonSpider, MASTODON, ctx)
    body = json.dumps({"statuses": statuses, "accounts": []} if search else statuses, ensure_ascii=False)
    callback = spider.parse_search if search else spider.parse_timeline
    items, requests = drain(spider, callback(response(body, meta=mastodon_meta(search, page))))
    assert [i["external_id"] for i in items] == [(s.get("reblog") or s)["id"] for s in statuses]
    assert len(requests) == (1 if statuses and page < MASTODON.max_pages else 0)
    assert not spider.source_errors


@fuzz(st.lists(st.dictionaries(st.sampled_from(["id", "reblog", "account", "content", "spoiler_text", "url"]), json_values)
               | json_values, max_size=4), st.booleans())
def test_mastodon_statuses_with_wrongly_typed_fields_never_crash_the_page(statuses, search, *, ctx):
    spider = make_spider(MastodonSpider, MASTODON, ctx)
    body = json.dumps({"statuses": statuses} if search else statuses)
    drain(spider, (spider.parse_search if search else spider.parse_timeline)(response(body, meta=mastodon_meta(search, 1))))


@fuzz(garbage_bytes.filter(not_json), st.booleans())
def test_a_mastodon_answer_that_is_not_json_is_reported_not_parsed(body, search, *, ctx):
    spider = make_spider(MastodonSpider, MASTODON, ctx)
    callback = spider.parse_search if search else spider.parse_timeline
    assert drain(spider, callback(response(body, meta=mastodon_meta(search, 1)))) == ([], [])
    assert len(spider.source_errors) == 1


# ---------------------------------------------------------------------------- bluesky

BLUESKY = BlueskySource(id="bs", kind="bluesky", base_url=BASE, queries=["手镯之家"], max_pages=3)
did = st.text(alphabet="abcdefghij234567", min_size=4, max_size=12).map(lambda s: f"did:plc:{s}")
bsky_post = st.builds(
    lambda d, rkey, text, handle, counts: {
        "uri": f"at://{d}/app.bsky.feed.post/{rkey}", "author": {"did": d, "handle": handle, "displayName": text[:10]},
        "record": {"text": text, "createdAt": "2026-06-14T10:00:00.000Z", "langs": ["zh"]}, "indexedAt": "2026-06-14T10:00:01.000Z",
        "replyCount": counts[0], "repostCount": counts[1], "likeCount": counts[2], "quoteCount": counts[3]},
    did, st.text(alphabet="abcdefghijklmnopqrstuvwxyz234567", min_size=3, max_size=13), any_text,
    st.text(alphabet="abc.xyz", min_size=1, max_size=12), st.tuples(*[st.integers(0, 10**6)] * 4))


@fuzz(st.lists(bsky_post, max_size=30, unique_by=lambda p: p["uri"]), st.one_of(st.none(), st.just("c1")), st.integers(0, 10**7))
def test_a_bluesky_search_page_yields_every_post_once_with_its_authors_followers(posts, cursor, followers, *, ctx):
    spider = make_spider(BlueskySpider, BLUESKY, ctx)
    body = json.dumps({"posts": posts, **({"cursor": cursor} if cursor else {})}, ensure_ascii=False)
    items, requests = drain(spider, spider.parse_search(response(body, meta={"q": "手镯之家", "page": 1})))
    # Authors' follower counts are asked for first (in batches); the posts follow the last answer.
    for r in [r for r in requests if r.callback == spider.parse_profiles]:
        asked = [v for k, v in parse_qsl(r.url.split("?", 1)[1]) if k == "actors"]
        answer = json.dumps({"profiles": [{"did": d, "followersCount": followers} for d in asked]})
        more, after = drain(spider, spider.parse_profiles(response(answer, url=r.url, meta=r.meta)))
        items += more
        requests += after
    assert [i["external_id"] for i in items] == [p["uri"] for p in posts]
    assert all(i["author_followers"] == followers for i in items)
    assert len([r for r in requests if r.callback == spider.parse_search]) == (1 if cursor and posts else 0)
    assert not spider.source_errors


@fuzz(st.lists(st.fixed_dictionaries({"uri": st.just("at://did:plc:x/app.bsky.feed.post/1")},
                                     optional={k: json_values for k in ("author", "record", "repostCount", "quoteCount", "replyCount")}),
               max_size=3))
def test_bluesky_posts_with_wrongly_typed_fields_never_crash_the_page(posts, *, ctx):
    spider = make_spider(BlueskySpider, BLUESKY, ctx)
    drain(spider, spider.parse_search(response(json.dumps({"posts": posts}), meta={"q": "x", "page": 1})))


@fuzz(json_values | st.fixed_dictionaries({"profiles": st.lists(st.dictionaries(st.sampled_from(["did", "followersCount"]), json_values),
                                                                 max_size=3)}))
def test_any_answer_to_a_bluesky_profiles_request_releases_the_waiting_posts(answer, *, ctx):
    spider = make_spider(BlueskySpider, BLUESKY, ctx)
    waiting = [spider.mention(external_id="at://did:plc:x/app.bsky.feed.post/1", author_id="did:plc:x", text="手镯之家")]
    state = {"left": 1, "followers": {}, "items": waiting, "next": None}
    items, _ = drain(spider, spider.parse_profiles(response(json.dumps(answer), meta={"state": state})))
    assert [i["external_id"] for i in items] == ["at://did:plc:x/app.bsky.feed.post/1"]


@fuzz(garbage_bytes.filter(not_json))
def test_a_bluesky_answer_that_is_not_json_is_reported_not_parsed(body, *, ctx):
    spider = make_spider(BlueskySpider, BLUESKY, ctx)
    assert drain(spider, spider.parse_search(response(body, meta={"q": "x", "page": 1}))) == ([], [])
    assert len(spider.source_errors) == 1


# ---------------------------------------------------------------------------- mediacrawler files

row_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
MC_FIELDS = ["note_id", "title", "desc", "nickname", "liked_count", "time"]
mc_row = st.fixed_dictionaries({"note_id": st.text(alphabet="0123456789abcdef", min_size=1, max_size=16), "title": row_text,
                                "desc": row_text, "nickname": row_text, "liked_count": count_value.map(lambda v: "" if v is None else str(v)),
                                "time": st.integers(1_600_000_000_000, 1_800_000_000_000).map(str)})


def mediacrawler(folder: Path, ctx: IngestContext) -> MediaCrawlerSpider:
    source = MediaCrawlerSource(id="mc", kind="mediacrawler", path=str(folder), platforms=["xhs"])
    return make_spider(MediaCrawlerSpider, source, ctx)


def write_rows(path: Path, rows: list[dict], fmt: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    elif fmt == "json":
        path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    else:
        out = io.StringIO()
        w = csv.DictWriter(out, fieldnames=MC_FIELDS)  # csv's own "\r\n" records, as MediaCrawler writes them
        w.writeheader()
        w.writerows(rows)
        path.write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))


def given_text(value: str) -> str | None:
    # MediaCrawler writes blanks and str(None) for a field the platform left out.
    return value if value.strip() not in ("", "None", "none", "null", "NULL") else None


def expected_text(row: dict) -> str | None:
    title, body = given_text(row["title"]), given_text(row["desc"])
    return body if not title or (body and title in body) else (f"{title}\n{body}" if body else title)


@fuzz(st.lists(mc_row, max_size=6), st.sampled_from(["jsonl", "json", "csv"]))
def test_a_mediacrawler_file_yields_one_item_per_row_with_its_text_as_written(rows, fmt, *, ctx):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "xhs" / fmt / f"search_contents_2026-06-14.{fmt}"
        write_rows(path, rows, fmt)
        spider = mediacrawler(Path(d), ctx)
        items, _ = drain(spider, spider.read_file(path, {}))
    if rows and not any(expected_text(r) for r in rows):
        # No row with a text at all is a changed format, reported; the rows wait for a fixed repmon.
        assert items == [] and spider.source_errors
        return
    assert [i["external_id"] for i in items] == [f"xhs:{r['note_id']}" for r in rows]
    assert [i["text"] for i in items] == [expected_text(r) for r in rows]
    assert not spider.source_errors


def read_bytes(body: bytes, fmt: str, offset: int, ctx: IngestContext) -> tuple[MediaCrawlerSpider, list[MentionItem], dict]:
    """Read ``body`` as a MediaCrawler file of which a previous run read up to ``offset``
    bytes (and ``offset % 3`` rows): the spider, its items and where it would start next run."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "xhs" / fmt / f"search_contents_2026-06-14.{fmt}"
        path.parent.mkdir(parents=True)
        path.write_bytes(body)
        spider = mediacrawler(Path(d), ctx)
        seen = {"offset": offset, "rows": offset % 3}
        items, _ = drain(spider, spider.read_file(path, seen))
        return spider, items, spider.new_state.get(str(path), seen)


def waits_for_the_next_run(body: bytes, fmt: str, before: dict, after: dict) -> bool:
    """Whether the reader left the file's new part for its next run: its memory of how far
    it read moved past nothing but blank space (a half-written record, a JSON file caught
    mid-write, a CSV file with no complete record after its header yet)."""
    if after == before:
        return True
    if fmt == "json":
        return after.get("rows", 0) == before["rows"]
    start = before["offset"] if before["offset"] <= len(body) else 0  # a shorter file was replaced
    if fmt == "csv":
        header_end, _ = first_record(io.BytesIO(body))  # the header is read every time, never a record
        start = max(start, header_end or 0)
    return not body[start:after.get("offset", start)].strip()


json_lines_bytes = st.lists(json_values, max_size=5).map(lambda v: "\n".join(json.dumps(x, ensure_ascii=False) for x in v).encode())


@fuzz(garbage_bytes | json_lines_bytes, st.sampled_from(["jsonl", "json"]), st.integers(0, 40))
def test_any_bytes_in_a_mediacrawler_json_file_yield_items_or_are_reported(body, fmt, offset, *, ctx):
    spider, items, after = read_bytes(body, fmt, offset, ctx)
    read = not waits_for_the_next_run(body, fmt, {"offset": offset, "rows": offset % 3}, after)
    assert not read or yields_items_or_is_reported(spider, items, []), (body, after)


# Records that are almost CSV: quotes, separators, CR, LF and NUL where they should not be.
csv_cell = st.text(alphabet=st.sampled_from(["a", "中", '"', ",", "\r", "\n", "\x00", " "]), max_size=6)
csv_bytes = st.lists(st.lists(csv_cell, min_size=1, max_size=4), min_size=1, max_size=4).map(
    lambda rows: "\n".join(",".join(r) for r in [MC_FIELDS[:4], *rows]).encode())


@fuzz(garbage_bytes | csv_bytes, st.integers(0, 40))
def test_any_bytes_in_a_mediacrawler_csv_file_yield_items_or_are_reported(body, offset, *, ctx):
    spider, items, after = read_bytes(body, "csv", offset, ctx)
    read = not waits_for_the_next_run(body, "csv", {"offset": offset, "rows": offset % 3}, after)
    assert not read or yields_items_or_is_reported(spider, items, []), (body, after)


# ---------------------------------------------------------------------------- jsonl

JSONL = JsonlSource(id="jl", kind="jsonl", url=BASE + "/feed.jsonl")
line = st.fixed_dictionaries({"id": post_id, "text": st.text(min_size=1, max_size=40).filter(str.strip)},
                             optional={"published_at": st.sampled_from(["2026-06-14T10:00:00Z", "5分钟前", 1718330000]),
                                       "author": st.fixed_dictionaries({"name": any_text, "followers": count_value}),
                                       "reposts": count_value, "url": st.just("https://x.example/1")})
# Text as written by a JSON-lines producer that keeps non-ASCII as is (json.dumps(ensure_ascii=False),
# as MediaCrawler and most exporters do): the line separator characters U+2028, U+0085 ... stay raw.
lines_without_separators = st.lists(line.filter(lambda r: not any(c in json.dumps(r, ensure_ascii=False) for c in "\x85\u2028\u2029")),
                                    max_size=6)


@fuzz(lines_without_separators)
def test_a_jsonl_feed_yields_one_item_per_line_with_its_text(rows, *, ctx):
    spider = make_spider(JsonlSpider, JSONL, ctx)
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    items, requests = drain(spider, spider.parse(response(body, url=JSONL.url)))
    assert requests == [] and not spider.source_errors
    assert [(i["external_id"], i["text"]) for i in items] == [(r["id"], r["text"]) for r in rows]


@fuzz(st.lists(line, min_size=1, max_size=4), st.sampled_from(["\u2028", "\u2029", "\x85"]))
def test_a_jsonl_line_whose_text_holds_a_unicode_line_separator_is_read_whole(rows, sep, *, ctx):
    spider = make_spider(JsonlSpider, JSONL, ctx)
    rows = [dict(r, text=r["text"] + sep + "尾") for r in rows]
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    items, _ = drain(spider, spider.parse(response(body, url=JSONL.url)))
    assert [i["text"] for i in items] == [r["text"] for r in rows]


def blank(body: bytes) -> bool:
    """A file with nothing in it but white space: a quiet day for a JSON-lines feed."""
    return not body.decode("utf-8-sig", "replace").strip()


jsonl_body = garbage_bytes | st.lists(json_values, max_size=5).map(lambda v: "\n".join(json.dumps(x) for x in v).encode())


@fuzz(jsonl_body.filter(lambda b: not blank(b)))
def test_any_bytes_on_a_jsonl_url_yield_items_or_are_reported(body, *, ctx):
    spider = make_spider(JsonlSpider, JSONL, ctx)
    items, requests = drain(spider, spider.parse(response(body, url=JSONL.url)))
    assert requests == []
    assert yields_items_or_is_reported(spider, items, requests), body


@fuzz(st.sampled_from([b"", b"\n", b" \r\n\t\n", "\ufeff\n".encode()]))
def test_an_empty_jsonl_feed_yields_nothing_and_is_not_reported(body, *, ctx):
    spider = make_spider(JsonlSpider, JSONL, ctx)
    assert drain(spider, spider.parse(response(body, url=JSONL.url))) == ([], [])
    assert not spider.source_errors and not dropped(spider)
