"""The console's logic through Starlette's test client (the browser tests are in tests/e2e)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from monitor.clock import FixedClock
from monitor.db import session_scope
from monitor.incidents import get_incident
from monitor.web.app import WebConfigError, create_app
from tests.support.webseed import HOSTILE, T0, TOKEN, seeded


@pytest.fixture
def web(tmp_path, db_url):
    cfg, factory, engine, iid = seeded(tmp_path, db_url)
    app = create_app(cfg, factory, clock=FixedClock(T0 + timedelta(minutes=30)), env={"REPMON_WEB_TOKEN": TOKEN})
    yield TestClient(app, base_url="http://127.0.0.1"), factory, iid
    engine.dispose()


def login(client, token=TOKEN):
    return client.post("/login", data={"name": "lin", "token": token, "next": "/"}, follow_redirects=False)


def csrf(client, url):
    return re.search(r'name="csrf" value="([^"]+)"', client.get(url).text).group(1)


def test_every_page_needs_a_login(web):
    client, _, iid = web
    for url in ("/", f"/incidents/{iid}", "/mentions", "/digests", "/sources", "/config"):
        r = client.get(url, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_a_wrong_token_is_refused(web):
    client, _, _ = web
    r = login(client, "wrong-token")
    assert r.status_code == 401 and "令牌错误" in r.text
    assert client.get("/", follow_redirects=False).status_code == 303


def test_the_session_cookie_is_httponly_and_samesite(web):
    client, _, _ = web
    r = login(client)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie


def test_acting_without_the_csrf_token_is_refused(web):
    client, factory, iid = web
    login(client)
    assert client.post(f"/incidents/{iid}/ack", data={}).status_code == 403
    assert client.post(f"/incidents/{iid}/ack", data={"csrf": "forged"}).status_code == 403
    with session_scope(factory) as s:
        assert get_incident(s, iid).acknowledged_at is None


def test_acting_on_an_incident_records_who_and_when_like_the_cli(web, tmp_path):
    from click.testing import CliRunner

    from monitor.cli.app import main

    client, factory, iid = web
    login(client)
    token = csrf(client, f"/incidents/{iid}")
    assert client.post(f"/incidents/{iid}/ack", data={"csrf": token}, follow_redirects=False).status_code == 303
    client.post(f"/incidents/{iid}/step", data={"csrf": token, "step": "contact"})
    r = client.post(f"/incidents/{iid}/step", data={"csrf": token, "step": "bogus"})
    assert "unknown step" in r.text
    # The same kind of action from the CLI, on the same incident.
    cfg_path = tmp_path / "config.yaml"
    with session_scope(factory) as s:
        url = str(s.get_bind().url.render_as_string(hide_password=False))
    cfg_path.write_text(f"database: {{url: '{url}'}}\nbrands:\n  - {{id: shouzhuo, name: 手镯之家, keywords: {{any: [手镯之家]}}}}\n")
    at = T0 + timedelta(minutes=45)
    result = CliRunner().invoke(main, ["incidents", "step", str(iid), "statement", "--by", "wang", "--now", at.isoformat(),
                                       "--config", str(cfg_path)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with session_scope(factory) as s:
        inc = get_incident(s, iid)
        assert inc.status == "acknowledged" and inc.acknowledged_by == "lin"
        acted = [(e.kind, e.actor, e.at, (e.detail or {}).get("via")) for e in inc.events if e.actor]
    now = T0 + timedelta(minutes=30)
    assert acted == [("acknowledged", "lin", now, "web"), ("step_done", "lin", now, "web"), ("step_done", "wang", at, "cli")]


def test_acknowledging_twice_says_it_is_already_acknowledged(web):
    client, factory, iid = web
    login(client)
    token = csrf(client, f"/incidents/{iid}")
    first = client.post(f"/incidents/{iid}/ack", data={"csrf": token})
    assert 'id="message"' in first.text and "already" not in first.text and "已被" not in first.text
    second = client.post(f"/incidents/{iid}/ack", data={"csrf": token})
    assert re.search(r'id="message">[^<]*已被 lin 确认', second.text)
    with session_scope(factory) as s:
        assert [e.kind for e in get_incident(s, iid).events].count("acknowledged") == 1


def test_pages_escape_post_text_and_show_the_clock_and_statement(web):
    client, _, iid = web
    login(client)
    page = client.get(f"/incidents/{iid}").text
    assert "<script>document.title" not in page and "&lt;script&gt;" in page and "<img src=x" not in page
    assert 'id="statement"' in page and "致歉声明" in page
    assert 'id="time-left"' in page and "3 h 35 min" in page  # opened +5 min, now +30 min, 4 h clock
    listing = client.get("/").text
    assert 'data-tier="red"' in listing


def test_mentions_page_through_the_results(web):
    client, _, _ = web
    login(client)
    r = client.get("/mentions")
    assert "(60)" in r.text and r.text.count('class="mention"') == 50 and 'id="next"' in r.text
    assert client.get("/mentions?page=2").text.count('class="mention"') == 10
    assert 'id="next"' not in client.get("/mentions?page=2").text


def test_paging_links_encode_their_parameters(web):
    client, _, _ = web
    login(client)
    page = client.get("/mentions?category=x%26page%3D9&source=demo&negative=1&page=2").text
    prev = re.search(r'id="prev" href="([^"]+)"', page).group(1)
    assert prev == "?source=demo&amp;category=x%26page%3D9&amp;negative=1&amp;page=1"
    page = client.get("/mentions?brand=shouzhuo").text
    assert re.search(r'id="next" href="([^"]+)"', page).group(1) == "?brand=shouzhuo&amp;page=2"


@pytest.fixture
def two_brands(tmp_path, db_url):
    """shouzhuo/demo: the 60 seeded mentions (30 negative product_quality) on 03-10;
    acme/forum: 7 on 03-08 (3 logistics, 2 after_sales negative, 2 positive);
    shouzhuo/forum: 4 negative price ones on 03-09."""
    from monitor.models import Mention

    cfg, factory, engine, iid = seeded(tmp_path, db_url, second_brand=True)
    rows = ([("acme", "forum", "logistics", 2)] * 3 + [("acme", "forum", "after_sales", 2)] * 2
            + [("acme", "forum", None, 2)] * 2 + [("shouzhuo", "forum", "price", 1)] * 4)
    with session_scope(factory) as s:
        for n, (brand, source, category, days_back) in enumerate(rows):
            at = T0 - timedelta(days=days_back)
            s.add(Mention(source_id=source, external_id=f"f{n}", text=f"{brand} 帖子 {n}", url=f"https://forum.example/{n}",
                          author_name=f"u{n}", published_at=at, fetched_at=at, first_seen_at=at, sentiment=0.1 if category else 0.9,
                          negative=category is not None, category=category, brand=brand, language="zh"))
    app = create_app(cfg, factory, clock=FixedClock(T0 + timedelta(minutes=30)), env={"REPMON_WEB_TOKEN": TOKEN})
    client = TestClient(app, base_url="http://127.0.0.1")
    login(client)
    yield client
    engine.dispose()


def shown(client, query):
    """(total, [(brand, source, category, negative)] of the rows shown) for a filter."""
    page = client.get("/mentions?" + query).text
    total = int(re.search(r'id="total">\(([\d,]+)\)', page).group(1).replace(",", ""))
    rows = re.findall(r'<tr class="mention" data-brand="([^"]*)" data-source="([^"]*)" data-category="([^"]*)" '
                      r'data-negative="(\w+)"', page)
    return total, rows


@pytest.mark.parametrize("query, total, check", [
    ("", 71, lambda b, s, c, n: True),
    ("brand=acme", 7, lambda b, s, c, n: b == "acme"),
    ("brand=shouzhuo", 64, lambda b, s, c, n: b == "shouzhuo"),
    ("source=forum", 11, lambda b, s, c, n: s == "forum"),
    ("source=demo", 60, lambda b, s, c, n: s == "demo"),
    ("category=logistics", 3, lambda b, s, c, n: c == "logistics"),
    ("category=price", 4, lambda b, s, c, n: c == "price"),
    ("category=product_quality", 30, lambda b, s, c, n: c == "product_quality"),
    ("negative=1", 39, lambda b, s, c, n: n == "True"),
    ("brand=acme&negative=1", 5, lambda b, s, c, n: b == "acme" and n == "True"),
    ("brand=acme&category=after_sales", 2, lambda b, s, c, n: b == "acme" and c == "after_sales"),
    ("brand=shouzhuo&source=forum", 4, lambda b, s, c, n: (b, s) == ("shouzhuo", "forum")),
    ("date=2026-03-08", 7, lambda b, s, c, n: b == "acme"),
    ("date=2026-03-09&brand=shouzhuo", 4, lambda b, s, c, n: c == "price"),
    ("date=2020-01-01", 0, lambda b, s, c, n: False),
])
def test_each_mentions_filter_narrows_to_what_it_names(two_brands, query, total, check):
    count, rows = shown(two_brands, query)
    assert count == total and len(rows) == min(total, 50)
    assert all(check(*row) for row in rows)


def test_the_filters_offer_the_known_brands_sources_and_categories_with_labels(two_brands):
    page = two_brands.get("/mentions?category=logistics&brand=acme").text
    form = re.search(r'<form[^>]*id="filters".*?</form>', page, re.S).group(0)
    select = re.search(r'<select name="category">(.*?)</select>', form, re.S).group(1)
    options = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select))
    assert options == {"": "全部类别", "product_quality": "产品质量", "logistics": "物流配送", "after_sales": "售后服务",
                       "price": "价格促销", "other": "其他"}
    assert re.search(r'<option value="logistics" selected>', form) and re.search(r'<option value="acme" selected>', form)
    assert re.findall(r'<select name="source">.*?</select>', form, re.S)[0].count("<option") == 3


def test_digest_archive_and_pages(web):
    client, _, _ = web
    login(client)
    assert "/digests/shouzhuo/2026-03-10" in client.get("/digests").text
    page = client.get("/digests/shouzhuo/2026-03-10")
    assert page.status_code == 200 and page.text.count("<svg") == 3
    assert client.get("/digests/shouzhuo/..%2F..%2Fetc").status_code == 404
    assert client.get("/digests/nobrand/2026-03-10").status_code == 404


def test_the_config_page_masks_secrets(tmp_path, monkeypatch):
    from monitor.config import parse_config

    monkeypatch.setenv("T_SLACK", "xoxb-hidden1")
    monkeypatch.setenv("T_REDIS", "redis-pw-should-not-show")
    monkeypatch.setenv("T_FEED", "feedkey-should-not-show")
    cfg, factory, engine, _ = seeded(tmp_path)
    cfg = parse_config(
        f"database: {{url: 'postgresql+psycopg://app:pw-should-not-show@db/x'}}\n"
        "brands:\n  - {id: b, name: B, keywords: {any: [b]}}\n"
        "channels:\n  s: {kind: slack, token: '${T_SLACK}', channel: C1}\n"
        "distributed: {redis_url: 'redis://:${T_REDIS}@127.0.0.1:6379/0'}\n"
        "sources:\n  - {id: w, kind: weibo, keywords: [b], cookies: {SUB: '${T_SLACK}'}}\n"
        "  - {id: feed, kind: jsonl, url: 'https://feed.example/m.jsonl?api_key=${T_FEED}'}\n"
        "  - {id: feed2, kind: jsonl, url: 'https://bob:typed-in-pw@feed.example/m.jsonl?token=typed-in-token&page=2'}\n",
        base_dir=tmp_path)
    client = TestClient(create_app(cfg, factory, env={"REPMON_WEB_TOKEN": TOKEN}), base_url="http://127.0.0.1")
    login(client)
    text = client.get("/config").text
    for secret in ("xoxb-hidden1", "pw-should-not-show", "redis-pw-should-not-show", "feedkey-should-not-show",
                   "typed-in-pw", "typed-in-token"):
        assert secret not in text, secret
    assert "******" in text
    # What is not secret stays readable, so the page still helps.
    assert "127.0.0.1:6379/0" in text and "feed.example/m.jsonl" in text and "page=2" in text
    engine.dispose()


def test_the_config_page_masks_literal_cookies_and_header_credentials(tmp_path):
    from monitor.config import parse_config
    from monitor.web.config_view import masked_config

    cfg, factory, engine, _ = seeded(tmp_path)
    cfg = parse_config(
        "database: {url: 'sqlite:///x.db'}\n"
        "brands:\n  - {id: b, name: B, keywords: {any: [b]}}\n"
        "sources:\n"
        "  - id: w\n    kind: weibo\n    keywords: [b]\n"
        '    cookie: "SUB=literalsecretvalue123; SUBP=literalsubp456"\n'
        "    headers: {Authorization: 'Bearer literal-bearer-789', X-Api-Key: literal-apikey-000, Referer: 'https://m.weibo.cn/'}\n"
        "  - id: w2\n    kind: weibo\n    keywords: [b]\n"
        "    headers: {Cookie: 'SUB=literal-cookie-header-111'}\n"
        "  - {id: m, kind: mastodon, base_url: 'https://mastodon.example', hashtags: [b], token: literal-masto-222}\n",
        base_dir=tmp_path)
    client = TestClient(create_app(cfg, factory, env={"REPMON_WEB_TOKEN": TOKEN}), base_url="http://127.0.0.1")
    login(client)
    text = client.get("/config").text
    for secret in ("literalsecretvalue123", "literalsubp456", "literal-bearer-789", "literal-apikey-000",
                   "literal-cookie-header-111", "literal-masto-222"):
        assert secret not in text, secret
    sources = masked_config(cfg)["sources"]
    assert sources[0]["cookie"] == "******" and sources[1]["cookie"] == "******"
    # Header names stay readable, so the page still shows what is sent.
    assert set(sources[0]["headers"]) == {"Authorization", "X-Api-Key", "Referer"}
    assert set(sources[0]["headers"].values()) == {"******"}
    # A variable's name is not a secret.
    assert masked_config(cfg)["web"]["token_env"] == "REPMON_WEB_TOKEN"
    engine.dispose()


def test_the_console_refuses_to_start_without_a_token(tmp_path):
    cfg, factory, engine, _ = seeded(tmp_path)
    with pytest.raises(WebConfigError, match="set the environment variable REPMON_WEB_TOKEN"):
        create_app(cfg, factory, env={})
    with pytest.raises(WebConfigError, match=r"REPMON_WEB_TOKEN is too short \(5 characters; at least 8\)") as exc:
        create_app(cfg, factory, env={"REPMON_WEB_TOKEN": "abcde"})
    assert "abcde" not in str(exc.value) and "set the environment variable" not in str(exc.value)
    engine.dispose()


def test_the_console_labels_causes_tiers_and_states_in_chinese_by_default(web):
    client, _, iid = web
    login(client)
    row = re.search(rf'<tr class="incident" data-id="{iid}".*?</tr>', client.get("/").text, re.S).group(0)
    assert "红色" in row and "产品质量" in row and "待确认" in row
    page = client.get(f"/incidents/{iid}").text
    assert re.search(r'id="status"[^>]*data-status="open"[^>]*>待确认<', page) and ">红色<" in page and "产品质量" in page
    assert re.search(r'data-kind="opened"><td>[^<]*</td><td>开始</td>', page)
    assert re.search(r'data-step="statement" data-state="pending">.*?>待完成<', page, re.S)


def test_an_english_console_uses_english_labels(tmp_path):
    cfg, factory, engine, iid = seeded(tmp_path)
    en = cfg.model_copy(update={"brands": [b.model_copy(update={"locale": "en"}) for b in cfg.brands]})
    client = TestClient(create_app(en, factory, clock=FixedClock(T0 + timedelta(minutes=30)), env={"REPMON_WEB_TOKEN": TOKEN}),
                        base_url="http://127.0.0.1")
    login(client)
    row = re.search(rf'<tr class="incident" data-id="{iid}".*?</tr>', client.get("/").text, re.S).group(0)
    assert "red" in row and "Product quality" in row and ">open<" in row and "红色" not in row
    token = csrf(client, f"/incidents/{iid}")
    client.post(f"/incidents/{iid}/ack", data={"csrf": token})
    assert "already acknowledged by lin" in client.post(f"/incidents/{iid}/ack", data={"csrf": token}).text
    engine.dispose()


def test_logging_out_takes_a_post_with_the_csrf_token(web):
    client, _, _ = web
    login(client)
    r = client.get("/logout", follow_redirects=False)
    assert r.status_code == 200 and 'method="post" action="/logout"' in r.text
    assert client.get("/", follow_redirects=False).status_code == 200  # a GET (a link, an <img>) logs nobody out
    assert client.post("/logout", data={"csrf": "forged"}, follow_redirects=False).status_code == 403
    assert client.get("/", follow_redirects=False).status_code == 200
    r = client.post("/logout", data={"csrf": csrf(client, "/")}, follow_redirects=False)
    assert r.status_code == 303 and client.get("/", follow_redirects=False).status_code == 303
    assert client.get("/logout", follow_redirects=False).headers["location"].startswith("/login")


def test_too_many_failed_logins_from_one_address_are_refused_for_a_minute(tmp_path):
    cfg, factory, engine, _ = seeded(tmp_path)
    clock = FixedClock(T0)
    client = TestClient(create_app(cfg, factory, clock=clock, env={"REPMON_WEB_TOKEN": TOKEN}), base_url="http://127.0.0.1")
    for _ in range(5):
        clock.advance(timedelta(seconds=5))
        assert login(client, "wrong-token").status_code == 401
    r = login(client)  # even the right token waits: guessing must not go on
    assert r.status_code == 429 and "登录失败次数过多" in r.text and r.headers["retry-after"] == "60"
    other = TestClient(client.app, base_url="http://127.0.0.1", client=("10.1.2.3", 5555))
    assert login(other).status_code == 303  # another address is not held up
    clock.advance(timedelta(seconds=61))
    assert login(client).status_code == 303
    engine.dispose()


def write_config(tmp_path, web=""):
    path = tmp_path / "config.yaml"
    path.write_text(f"database: {{url: 'sqlite:///{tmp_path / 'w.db'}'}}\n"
                    "brands:\n  - {id: b, name: B, keywords: {any: [b]}}\n" + web)
    return path


@pytest.mark.parametrize("web_yaml, args, bound", [
    ("", [], ("127.0.0.1", 8000)),
    ("web: {port: 8123}\n", [], ("127.0.0.1", 8123)),
    ("", ["--host", "0.0.0.0", "--port", "9000"], ("0.0.0.0", 9000)),
    ("web: {host: '::1'}\n", [], ("::1", 8000)),
])
def test_repmon_web_binds_to_localhost_unless_told_otherwise(tmp_path, monkeypatch, web_yaml, args, bound):
    import uvicorn
    from click.testing import CliRunner

    from monitor.cli.app import main

    served = []
    # Stands in for serving forever: what matters is the address the CLI chose.
    monkeypatch.setattr(uvicorn.Server, "run", lambda self, *a, **k: served.append((self.config.host, self.config.port)))
    result = CliRunner().invoke(main, ["web", *args, "--config", str(write_config(tmp_path, web_yaml))],
                                env={"REPMON_WEB_TOKEN": TOKEN}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert served == [bound]


def test_the_server_config_defaults_to_localhost(tmp_path):
    from monitor.cli.web_cmd import server_config, web_cmd
    from monitor.config import load_config

    cfg = load_config(write_config(tmp_path))
    settings = server_config(object(), cfg)
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert {p.name: p.default for p in web_cmd.params}["host"] is None  # so web.host decides
