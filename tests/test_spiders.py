"""Every spider runs for real — Scrapy's crawler, real HTTP to a local server serving
recorded responses, the ingest pipelines, a temporary database — including broken answers."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import select

from crawlers.runner import crawl
from monitor.db import session_scope
from monitor.migrate import open_database
from monitor.models import Mention, SourceRun
from tests.support.fake_sources import fixture, source_server

NOW = datetime(2026, 3, 10, 5, 0, tzinfo=timezone.utc)  # 13:00 in Shanghai
FAST = "crawl: {download_delay: 0s, retry_times: 0, autothrottle: false}\n"
WEIBO_Q = "/api/container/getIndex?containerid=100103type=61&q=手镯之家&page_type=searchall&page="


def run_source(config_factory, db_url: str, source_yaml: str, now: datetime = NOW):
    cfg = config_factory(db_url, FAST + "sources:\n" + source_yaml)
    engine, factory = open_database(cfg)
    results = crawl(cfg, cfg.sources, now=now)
    with session_scope(factory) as s:
        rows = {m.external_id: m for m in s.scalars(select(Mention))}
        runs = s.scalars(select(SourceRun).order_by(SourceRun.id)).all()
    engine.dispose()
    return results, rows, runs, cfg


# ----------------------------------------------------------------------------- weibo


def weibo_yaml(url: str, extra: str = "") -> str:
    return f"  - {{id: wb, kind: weibo, keywords: [手镯之家], base_url: '{url}', max_pages: 3, cookies: {{SUB: abc}}{extra}}}\n"


def test_weibo_search_pages_cards_groups_long_text_counts_and_every_time_form(config_factory, tmp_path, db_url):
    with source_server() as srv:
        srv.route(WEIBO_Q + "1", "weibo_search_p1.json")
        srv.route(WEIBO_Q + "2", "weibo_search_p2.json")
        srv.route(WEIBO_Q + "3", (200, "application/json", json.dumps({"ok": 0, "data": {}})))
        srv.route("/statuses/extend", "weibo_extend.json")
        [r], rows, runs, _ = run_source(config_factory, db_url, weibo_yaml(srv.url))
        assert r.ok, r.error
        assert r.new == 6
        first = rows["4900000000000001"]
        assert first.text.startswith("在手镯之家买的手镯戴了三天就断裂了") and "<" not in first.text
        assert first.reposts == 1_000_000 and first.comments == 12 and first.author_followers == 3200
        assert first.published_at == NOW and first.url == "https://m.weibo.cn/detail/4900000000000001"
        long = rows["4900000000000003"]
        assert "戴了半年一点没氧化" in long.text and long.reposts == 12_000
        assert long.author_followers == 865_000 and long.author_verified and long.kol
        assert (long.author_verified_type, first.author_verified_type) == (0, -1)
        assert rows["4900000000000002"].published_at == datetime(2026, 3, 10, 4, 55, tzinfo=timezone.utc)
        assert rows["4900000000000003"].published_at == datetime(2026, 3, 10, 4, 30, tzinfo=timezone.utc)
        assert rows["4900000000000004"].published_at == datetime(2019, 6, 15, 3, 44, 46, tzinfo=timezone.utc)
        assert rows["4900000000000005"].published_at == datetime(2026, 3, 9, 0, 0, tzinfo=timezone.utc)
        assert rows["4900000000000006"].published_at == datetime(2025, 6, 13, 16, 0, tzinfo=timezone.utc)
        assert all("SUB=abc" in q["headers"].get("Cookie", "") for q in srv.requests)


def test_weibo_paging_stops_at_posts_already_seen(config_factory, tmp_path, db_url):
    with source_server() as srv:
        srv.route(WEIBO_Q + "1", "weibo_search_p1.json")
        srv.route(WEIBO_Q + "2", "weibo_search_p2.json")
        srv.route(WEIBO_Q + "3", (200, "application/json", json.dumps({"ok": 0, "data": {}})))
        srv.route("/statuses/extend", "weibo_extend.json")
        run_source(config_factory, db_url, weibo_yaml(srv.url))
        before = len([q for q in srv.requests if "getIndex" in q["path"]])
        run_source(config_factory, db_url, weibo_yaml(srv.url))
        after = len([q for q in srv.requests if "getIndex" in q["path"]]) - before
        assert (before, after) == (3, 1)  # the second run re-reads page 1 for growth, then stops


def test_after_a_failed_run_the_next_one_pages_to_full_depth(config_factory, tmp_path, db_url):
    with source_server() as srv:
        srv.route(WEIBO_Q + "1", "weibo_search_p1.json")
        srv.route(WEIBO_Q + "2", (500, "text/plain", b"down"), "weibo_search_p2.json")
        srv.route(WEIBO_Q + "3", (200, "application/json", json.dumps({"ok": 0, "data": {}})))
        srv.route("/statuses/extend", "weibo_extend.json")
        [first], rows, _, _ = run_source(config_factory, db_url, weibo_yaml(srv.url))
        assert not first.ok and len(rows) == 4
        [second], rows, _, _ = run_source(config_factory, db_url, weibo_yaml(srv.url))
        assert second.ok and len(rows) == 6  # page 1 was all known, yet page 2 was read this time


@pytest.mark.parametrize(
    "answer,cause",
    [
        ("weibo_login.html", "login or captcha page instead of JSON (cookie missing or expired?)"),
        ("weibo_ok0.json", "login required (cookie missing or expired): 请先登录"),
        ("weibo_login_required.json", "login required (cookie missing or expired)"),
        ((200, "application/json", json.dumps({"ok": 0, "msg": "请求过于频繁"})), "Weibo answered ok: 0 (请求过于频繁)"),
        ("weibo_truncated.json", "not valid JSON (truncated or changed format)"),
        ("weibo_changed.json", "no 'cards' in the answer (format changed?)"),
        ((200, "application/json", b""), "empty answer"),
        ((429, "application/json", b"{}"), "HTTP 429"),
        ((500, "text/plain", b"oops"), "HTTP 500"),
    ],
)
def test_weibo_faults_are_source_errors_naming_the_cause_not_zero_posts(config_factory, tmp_path, answer, cause, db_url):
    with source_server() as srv:
        srv.route(WEIBO_Q + "1", answer)
        [r], rows, runs, _ = run_source(config_factory, db_url, weibo_yaml(srv.url))
        assert not r.ok and cause in r.error
        assert runs[-1].ok is False and cause in runs[-1].error_message
        assert rows == {}


def test_weibo_searches_the_newest_first_tab_unless_search_type_says_otherwise(config_factory, tmp_path, db_url):
    with source_server() as srv:
        srv.route(WEIBO_Q + "1", "weibo_no_results.json")
        srv.route(WEIBO_Q.replace("type=61", "type=1") + "1", "weibo_no_results.json")
        run_source(config_factory, db_url, weibo_yaml(srv.url))
        run_source(config_factory, db_url, weibo_yaml(srv.url, ", search_type: 1"))
        containers = [q["path"].split("containerid=")[1].split("&")[0] for q in srv.requests]
        assert containers == ["100103type=61", "100103type=1"]


def test_a_keyword_without_posts_is_a_successful_empty_run_not_a_failure(config_factory, tmp_path, db_url):
    with source_server() as srv:
        srv.route(WEIBO_Q + "1", "weibo_no_results.json")
        [r], rows, runs, _ = run_source(config_factory, db_url, weibo_yaml(srv.url))
        assert r.ok and r.error is None and (r.items, r.errors) == (0, 0)
        assert runs[-1].ok is True and rows == {}
        assert not any("page=2" in q["path"] for q in srv.requests)


def test_a_repost_matches_by_the_original_text_and_keeps_the_reposter_as_author(config_factory, tmp_path, db_url):
    with source_server() as srv:
        srv.route(WEIBO_Q + "1", "weibo_reposts.json")
        srv.route(WEIBO_Q + "2", (200, "application/json", json.dumps({"ok": 0, "data": {}})))
        srv.route("/statuses/extend", (200, "application/json", json.dumps(
            {"ok": 1, "data": {"ok": 1, "longTextContent": "同款，太气人了，我的也断了"}}, ensure_ascii=False)))
        [r], rows, _, _ = run_source(config_factory, db_url, weibo_yaml(srv.url))
        assert r.ok, r.error
        plain = rows["4900000000000101"]
        assert plain.text == "转发微博 //转发: 手镯之家的镯子戴了一周就断裂了，客服至今不回复"
        assert (plain.author_name, plain.author_followers, plain.brand) == ("转发的人", 48, "shouzhuo")
        long = rows["4900000000000102"]  # its own long text expanded, the original still appended
        assert long.text == "同款，太气人了，我的也断了 //转发: 手镯之家的镯子戴了一周就断裂了"
        assert long.author_name == "也转了" and "4900000000000100" not in rows


@pytest.mark.parametrize("answer", ["weibo_extend_refused.json", (500, "text/plain", b"down"), (200, "text/html", b"<html>")])
def test_a_failed_long_text_keeps_the_truncated_text_and_is_counted(config_factory, tmp_path, answer, db_url):
    with source_server() as srv:
        srv.route(WEIBO_Q + "1", "weibo_search_p1.json")
        srv.route(WEIBO_Q + "2", (200, "application/json", json.dumps({"ok": 0, "data": {}})))
        srv.route("/statuses/extend", answer)
        [r], rows, runs, _ = run_source(config_factory, db_url, weibo_yaml(srv.url))
        assert r.ok, r.error
        assert rows["4900000000000003"].text == "手镯之家的银镯子很好看 ...全文"
        assert runs[-1].stats["repmon/longtext_failed"] == 1


def route_long_original(srv, **answers):
    """The repost page whose originals are cut at "...全文" (no longText block, as in search
    results), and /statuses/extend per id: ``answers`` override an id's answer."""
    srv.route(WEIBO_Q + "1", "weibo_repost_long_original.json")
    srv.route(WEIBO_Q + "2", (200, "application/json", json.dumps({"ok": 0, "data": {}})))
    for pid, name in (("200", "weibo_extend_original_200.json"), ("202", "weibo_extend_original_202.json"),
                      ("203", "weibo_extend_own_203.json"), ("204", "weibo_extend_original_204.json")):
        srv.route(f"/statuses/extend?id=4900000000000{pid}", answers.get(f"id{pid}", name))


def test_weibo_a_truncated_original_of_a_repost_is_expanded_and_matches_the_brand_past_the_cut(config_factory, tmp_path, db_url):
    with source_server() as srv:
        route_long_original(srv)
        [r], rows, runs, _ = run_source(config_factory, db_url, weibo_yaml(srv.url))
        assert r.ok, r.error
        # The brand is only in the original's expanded text.
        plain = rows["4900000000000201"]
        assert plain.text == "转发微博 //转发: 今天去商场逛了一圈，看到一家银饰店，叫手镯之家，买的镯子戴了一周就发黑了"
        assert (plain.brand, plain.author_name) == ("shouzhuo", "路过转一下")
        # Both the reposter's text and the original truncated: both expanded, the original by its own id.
        both = rows["4900000000000203"]
        assert both.text == "这家也太离谱了，我也遇到过一模一样的问题 //转发: 朋友送的生日礼物，手镯之家买的，才戴三天卡扣就坏了"
        assert both.author_name == "两头都长" and "全文" not in both.text
        assert rows["4900000000000205"].text == "转发微博 //转发: 手镯之家的新款上了，限时八折，感兴趣的去看看"
        assert sorted(rows) == ["4900000000000201", "4900000000000203", "4900000000000205"]  # originals are not stored
        extended = sorted(q["path"].split("id=")[1] for q in srv.requests if q["path"].startswith("/statuses/extend"))
        assert extended == ["4900000000000200", "4900000000000202", "4900000000000203", "4900000000000204"]
        assert not runs[-1].stats.get("repmon/longtext_failed")


@pytest.mark.parametrize("answer", ["weibo_extend_refused.json", (500, "text/plain", b"down"), (200, "text/html", b"<html>")])
def test_weibo_a_failed_expansion_of_a_reposted_original_keeps_its_truncated_text_and_is_counted(
        config_factory, tmp_path, answer, db_url):
    with source_server() as srv:
        route_long_original(srv, id200=answer, id202=answer, id203=answer, id204=answer)
        [r], rows, runs, _ = run_source(config_factory, db_url, weibo_yaml(srv.url))
        assert r.ok, r.error
        # The brand past the cut is lost with the expansion: only the post naming it before the cut is kept.
        assert sorted(rows) == ["4900000000000205"]
        kept = rows["4900000000000205"].text
        assert kept.startswith("转发微博 //转发: 手镯之家的新款上了 ...") and kept.endswith("全文")
        assert runs[-1].stats["repmon/longtext_failed"] == 4  # 200, 202 and 204, and 203's own text
        assert runs[-1].stats["repmon/dropped/no_brand"] == 2


def test_weibo_one_failed_part_of_a_repost_does_not_cost_the_other_its_expansion(config_factory, tmp_path, db_url):
    with source_server() as srv:
        route_long_original(srv, id203=(500, "text/plain", b"down"))
        [r], rows, runs, _ = run_source(config_factory, db_url, weibo_yaml(srv.url))
        assert r.ok, r.error
        assert rows["4900000000000203"].text == "这家也太离谱了 ...全文 //转发: 朋友送的生日礼物，手镯之家买的，才戴三天卡扣就坏了"
        assert runs[-1].stats["repmon/longtext_failed"] == 1


def test_weibo_a_truncated_original_is_left_as_it_is_when_long_text_expansion_is_off(config_factory, tmp_path, db_url):
    with source_server() as srv:
        route_long_original(srv)
        [r], rows, runs, _ = run_source(config_factory, db_url, weibo_yaml(srv.url, ", expand_long_text: false"))
        assert r.ok, r.error
        assert sorted(rows) == ["4900000000000205"]
        assert not any(q["path"].startswith("/statuses/extend") for q in srv.requests)
        assert not runs[-1].stats.get("repmon/longtext_failed")


def test_weibo_cookies_come_from_the_environment_as_a_whole_cookie_string_or_one_by_one(
        config_factory, tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("T_WEIBO_COOKIE", "SUB=_2A25sub; SUBP=0033WrSX; _T_WM=77")
    monkeypatch.setenv("T_WEIBO_SUB", "from-map")
    monkeypatch.setenv("T_HEADER_COOKIE", "XSRF-TOKEN=abc")
    with source_server() as srv:
        srv.route(WEIBO_Q + "1", "weibo_no_results.json")
        yaml = (f"  - {{id: wb, kind: weibo, keywords: [手镯之家], base_url: '{srv.url}', cookie: '${{T_WEIBO_COOKIE}}'}}\n"
                f"  - {{id: wb2, kind: weibo, keywords: [手镯之家], base_url: '{srv.url}', cookie: '${{T_WEIBO_COOKIE}}', "
                "cookies: {SUB: '${T_WEIBO_SUB}'}, headers: {Cookie: '${T_HEADER_COOKIE}'}}\n")
        results, _, _, _ = run_source(config_factory, db_url, yaml)
        assert all(r.ok for r in results)
        sent = sorted(sorted(c.strip() for c in q["headers"]["Cookie"].split(";")) for q in srv.requests)
        assert sent == [["SUB=_2A25sub", "SUBP=0033WrSX", "_T_WM=77"],
                        ["SUB=from-map", "SUBP=0033WrSX", "XSRF-TOKEN=abc", "_T_WM=77"]]


def test_a_cookie_string_is_split_into_cookies_and_one_without_any_pair_is_a_config_error(config_factory, monkeypatch):
    from monitor.config import ConfigError
    from monitor.sources_config import parse_cookie_string

    assert parse_cookie_string(' SUB=_2A; SUBP="00=33"; ; junk; _T_WM=77 ') == {"SUB": "_2A", "SUBP": "00=33", "_T_WM": "77"}
    monkeypatch.setenv("T_BAD_COOKIE", "not-a-cookie-at-all")
    with pytest.raises(ConfigError) as err:
        config_factory("sqlite://", "sources:\n  - {id: wb, kind: weibo, keywords: [x], cookie: '${T_BAD_COOKIE}'}\n")
    assert "no name=value pair" in str(err.value) and "not-a-cookie-at-all" not in str(err.value)


# ----------------------------------------------------------------------------- rss


def test_rss_and_atom_feeds(config_factory, tmp_path, db_url):
    with source_server() as srv:
        srv.route("/feed.xml", "feed.xml")
        srv.route("/feed.atom", "feed.atom")
        [r], rows, _, _ = run_source(config_factory, db_url,
                                     f"  - {{id: news, kind: rss, urls: ['{srv.url}/feed.xml', '{srv.url}/feed.atom']}}\n")
        assert r.ok, r.error
        assert sorted(rows) == ["https://news.example/a/1", "https://news.example/a/2", "tag:rsshub,2026:1"]
        a1 = rows["https://news.example/a/1"]
        assert a1.text == "手镯之家被曝手镯断裂 消费者维权难\n多名消费者反映在手镯之家购买的手镯出现断裂。"
        assert a1.author_name == "记者 张三" and a1.published_at == datetime(2026, 3, 10, 0, 0, tzinfo=timezone.utc)
        assert rows["tag:rsshub,2026:1"].url == "https://rsshub.example/p/1"


def test_an_rss_url_that_serves_garbage_is_reported(config_factory, tmp_path, db_url):
    with source_server() as srv:
        srv.route("/feed.xml", (200, "text/html", b"<html><body>Service moved</body></html>"))
        [r], _, _, _ = run_source(config_factory, db_url, f"  - {{id: news, kind: rss, urls: ['{srv.url}/feed.xml']}}\n")
        assert not r.ok and "not an RSS or Atom feed" in r.error


@pytest.mark.parametrize(
    "answer,cause",
    [
        ("feed_truncated.xml", "feed is cut short or damaged (no element found at line 5); read the 1 complete entries"),
        ((200, "application/rss+xml", b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'),
         "feed is not well-formed XML (no element found at line 1): truncated or damaged"),
        ("feed_changed.xml", "entries have no title, summary or content (format changed?)"),
        ("login.html", "got a login page instead of a feed (cookie missing or expired?)"),
        ((200, "application/rss+xml", b""), "empty answer"),
        ((429, "text/plain", b"slow down"), "HTTP 429 from"),
        ((500, "text/plain", b"oops"), "HTTP 500 from"),
    ],
)
def test_rss_faults_are_source_errors_naming_the_cause(config_factory, tmp_path, answer, cause, db_url):
    with source_server() as srv:
        srv.route("/robots.txt", (404, "text/plain", b""))
        srv.route("/feed.xml", answer)
        [r], rows, runs, _ = run_source(config_factory, db_url, f"  - {{id: news, kind: rss, urls: ['{srv.url}/feed.xml']}}\n")
        assert not r.ok and cause in r.error, r.error
        assert runs[-1].ok is False and cause in runs[-1].error_message
        # A cut-short feed still yields the entries before the fault; nothing else is stored.
        assert sorted(rows) == (["https://news.example/a/1"] if answer == "feed_truncated.xml" else [])


def test_an_empty_but_valid_feed_is_a_quiet_day_not_an_error(config_factory, tmp_path, db_url):
    with source_server() as srv:
        srv.route("/robots.txt", (404, "text/plain", b""))
        srv.route("/feed.xml", (200, "application/rss+xml", b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'))
        [r], rows, _, _ = run_source(config_factory, db_url, f"  - {{id: news, kind: rss, urls: ['{srv.url}/feed.xml']}}\n")
        assert r.ok and rows == {}


# ----------------------------------------------------------------------------- html


HTML_SELECTORS = ("selectors: {item: 'div.post', text: 'p.text', link: 'a.link::attr(href)', author: 'span.author::text', "
                  "time: 'time::attr(datetime)', id: 'xpath:@data-id', reposts: 'xpath:.//span[@class=\"rt\"]/text()', "
                  "next: 'a.next::attr(href)'}")


def test_html_pages_with_css_and_xpath_selectors_and_a_page_limit(config_factory, tmp_path, db_url):
    with source_server() as srv:
        srv.route("/robots.txt", (404, "text/plain", b""))
        srv.route("/forum", "forum_p1.html")
        srv.route("/forum?page=2", "forum_p2.html")
        [r], rows, _, _ = run_source(config_factory, db_url,
                                     f"  - {{id: forum, kind: html, urls: ['{srv.url}/forum'], max_pages: 2, {HTML_SELECTORS}}}\n")
        assert r.ok, r.error
        assert sorted(rows) == ["p1", "p2", "p3"]
        assert rows["p1"].text == "手镯之家的手镯 断裂 了" and rows["p1"].reposts == 12_000
        assert rows["p1"].url == f"{srv.url}/t/1" and rows["p1"].author_name == "阿花"
        assert not any("page=3" in q["path"] for q in srv.requests)


def test_an_html_page_whose_layout_changed_is_reported(config_factory, tmp_path, db_url):
    with source_server() as srv:
        srv.route("/robots.txt", (404, "text/plain", b""))
        srv.route("/forum", "forum_changed.html")
        [r], _, _, _ = run_source(config_factory, db_url, f"  - {{id: forum, kind: html, urls: ['{srv.url}/forum'], {HTML_SELECTORS}}}\n")
        assert not r.ok and "no element matches the item selector" in r.error


@pytest.mark.parametrize(
    "answer,cause",
    [
        ("login.html", "got a login page instead of the listing (cookie missing or expired?)"),
        ("forum_changed.html", "no element matches the item selector 'div.post' (page layout changed?)"),
        ((200, "text/html", b""), "empty answer"),
        ((429, "text/html", b"slow down"), "HTTP 429 from"),
        ((500, "text/html", b"oops"), "HTTP 500 from"),
    ],
)
def test_html_faults_are_source_errors_naming_the_cause(config_factory, tmp_path, answer, cause, db_url):
    with source_server() as srv:
        srv.route("/robots.txt", (404, "text/plain", b""))
        srv.route("/forum", answer)
        [r], rows, runs, _ = run_source(config_factory, db_url, f"  - {{id: forum, kind: html, urls: ['{srv.url}/forum'], {HTML_SELECTORS}}}\n")
        assert not r.ok and cause in r.error, r.error
        assert runs[-1].ok is False and rows == {}


def test_html_sources_obey_robots_txt(config_factory, tmp_path, db_url):
    with source_server() as srv:
        srv.route("/robots.txt", (200, "text/plain", b"User-agent: *\nDisallow: /forum\n"))
        srv.route("/forum", "forum_p1.html")
        [r], rows, _, _ = run_source(config_factory, db_url, f"  - {{id: forum, kind: html, urls: ['{srv.url}/forum'], {HTML_SELECTORS}}}\n")
        assert rows == {} and not any(q["path"] == "/forum" for q in srv.requests)


# ----------------------------------------------------------------------------- mastodon


def test_mastodon_hashtag_timeline_and_search_with_a_token(config_factory, tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("T_MASTODON_TOKEN", "tok-123")
    with source_server() as srv:
        srv.route("/api/v1/timelines/tag/手镯之家", "mastodon_tag.json", "mastodon_tag_p2.json", (200, "application/json", b"[]"))
        srv.route("/api/v2/search", "mastodon_search.json")
        yaml = (f"  - {{id: masto, kind: mastodon, base_url: '{srv.url}', hashtags: ['#手镯之家'], search: [手镯之家], "
                "token: '${T_MASTODON_TOKEN}', max_pages: 2}\n")
        [r], rows, _, _ = run_source(config_factory, db_url, yaml)
        assert r.ok, r.error
        m1 = rows["109000000000000001"]
        assert m1.reposts == 60 and m1.author_followers == 5000 and m1.text == "手镯之家的手镯断裂了 #手镯之家" and m1.language == "zh"
        assert rows["109000000000000002"].text == "I love shouzhuo home & their <bangles>"
        assert "109000000000000003" in rows and "109000000000000004" in rows
        search = [q for q in srv.requests if "search" in q["path"]][0]
        assert search["headers"]["Authorization"] == "Bearer tok-123"
        assert any("max_id=109000000000000002" in q["path"] for q in srv.requests)


@pytest.mark.parametrize(
    "answer,cause",
    [
        ("mastodon_truncated.json", "#手镯之家: answer is not valid JSON (truncated or changed format)"),
        ("mastodon_changed.json", "#手镯之家: statuses have no 'id' (format changed?)"),
        ((200, "application/json", json.dumps({"statuses": []})), "#手镯之家: expected a list of statuses (format changed?)"),
        ("login.html", "#手镯之家: got a login or captcha page instead of JSON (cookie missing or expired?)"),
        ((200, "application/json", b""), "#手镯之家: empty answer"),
        ((429, "application/json", b"{}"), "HTTP 429 from"),
        ((500, "application/json", b"{}"), "HTTP 500 from"),
    ],
)
def test_mastodon_faults_are_source_errors_naming_the_cause(config_factory, tmp_path, answer, cause, db_url):
    with source_server() as srv:
        srv.route("/api/v1/timelines/tag/手镯之家", answer)
        yaml = f"  - {{id: masto, kind: mastodon, base_url: '{srv.url}', hashtags: ['#手镯之家']}}\n"
        [r], rows, runs, _ = run_source(config_factory, db_url, yaml)
        assert not r.ok and cause in r.error, r.error
        assert runs[-1].ok is False and rows == {}


def test_mastodon_search_whose_statuses_key_changed_is_reported(config_factory, tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("T_MASTODON_TOKEN", "tok-123")
    with source_server() as srv:
        srv.route("/api/v2/search", (200, "application/json", json.dumps({"results": []})))
        yaml = f"  - {{id: masto, kind: mastodon, base_url: '{srv.url}', search: [手镯之家], token: '${{T_MASTODON_TOKEN}}'}}\n"
        [r], _, _, _ = run_source(config_factory, db_url, yaml)
        assert not r.ok and "search '手镯之家': no 'statuses' in the answer (format changed?)" in r.error


# ----------------------------------------------------------------------------- bluesky


def test_bluesky_search_with_follower_counts_from_profiles_in_batches(config_factory, tmp_path, db_url):
    with source_server() as srv:
        srv.route("/xrpc/app.bsky.feed.searchPosts", "bsky_search.json", "bsky_search_p2.json")
        srv.route("/xrpc/app.bsky.actor.getProfiles", "bsky_profiles.json")
        yaml = f"  - {{id: sky, kind: bluesky, base_url: '{srv.url}', queries: [shouzhuo home], max_pages: 2}}\n"
        [r], rows, _, cfg = run_source(config_factory, db_url, yaml)
        assert r.ok, r.error
        p1 = rows["at://did:plc:aaa/app.bsky.feed.post/3lp1"]
        assert p1.author_followers == 120_000 and p1.kol and p1.reposts == 56 and p1.comments == 2
        assert p1.url == "https://bsky.app/profile/a.bsky.social/post/3lp1"
        assert rows["at://did:plc:bbb/app.bsky.feed.post/3lp2"].author_followers == 12
        profile_calls = [q for q in srv.requests if "getProfiles" in q["path"]]
        assert len(profile_calls) == 1  # the second page's author was already known
        assert "cursor=c2" in [q for q in srv.requests if "searchPosts" in q["path"]][1]["path"]


@pytest.mark.parametrize(
    "answer,cause",
    [
        ("bsky_truncated.json", "search 'shouzhuo home': answer is not valid JSON (truncated or changed format)"),
        ("bsky_changed.json", "search 'shouzhuo home': no 'posts' in the answer (format changed?)"),
        ("bsky_changed_uri.json", "search 'shouzhuo home': posts have no 'uri' (format changed?)"),
        ("login.html", "got a login or captcha page instead of JSON (cookie missing or expired?)"),
        ((200, "application/json", b""), "search 'shouzhuo home': empty answer"),
        ((429, "application/json", b"{}"), "HTTP 429 from"),
        ((500, "application/json", b"{}"), "HTTP 500 from"),
    ],
)
def test_bluesky_faults_are_source_errors_naming_the_cause(config_factory, tmp_path, answer, cause, db_url):
    with source_server() as srv:
        srv.route("/xrpc/app.bsky.feed.searchPosts", answer)
        srv.route("/xrpc/app.bsky.actor.getProfiles", "bsky_profiles.json")
        yaml = f"  - {{id: sky, kind: bluesky, base_url: '{srv.url}', queries: [shouzhuo home]}}\n"
        [r], rows, runs, _ = run_source(config_factory, db_url, yaml)
        assert not r.ok and cause in r.error, r.error
        assert runs[-1].ok is False and rows == {}


def test_bluesky_posts_are_kept_without_follower_counts_when_profiles_fail(config_factory, tmp_path, db_url):
    with source_server() as srv:
        srv.route("/xrpc/app.bsky.feed.searchPosts", "bsky_search.json")
        srv.route("/xrpc/app.bsky.actor.getProfiles", (500, "application/json", b"{}"))
        yaml = f"  - {{id: sky, kind: bluesky, base_url: '{srv.url}', queries: [shouzhuo home], max_pages: 1}}\n"
        [r], rows, _, _ = run_source(config_factory, db_url, yaml)
        assert not r.ok and "HTTP 500 from" in r.error
        assert len(rows) == 2 and all(m.author_followers is None for m in rows.values())


# ----------------------------------------------------------------------------- mediacrawler


def write_mediacrawler(root: Path) -> None:
    (root / "xhs" / "jsonl").mkdir(parents=True)
    (root / "douyin" / "json").mkdir(parents=True)
    (root / "weibo" / "csv").mkdir(parents=True)
    (root / "zhihu" / "jsonl").mkdir(parents=True)
    xhs = [
        {"note_id": "n1", "title": "手镯之家避雷", "desc": "买的手镯断裂了", "time": 1773100800000, "user_id": "u1", "nickname": "小红",
         "liked_count": "1万", "collected_count": "10+", "comment_count": "73", "share_count": "596", "note_url": "https://www.xiaohongshu.com/explore/n1"},
        {"note_id": "n1", "title": "手镯之家避雷", "desc": "买的手镯断裂了", "time": 1773100800000, "creator_hash": "h1", "nickname": "小***",
         "liked_count": "1.2万", "comment_count": "80", "share_count": "600"},
    ]
    (root / "xhs" / "jsonl" / "search_contents_2026-03-10.jsonl").write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in xhs) + "\n")
    (root / "douyin" / "json" / "search_contents_2026-03-10.json").write_text(json.dumps([
        {"aweme_id": "a1", "title": "手镯之家开箱", "desc": "手镯之家开箱", "create_time": "1773100800", "user_id": "d1", "nickname": "抖音用户",
         "liked_count": "2.3万", "comment_count": "5", "share_count": "1", "aweme_url": "https://www.douyin.com/video/a1"}], ensure_ascii=False))
    (root / "weibo" / "csv" / "search_contents_2026-03-10.csv").write_text(
        "note_id,content,create_date_time,liked_count,comments_count,shared_count,note_url,nickname\n"
        "w1,手镯之家的客服不理人,2026-03-10 09:00:00,5,2,100万+,https://m.weibo.cn/detail/w1,微博用户\n", encoding="utf-8-sig")
    (root / "zhihu" / "jsonl" / "search_contents_2026-03-10.jsonl").write_text(json.dumps(
        {"content_id": "z1", "title": "如何评价手镯之家？", "content_text": "质量一般", "created_time": 1773100800, "voteup_count": 12,
         "comment_count": 3, "user_nickname": "知乎用户", "content_url": "https://zhuanlan.zhihu.com/p/z1"}, ensure_ascii=False) + "\n")


def test_mediacrawler_files_of_every_format_and_both_field_generations(config_factory, tmp_path, db_url):
    root = tmp_path / "mc"
    write_mediacrawler(root)
    [r], rows, _, _ = run_source(config_factory, db_url, f"  - {{id: mc, kind: mediacrawler, path: {root}}}\n")
    assert r.ok, r.error
    assert sorted(rows) == ["douyin:a1", "weibo:w1", "xhs:n1", "zhihu:z1"]
    xhs = rows["xhs:n1"]
    assert xhs.text == "手镯之家避雷\n买的手镯断裂了" and xhs.likes == 12_000 and xhs.comments == 80
    assert xhs.author_name == "小***"  # the newer, masked line updated the older one
    assert rows["weibo:w1"].reposts == 1_000_000 and rows["weibo:w1"].published_at == datetime(2026, 3, 10, 1, 0, tzinfo=timezone.utc)
    assert rows["douyin:a1"].likes == 23_000 and rows["zhihu:z1"].likes == 12


def test_mediacrawler_reads_only_what_is_new_and_waits_for_half_written_lines(config_factory, tmp_path, db_url):
    root = tmp_path / "mc"
    write_mediacrawler(root)
    run_source(config_factory, db_url, f"  - {{id: mc, kind: mediacrawler, path: {root}}}\n")
    f = root / "xhs" / "jsonl" / "search_contents_2026-03-10.jsonl"
    with f.open("a") as out:
        out.write(json.dumps({"note_id": "n2", "desc": "手镯之家第二篇", "time": 1773100800000, "liked_count": "3"}, ensure_ascii=False) + "\n")
        out.write('{"note_id": "n3", "desc": "手镯之家 half')  # MediaCrawler is still writing this line
    [r], rows, _, _ = run_source(config_factory, db_url, f"  - {{id: mc, kind: mediacrawler, path: {root}}}\n")
    assert (r.items, r.new) == (1, 1) and "xhs:n3" not in rows
    with f.open("a") as out:
        out.write(' written"}\n')
    [r], rows, _, _ = run_source(config_factory, db_url, f"  - {{id: mc, kind: mediacrawler, path: {root}}}\n")
    assert (r.items, r.new) == (1, 1) and rows["xhs:n3"].text == "手镯之家 half written"


def test_a_missing_mediacrawler_folder_is_reported(config_factory, tmp_path, db_url):
    [r], _, _, _ = run_source(config_factory, db_url, f"  - {{id: mc, kind: mediacrawler, path: {tmp_path / 'nope'}}}\n")
    assert not r.ok and "does not exist" in r.error


def mc_yaml(root: Path, extra: str = "") -> str:
    return f"  - {{id: mc, kind: mediacrawler, path: '{root}'{extra}}}\n"


def jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def test_fan_counts_come_from_creators_files_even_for_posts_read_in_earlier_runs(config_factory, tmp_path, db_url):
    root = tmp_path / "mc"
    (root / "xhs" / "jsonl").mkdir(parents=True)
    (root / "bilibili" / "csv").mkdir(parents=True)
    (root / "douyin" / "json").mkdir(parents=True)
    posts = root / "xhs" / "jsonl" / "search_contents_2026-03-10.jsonl"
    posts.write_text(jsonl([{"note_id": "n1", "desc": "手镯之家的镯子断了", "time": 1773100800000, "user_id": "u1",
                             "nickname": "小红", "liked_count": "3"}]))
    [r], rows, _, _ = run_source(config_factory, db_url, mc_yaml(root))
    assert r.ok and rows["xhs:n1"].author_followers is None and not rows["xhs:n1"].kol
    # MediaCrawler's creator mode runs later and writes the accounts with their fan counts.
    (root / "xhs" / "jsonl" / "creator_creators_2026-03-10.jsonl").write_text(
        jsonl([{"user_id": "u1", "nickname": "小红", "follows": "12", "fans": "12.5万", "interaction": "3万"}]))
    (root / "bilibili" / "csv" / "creator_creators_2026-03-10.csv").write_text(
        "user_id,nickname,total_fans,total_liked\n" "b1,UP主,88000,5\n", encoding="utf-8-sig")
    (root / "bilibili" / "csv" / "search_contents_2026-03-10.csv").write_text(
        "video_id,title,desc,create_time,user_id,nickname,liked_count,video_share_count,video_comment\n"
        "v1,手镯之家测评,,1773100800,b1,UP主,10,7,2\n", encoding="utf-8-sig")
    (root / "douyin" / "json" / "creator_creators_2026-03-10.json").write_text(json.dumps(
        [{"user_id": "MS4wLjABAAAA_sec", "nickname": "抖音号", "fans": 2000}]))
    (root / "douyin" / "json" / "search_contents_2026-03-10.json").write_text(json.dumps([
        {"aweme_id": "a1", "desc": "手镯之家开箱", "create_time": "1773100800", "user_id": "9001",
         "sec_uid": "MS4wLjABAAAA_sec", "nickname": "抖音号", "liked_count": "1"}], ensure_ascii=False))
    [r], rows, _, _ = run_source(config_factory, db_url, mc_yaml(root))
    assert r.ok, r.error
    assert rows["xhs:n1"].author_followers == 125_000 and rows["xhs:n1"].kol  # read a run earlier
    assert rows["bilibili:v1"].author_followers == 88_000 and rows["bilibili:v1"].reposts == 7
    assert rows["douyin:a1"].author_followers == 2000  # Douyin's creators are keyed by sec_uid
    [r], rows, _, _ = run_source(config_factory, db_url, mc_yaml(root))
    assert (r.ok, r.items) == (True, 0)  # nothing new: nothing read again


def test_mediacrawler_comments_are_their_own_mentions_and_never_overwrite_their_post(config_factory, tmp_path, db_url):
    root = tmp_path / "mc"
    (root / "xhs" / "jsonl").mkdir(parents=True)
    (root / "xhs" / "jsonl" / "search_contents_2026-03-10.jsonl").write_text(jsonl([
        {"note_id": "n1", "title": "手镯之家避雷", "desc": "买的手镯断裂了", "time": 1773100800000, "user_id": "u1",
         "nickname": "博主", "liked_count": "100"}]))
    (root / "xhs" / "jsonl" / "search_comments_2026-03-10.jsonl").write_text(jsonl([
        {"comment_id": "c1", "create_time": 1773104400000, "note_id": "n1", "content": "手镯之家的客服也不理我",
         "user_id": "u9", "nickname": "评论的人", "sub_comment_count": "2", "like_count": 5, "parent_comment_id": 0}]))
    [r], rows, _, _ = run_source(config_factory, db_url, mc_yaml(root, ", include_comments: true"))
    assert r.ok, r.error
    post, comment = rows["xhs:n1"], rows["xhs:comment:c1"]
    assert (post.text, post.author_name, post.likes) == ("手镯之家避雷\n买的手镯断裂了", "博主", 100)
    assert (comment.text, comment.author_id, comment.author_name) == ("手镯之家的客服也不理我", "u9", "评论的人")
    assert (comment.likes, comment.comments) == (5, 2)


def test_mediacrawler_fields_per_platform(config_factory, tmp_path, db_url):
    root = tmp_path / "mc"
    for d in ("zhihu/jsonl", "kuaishou/csv", "bilibili/jsonl", "tieba/json"):
        (root / d).mkdir(parents=True)
    (root / "zhihu" / "jsonl" / "search_contents_2026-03-10.jsonl").write_text(jsonl([
        {"content_id": "z1", "content_type": "answer", "title": "如何评价手镯之家？", "desc": "手镯之家的质量…",
         "content_text": "手镯之家的质量一般，戴了一个月就断裂了，售后也推脱", "created_time": 1773100800,
         "voteup_count": 12, "comment_count": 3, "user_id": "zu1", "user_nickname": "知乎用户"}]))
    (root / "kuaishou" / "csv" / "search_contents_2026-03-10.csv").write_text(
        "video_id,video_type,title,desc,create_time,user_id,nickname,liked_count,viewd_count\n"
        "k1,1,手镯之家,手镯之家直播翻车,1773100800000,ku1,快手用户,None,None\n", encoding="utf-8-sig")
    (root / "bilibili" / "jsonl" / "search_contents_2026-03-10.jsonl").write_text(jsonl([
        {"video_id": "v2", "title": "手镯之家开箱", "desc": "", "create_time": 1773100800, "user_id": "b2",
         "liked_count": "120", "video_share_count": "33", "video_comment": "8", "video_play_count": "9999"}]))
    (root / "tieba" / "json" / "search_contents_2026-03-10.json").write_text(json.dumps([
        {"note_id": "t1", "title": "手镯之家的镯子", "desc": "有人买过吗", "note_url": "https://tieba.baidu.com/p/t1",
         "publish_time": "2026-03-10 09:00", "user_nickname": "吧友", "total_replay_num": 14}], ensure_ascii=False))
    [r], rows, _, _ = run_source(config_factory, db_url, mc_yaml(root))
    assert r.ok and r.dropped == 0, (r.error, r.dropped_reasons)
    assert rows["zhihu:z1"].text == "如何评价手镯之家？\n手镯之家的质量一般，戴了一个月就断裂了，售后也推脱"
    assert rows["kuaishou:k1"].likes == 0 and rows["kuaishou:k1"].text == "手镯之家直播翻车"
    assert (rows["bilibili:v2"].reposts, rows["bilibili:v2"].comments, rows["bilibili:v2"].likes) == (33, 8, 120)
    assert rows["tieba:t1"].comments == 14


def test_a_csv_record_with_newlines_is_stored_whole_once_written_to_the_end(config_factory, tmp_path, db_url):
    root = tmp_path / "mc"
    (root / "weibo" / "csv").mkdir(parents=True)
    f = root / "weibo" / "csv" / "search_contents_2026-03-10.csv"
    f.write_text("note_id,content,create_date_time,liked_count\r\n"
                 "w1,手镯之家 第一条,2026-03-10 09:00:00,1\r\n"
                 'w2,"手镯之家 第二条\r\n第二行', encoding="utf-8-sig")  # MediaCrawler is mid-way through w2
    [r], rows, _, _ = run_source(config_factory, db_url, mc_yaml(root))
    assert r.ok and sorted(rows) == ["weibo:w1"]
    with f.open("a", encoding="utf-8") as out:
        out.write('\n第三行",2026-03-10 09:05:00,2\r\n')
    [r], rows, _, _ = run_source(config_factory, db_url, mc_yaml(root))
    assert (r.ok, r.new) == (True, 1)
    assert rows["weibo:w2"].text == "手镯之家 第二条\n第二行\n第三行" and rows["weibo:w2"].likes == 2


def test_json_and_csv_files_that_grow_between_runs_are_read_only_for_what_is_new(config_factory, tmp_path, db_url):
    root = tmp_path / "mc"
    (root / "douyin" / "json").mkdir(parents=True)
    (root / "weibo" / "csv").mkdir(parents=True)
    js = root / "douyin" / "json" / "search_contents_2026-03-10.json"
    cs = root / "weibo" / "csv" / "search_contents_2026-03-10.csv"
    aweme = [{"aweme_id": f"a{i}", "desc": f"手镯之家 {i}", "create_time": "1773100800", "liked_count": str(i)} for i in range(3)]
    js.write_text(json.dumps(aweme[:2], ensure_ascii=False, indent=4))
    cs.write_text("note_id,content,create_date_time,liked_count\r\nw1,手镯之家 w1,2026-03-10 09:00:00,1\r\n",
                  encoding="utf-8-sig")
    [r], _, _, _ = run_source(config_factory, db_url, mc_yaml(root))
    assert (r.ok, r.new) == (True, 3)
    js.write_text(json.dumps(aweme, ensure_ascii=False, indent=4))  # MediaCrawler rewrites the array per item
    with cs.open("a", encoding="utf-8") as out:
        out.write("w2,手镯之家 w2,2026-03-10 09:10:00,4\r\n")
    [r], rows, _, _ = run_source(config_factory, db_url, mc_yaml(root))
    assert (r.ok, r.items, r.new) == (True, 2, 2)
    assert rows["douyin:a2"].likes == 2 and rows["weibo:w2"].likes == 4
    [r], _, _, _ = run_source(config_factory, db_url, mc_yaml(root))
    assert (r.ok, r.items) == (True, 0)


def test_mediacrawler_max_items_takes_the_rest_of_a_file_next_run(config_factory, tmp_path, db_url):
    root = tmp_path / "mc"
    (root / "xhs" / "jsonl").mkdir(parents=True)
    (root / "xhs" / "jsonl" / "search_contents_2026-03-10.jsonl").write_text(jsonl([
        {"note_id": f"n{i}", "desc": f"手镯之家 {i}", "time": 1773100800000} for i in range(5)]))
    [r], rows, _, _ = run_source(config_factory, db_url, mc_yaml(root, ", max_items: 3"))
    assert (r.ok, r.items) == (True, 3) and sorted(rows) == ["xhs:n0", "xhs:n1", "xhs:n2"]
    [r], rows, _, _ = run_source(config_factory, db_url, mc_yaml(root, ", max_items: 3"))
    assert (r.ok, r.items) == (True, 2) and len(rows) == 5


@pytest.mark.parametrize(
    "name,content,cause",
    [
        ("search_contents_2026-03-10.json", '{"note_id": "n1"}', "expected a JSON array"),
        ("search_contents_2026-03-10.jsonl", "<html>oops</html>\nnot json\n", "2 of 2 records are unreadable"),
        ("search_contents_2026-03-10.jsonl", jsonl([{"noteId": "n1", "desc": "手镯之家"}]),
         "no row has an id field (note_id, aweme_id, video_id, content_id)"),
        ("search_contents_2026-03-10.jsonl", jsonl([{"note_id": "n1", "description": "手镯之家"}]),
         "no row has a text field (content_text, desc, content, title)"),
    ],
)
def test_a_malformed_mediacrawler_file_or_a_changed_field_name_is_a_source_error(
        config_factory, tmp_path, name, content, cause, db_url):
    root = tmp_path / "mc"
    (root / "xhs").mkdir(parents=True)
    (root / "xhs" / name).write_text(content)
    [r], rows, runs, _ = run_source(config_factory, db_url, mc_yaml(root))
    assert not r.ok and cause in r.error and f"xhs/{name}" in r.error
    assert rows == {}


def test_a_json_file_still_truncated_a_run_later_is_reported_as_damaged(config_factory, tmp_path, db_url):
    root = tmp_path / "mc"
    (root / "xhs" / "json").mkdir(parents=True)
    (root / "xhs" / "json" / "search_contents_2026-03-10.json").write_text('[{"note_id": "n1", "desc": "手镯之家')
    [first], _, _, _ = run_source(config_factory, db_url, mc_yaml(root))
    assert first.ok  # MediaCrawler may be rewriting it right now
    [second], _, _, _ = run_source(config_factory, db_url, mc_yaml(root))
    assert not second.ok and "not valid JSON, unchanged since the last run" in second.error


def test_one_failing_source_never_stops_the_others(config_factory, tmp_path, db_url):
    with source_server() as srv:
        srv.route(WEIBO_Q + "1", (500, "text/plain", b"down"))
        srv.route("/feed.xml", "feed.xml")
        yaml = weibo_yaml(srv.url) + f"  - {{id: news, kind: rss, urls: ['{srv.url}/feed.xml']}}\n"
        results, rows, _, _ = run_source(config_factory, db_url, yaml)
        by_id = {r.source_id: r for r in results}
        assert not by_id["wb"].ok and by_id["news"].ok and by_id["news"].new == 2


# ----------------------------------------------------------------------------- every kind


def test_max_items_caps_a_run_and_stops_paging(config_factory, tmp_path, db_url):
    with source_server() as srv:
        srv.route(WEIBO_Q + "1", "weibo_search_p1.json")
        srv.route(WEIBO_Q + "2", "weibo_search_p2.json")
        srv.route("/statuses/extend", "weibo_extend.json")
        srv.route("/robots.txt", (404, "text/plain", b""))
        srv.route("/feed.xml", "feed.xml")
        srv.route("/feed.atom", "feed.atom")
        yaml = (weibo_yaml(srv.url, ", max_items: 2")
                + f"  - {{id: news, kind: rss, urls: ['{srv.url}/feed.xml', '{srv.url}/feed.atom'], max_items: 2}}\n")
        results, rows, runs, _ = run_source(config_factory, db_url, yaml)
        by_id = {r.source_id: r for r in results}
        assert by_id["wb"].ok and by_id["wb"].items == 2 and by_id["news"].ok and by_id["news"].items == 2
        assert not any("page=2" in q["path"] for q in srv.requests)
        assert {r.source_id: r.stats.get("repmon/capped") for r in runs} == {"wb": 2, "news": 2}


def test_a_sources_timezone_applies_to_times_given_without_one_in_every_kind(config_factory, tmp_path, db_url):
    page = ('<html><body><div class="post" data-id="p1"><p class="text">手镯之家 断裂</p><a class="link" href="/t/1">#</a>'
            '<time datetime="2026-03-10 09:00">x</time></div></body></html>').encode()
    with source_server() as srv:
        srv.route("/robots.txt", (404, "text/plain", b""))
        srv.route("/a", (200, "text/html", page))
        srv.route("/b", (200, "text/html", page.replace(b"p1", b"p2")))
        yaml = (f"  - {{id: tokyo, kind: html, urls: ['{srv.url}/a'], timezone: Asia/Tokyo, {HTML_SELECTORS}}}\n"
                f"  - {{id: default, kind: html, urls: ['{srv.url}/b'], {HTML_SELECTORS}}}\n")
        results, rows, _, _ = run_source(config_factory, db_url, yaml)
        assert all(r.ok for r in results), [r.error for r in results]
        assert rows["p1"].published_at == datetime(2026, 3, 10, 0, 0, tzinfo=timezone.utc)
        assert rows["p2"].published_at == datetime(2026, 3, 10, 1, 0, tzinfo=timezone.utc)  # the config's zone, Shanghai


def test_the_cookie_option_reaches_every_request_of_every_web_kind(config_factory, tmp_path, monkeypatch, db_url):
    monkeypatch.setenv("T_COOKIE", "sid=s3cr3t; lang=zh")
    cookie = "cookie: '${T_COOKIE}'"
    with source_server() as srv:
        srv.route("/robots.txt", (404, "text/plain", b""))
        srv.route(WEIBO_Q + "1", "weibo_no_results.json")
        srv.route("/feed.xml", "feed.xml")
        srv.route("/forum", "forum_p2.html")
        srv.route("/api/v1/timelines/tag/手镯之家", (200, "application/json", b"[]"))
        srv.route("/xrpc/app.bsky.feed.searchPosts", "bsky_search_p2.json")
        srv.route("/xrpc/app.bsky.actor.getProfiles", "bsky_profiles.json")
        srv.route("/feed.jsonl", (200, "application/json", b'{"id": "j1", "text": "\\u624b\\u956f\\u4e4b\\u5bb6", "published_at": "2026-03-10T01:00:00Z"}\n'))
        yaml = (f"  - {{id: wb, kind: weibo, keywords: [手镯之家], base_url: '{srv.url}', {cookie}}}\n"
                f"  - {{id: news, kind: rss, urls: ['{srv.url}/feed.xml'], {cookie}}}\n"
                f"  - {{id: forum, kind: html, urls: ['{srv.url}/forum'], {cookie}, {HTML_SELECTORS}}}\n"
                f"  - {{id: masto, kind: mastodon, base_url: '{srv.url}', hashtags: [手镯之家], {cookie}}}\n"
                f"  - {{id: sky, kind: bluesky, base_url: '{srv.url}', queries: [shouzhuo home], max_pages: 1, {cookie}}}\n"
                f"  - {{id: lines, kind: jsonl, url: '{srv.url}/feed.jsonl', {cookie}}}\n")
        results, _, _, _ = run_source(config_factory, db_url, yaml)
        assert all(r.ok for r in results), [r.error for r in results]
        fetched = {q["path"].split("?")[0]: q["headers"].get("Cookie", "") for q in srv.requests if q["path"] != "/robots.txt"}
        assert len(fetched) == 7 and all(sorted(c.split("; ")) == ["lang=zh", "sid=s3cr3t"] for c in fetched.values()), fetched


# ----------------------------------------------------------------------------- progress and the sources table


class _Stderr:
    def __init__(self, tty: bool):
        self.tty, self.text = tty, ""

    def isatty(self) -> bool:
        return self.tty

    def write(self, s: str) -> None:
        self.text += s

    def flush(self) -> None:
        pass


@pytest.mark.parametrize("tty,asked,shown", [(True, True, True), (False, True, False), (True, False, False)])
def test_crawl_progress_shows_only_when_asked_and_stderr_is_a_terminal(monkeypatch, tty, asked, shown):
    from scrapy.exceptions import NotConfigured
    from scrapy.utils.test import get_crawler

    from crawlers.progress import TerminalProgress

    monkeypatch.setattr("sys.stderr", _Stderr(tty))
    crawler = get_crawler(settings_dict={"REPMON_PROGRESS": asked})
    if not shown:
        with pytest.raises(NotConfigured):
            TerminalProgress.from_crawler(crawler)
        return
    progress = TerminalProgress.from_crawler(crawler)
    crawler.stats.open_spider()
    for key, value in {"response_received_count": 4, "robotstxt/response_count": 1, "repmon/items": 20, "repmon/new": 7}.items():
        crawler.stats.set_value(key, value)

    class Spider:
        name = "forum"

    progress.draw(Spider())
    progress.draw(Spider(), final=True)
    import sys

    assert sys.stderr.text == "\rforum: 3 page(s), 20 item(s), 7 new" * 2 + "\n"  # robots.txt is not a page


def test_repmon_crawl_is_quiet_off_a_terminal_and_repmon_sources_shows_the_health_table(tmp_path, db_url):
    from click.testing import CliRunner

    from monitor.cli import main

    with source_server() as srv:
        srv.route("/robots.txt", (404, "text/plain", b""))
        srv.route("/feed.xml", "feed.xml")
        srv.route(WEIBO_Q + "1", (500, "text/plain", b"down"))
        cfg = tmp_path / "config.yaml"
        cfg.write_text(f"database: {{url: '{db_url}'}}\nbrands:\n  - {{id: shouzhuo, name: 手镯之家, keywords: {{any: [手镯之家]}}}}\n"
                       + FAST + "sources:\n"
                       + f"  - {{id: news, kind: rss, urls: ['{srv.url}/feed.xml']}}\n" + weibo_yaml(srv.url))
        crawled = CliRunner().invoke(main, ["crawl", "news", "--now", NOW.isoformat(), "--config", str(cfg)])
        failed = CliRunner().invoke(main, ["crawl", "wb", "--now", NOW.isoformat(), "--config", str(cfg)])
        table = CliRunner().invoke(main, ["sources", "--config", str(cfg)])
    assert crawled.exit_code == 0 and "news: 3 " in crawled.output and "[ok]" in crawled.output
    assert "page(s)" not in crawled.output + crawled.stderr
    assert failed.exit_code == 1
    lines = table.output.splitlines()
    header = next(line for line in lines if "last success" in line)
    assert [c.strip() for c in header.strip("┃│ ").replace("┃", "│").split("│")] == [
        "id", "kind", "last run", "last success", "items", "last error"]
    news = next(line for line in lines if line.strip("│ ").startswith("news"))
    wb = next(line for line in lines if line.strip("│ ").startswith("wb"))
    assert "rss" in news and "03-10 13:00" in news and " 3 " in news
    assert "weibo" in wb and "never" in wb and "FAILING x1: HTTP 500" in wb
