"""Property-based tests of the normalisers, the keyword matcher and the renderers: generated
inputs, no crash, no unescaped output.

Each property runs under the ``ci`` profile in the default run and under ``long``
(thousands of inputs) with ``-m slow``; see ``tests/support/fuzzing.py``.
"""

from __future__ import annotations

import html
import io
import json
import re
import tempfile
from dataclasses import asdict, replace
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import strategies as st

from alerts.base import Outbound
from alerts.console import ConsoleChannel
from alerts.feishu import build_card
from alerts.file import FileChannel
from alerts.render import Renderer
from alerts.slack import build_message
from crawlers.normalise import clean_text, parse_bool, parse_count, parse_time
from monitor.config import BrandConfig, KeywordRules, parse_config
from monitor.matching import fold, match_brand, matches
from tests.support.alert_samples import incident_note
from tests.support.fuzzing import fuzz

NOW = datetime(2026, 6, 15, 2, 0, tzinfo=timezone.utc)
TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")

# ---------------------------------------------------------------------------- counts

count_like = st.one_of(
    st.integers(min_value=-10, max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.from_regex(r"[ ]?\d{1,6}([.,，]\d{1,3})?\s?(万|亿|k|K|w|W|千|m|M|b|B|百万|千万)?\+?( 转发| reposts)?", fullmatch=True),
    st.from_regex(r"\d{1,4}(万|亿|千)\d{1,4}(万|千)?", fullmatch=True),
    st.booleans(),
    st.none(),
    st.lists(st.integers(), max_size=2),
)


@fuzz(count_like)
def test_parse_count_returns_a_non_negative_int_or_raises_value_error(value):
    try:
        n = parse_count(value)
    except ValueError:
        return
    assert isinstance(n, int) and not isinstance(n, bool) and n >= 0


@fuzz(st.from_regex(r"\d{1,5}(\.\d)?(万|亿|k)", fullmatch=True))
def test_abbreviated_counts_scale_by_their_unit(value):
    unit = {"万": 10_000, "亿": 100_000_000, "k": 1000}[value[-1]]
    assert parse_count(value) == int(round(float(value[:-1]) * unit))


@fuzz(st.integers(min_value=0, max_value=10**15), st.sampled_from(["{}", "{:,}", "{:,}+", " {} ", "{} 转发", "转发 {:,}"]))
def test_whole_numbers_read_back_whatever_the_grouping_or_label(n, form):
    assert parse_count(form.format(n)) == n


# ---------------------------------------------------------------------------- times

time_like = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(10**14), max_value=10**14),
    st.floats(allow_nan=True, allow_infinity=True),
    st.from_regex(r"(\d{1,3}(秒|分钟|小时|天|周|个月|年)前|\d{1,3} (minutes|hours|days) ago|(今天|昨天|前天) \d{1,2}:\d{2}"
                  r"|\d{1,2}-\d{1,2}( \d{1,2}:\d{2})?|\d{4}-\d{1,2}-\d{1,2}( \d{1,2}:\d{2}(:\d{2})?)?)", fullmatch=True),
    st.datetimes(timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))])),
    st.datetimes(),
    st.dates(),
    st.booleans(),
    st.none(),
)


@fuzz(time_like, st.sampled_from(["Asia/Shanghai", "UTC", "America/New_York"]))
def test_parse_time_returns_aware_utc_or_raises_value_error(value, tz):
    try:
        t = parse_time(value, now=NOW, tz=tz)
    except ValueError:
        return
    assert t.tzinfo is not None and t.utcoffset() == timedelta(0)


@fuzz(st.integers(min_value=0, max_value=10_000), st.sampled_from(["秒", "分钟", "小时", "天"]))
def test_relative_times_count_back_from_the_fetch_time(n, unit):
    step = {"秒": timedelta(seconds=1), "分钟": timedelta(minutes=1), "小时": timedelta(hours=1), "天": timedelta(days=1)}[unit]
    assert parse_time(f"{n}{unit}前", now=NOW) == NOW - n * step


# From 1974: epoch milliseconds before March 1973 have fewer digits than seconds do today,
# and are read as seconds (see crawlers.normalise._from_epoch).
@fuzz(st.datetimes(min_value=datetime(1974, 1, 1), max_value=datetime(2200, 1, 1),
                   timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=8)), timezone(timedelta(hours=-3, minutes=-30))])),
      st.sampled_from(["iso", "epoch", "epoch_ms", "rfc2822"]))
def test_a_written_time_reads_back_as_the_same_instant(t, form):
    from email.utils import format_datetime

    t = t.replace(microsecond=0)
    written = {"iso": t.isoformat(), "epoch": int(t.timestamp()), "epoch_ms": str(int(t.timestamp()) * 1000),
               "rfc2822": format_datetime(t)}[form]
    assert parse_time(written, now=NOW, tz="Asia/Shanghai") == t


# ---------------------------------------------------------------------------- HTML text

# Markup from the tag vocabulary around text that holds no markup characters: whatever
# clean_text returns must hold no tag (not even a '<'), and the words outside scripts
# and styles must all survive, in order.
TAGS = ["p", "div", "span", "a", "b", "br", "li", "em", "font", "img"]
plain_words = st.text(alphabet=st.characters(blacklist_characters="<>&", blacklist_categories=("Cs", "Cc")), max_size=12)


@st.composite
def markup(draw):
    parts, words = [], []
    for _ in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(["text", "open", "close", "void", "script", "comment", "entity"]))
        tag = draw(st.sampled_from(TAGS))
        if kind == "text":
            w = draw(plain_words)
            parts.append(w)
            words.append(w)
        elif kind == "open":
            attr = draw(st.sampled_from(["", " class='x'", ' href="http://a.example/?q=1&amp;b=2"', " onclick=\"alert('x')\"", " data-x=1"]))
            parts.append(f"<{tag}{attr}>")
        elif kind == "close":
            parts.append(f"</{tag}>")
        elif kind == "void":
            parts.append(draw(st.sampled_from(["<br>", "<br/>", "<BR />", "<img src='x' onerror='y'>", "<hr>"])))
        elif kind == "script":
            parts.append(draw(st.sampled_from(["<script>alert(1)</script>", "<style>p{color:red}</style>", "<SCRIPT src=x></SCRIPT>"])))
        elif kind == "comment":
            parts.append("<!-- note -->")
        else:
            parts.append(draw(st.sampled_from(["&amp;", "&nbsp;", "&#x4e2d;", "&#20013;", "&quot;"])))
    return "".join(parts), words


@fuzz(markup())
def test_clean_text_keeps_the_words_and_no_markup(case):
    raw, words = case
    out = clean_text(raw)
    assert "<" not in out and ">" not in out  # the input's text had none: any here would be a tag left over
    assert "alert(1)" not in out and "color:red" not in out  # script and style contents go with their tags
    found = " ".join(out.split())
    pos = 0
    for w in (w for w in words if w.split()):
        for part in w.split():
            at = found.find(part, pos)
            assert at >= 0, f"{part!r} lost from {raw!r} -> {out!r}"
            pos = at + len(part)


@fuzz(st.text(alphabet=st.characters(blacklist_characters="&", blacklist_categories=("Cs", "Cc")), max_size=60))
def test_escaped_text_comes_back_as_the_same_words(text):
    """Entities decode to literal text: ``&lt;script&gt;`` is the text ``<script>`` (the renderers escape it on output)."""
    assert clean_text(html.escape(text)).split() == text.split()


BLANKS = [" ", "\t", "\n", "\r", "\f", "\v", "\u3000", "\xa0"]
blank_heavy = st.lists(st.sampled_from([*BLANKS, "a", "中", "<br>", "&nbsp;"]), max_size=30).map("".join)
with_controls = st.lists(st.sampled_from([*BLANKS, "a", "中", "\x00", "\x08", "\x1b", "\x1f"]), max_size=30).map("".join)
NO_CONTROLS = re.compile(r"[\x00-\x08\x0e-\x1f]")


def assert_blanks_folded(out: str) -> None:
    assert out == out.strip()
    assert not re.search(r"[ \t\r\f\v\u00a0\u3000]{2}", out), "runs of blanks are folded to one space"
    assert not re.search(r" \n|\n ", out), "no blank next to a line break"
    assert not re.search(r"[\t\r\f\v\u3000\u00a0]", out)


@fuzz(st.text(max_size=80) | with_controls | markup().map(lambda c: c[0]))
def test_clean_text_leaves_no_control_characters(raw):
    out = clean_text(raw)
    assert not re.search(r"[\x00-\x08\x0b-\x1f]", out)
    assert out == out.strip()


@fuzz((st.text(max_size=80) | blank_heavy | markup().map(lambda c: c[0])).filter(lambda t: not NO_CONTROLS.search(t)))
def test_clean_text_folds_blanks(raw):
    assert_blanks_folded(clean_text(raw))


@fuzz(with_controls)
def test_clean_text_folds_the_blanks_left_around_a_removed_control_character(raw):
    assert_blanks_folded(clean_text(raw))


@fuzz(st.text(alphabet=st.sampled_from(["a", " ", "\x7f", "\x85", "\x9b", "\x90", "中"]), min_size=1, max_size=10))
def test_clean_text_removes_del_and_c1_control_characters_too(raw):
    assert not re.search(r"[\x7f-\x9f]", clean_text(raw))


@fuzz(st.one_of(st.text(max_size=8), st.integers(), st.floats(allow_nan=True), st.booleans(), st.none(),
                st.sampled_from(["true", "是", "否", "FALSE", " yes ", "null"])))
def test_parse_bool_answers_a_flag_or_raises_value_error(value):
    try:
        assert parse_bool(value) in (True, False, None)
    except ValueError:
        pass


# ---------------------------------------------------------------------------- keyword matcher

term = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zs", "Zl", "Zp", "Mn", "Mc", "Me")), min_size=1, max_size=6)
terms = st.lists(term, min_size=1, max_size=4)
# Around an inserted term: any text, then a space, so no normalisation joins across it.
filler = st.text(max_size=40).map(lambda t: t + " ")


@fuzz(terms, filler, filler)
def test_a_text_containing_an_any_term_matches_when_nothing_excludes_it(any_terms, before, after):
    rules = KeywordRules(any=any_terms)
    assert matches(rules, f"{before}{any_terms[-1]} {after}")


@fuzz(terms, terms, filler)
def test_a_none_term_always_excludes(any_terms, none_terms, text):
    rules = KeywordRules(any=any_terms, none=none_terms)
    assert not matches(rules, f"{text}{any_terms[0]} {none_terms[-1]} {text}")


@fuzz(terms, terms, filler)
def test_a_text_without_one_of_the_all_terms_never_matches(any_terms, all_terms, text):
    rules = KeywordRules(any=any_terms, all=all_terms)
    missing = all_terms[0]
    if fold(missing) in fold(f"{text}{any_terms[0]} {' '.join(all_terms[1:])} "):
        return  # the other words happen to spell it
    assert not matches(rules, f"{text}{any_terms[0]} {' '.join(all_terms[1:])} ")


ascii_cjk = st.text(alphabet=st.sampled_from(list("abcXYZ019 手镯之家鐲質量差")), max_size=40)


@fuzz(st.lists(st.text(alphabet=st.sampled_from(list("abcXY手镯之家")), min_size=1, max_size=4), min_size=1, max_size=3), ascii_cjk)
def test_matching_ignores_case_and_full_width_forms(any_terms, text):
    rules = KeywordRules(any=any_terms)
    full_width = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    assert matches(rules, text) == matches(rules, text.swapcase()) == matches(rules, full_width)


@fuzz(st.lists(st.tuples(terms, st.lists(term, max_size=2)), min_size=1, max_size=4), st.text(max_size=60))
def test_match_brand_picks_the_first_brand_whose_rules_match(rules, text):
    brands = [BrandConfig(id=f"b{i}", name=f"b{i}", keywords=KeywordRules(any=a, none=n)) for i, (a, n) in enumerate(rules)]
    found = match_brand(brands, text)
    first = next((b for b in brands if matches(b.keywords, text)), None)
    assert found is first


# ---------------------------------------------------------------------------- renderers

KNOWN_URLS = ["https://weibo.example/status/1", "https://m.weibo.cn/detail/4990001", "https://console.example/incidents/7",
              "https://console.example/digests/shouzhuo/2026-03-10"]
BAD_URLS = ["javascript:alert(1)", "https://evil.example/a|<!channel>", "https://evil.example/a>b<@U1>", "http://evil.example/x) [y](http://z",
            "data:text/html,<script>x</script>", "", None, 42]
HOSTILE = ["<script>alert(1)</script>", "<!channel>", "<!here|here>", "<!everyone>", "<@U123>", "<#C123|general>", "<!subteam^S1>",
           '<at user_id="all"></at>', "<at id=all></at>", "[x](http://evil.example)", "[免费](https://evil.example/a)",
           "<https://evil.example|click>", "&lt;!channel&gt;", "&#60;at id=all&#62;", "*bold*", "_it_", "~s~", "`code`", "```block```",
           "**md**", "@channel", "@here", "@everyone", "@all", "@所有人", "http://evil.example/x", "https://evil.example",
           "\u200b", "\u202e", "\ufeff", "\x00", "\x1b[2J", "\x07", "<img src=x onerror=alert(1)>", "</td></tr></table>",
           "{{ 7*7 }}", "{% raw %}", "\n", "\r\n", "|", ">", "&", "\ue000", "\ue001"]
# Tokens that are markup or a ping in Slack or Feishu: none may reach their output as typed.
# (Entities such as ``&lt;!channel&gt;`` are not among them: that is exactly how Slack
# shows a typed ``<!channel>`` as text; a '<' reaching the output is checked separately.)
LIVE = [h for h in HOSTILE if len(h) > 1 and (h[0] in "<[*_~`" or h.startswith("http"))]
PINGS = {"slack": ["@channel", "@here", "@everyone"], "feishu": ["@all", "@所有人"]}
hostile_text = st.lists(st.sampled_from(HOSTILE) | st.text(max_size=12), min_size=1, max_size=6).map(" ".join)
MARK = "QX7证据"  # starts every post text: shows the text was rendered at all


@st.composite
def notifications(draw):
    kind = draw(st.sampled_from(["alert", "escalation", "reminder", "deadline_missed", "status_update", "resolved", "ops_notice", "digest"]))
    locale = draw(st.sampled_from(["zh-CN", "en"]))
    tier = draw(st.sampled_from(["yellow", "orange", "red"]))
    text = MARK + " " + draw(hostile_text)
    note = incident_note(kind=kind, tier=tier, locale=locale, text=text, author=draw(hostile_text))
    ctx = dict(note.context)
    ctx["brand"] = {"id": "shouzhuo", "name": draw(st.sampled_from(["手镯之家", "H&M <b>", "<!channel>"])), "locale": locale}
    ctx["top_posts"] = [dict(p, url=draw(st.sampled_from(KNOWN_URLS[:2] + BAD_URLS))) for p in ctx["top_posts"]]
    ctx["trigger"] = draw(hostile_text)
    ctx["playbook"] = {"who": draw(hostile_text), "action": draw(hostile_text)}
    ctx["cause"] = draw(st.sampled_from(["product_quality", "<!channel>", "[x](http://evil.example)"]))
    at = "2026-03-10T03:00:00+00:00"
    ctx["changes"] = [{"kind": "new_posts", "posts": [dict(ctx["top_posts"][1])]}, {"kind": "new_kols", "names": [draw(hostile_text)]},
                      {"kind": "note", "at": at, "actor": draw(hostile_text), "detail": {"text": draw(hostile_text)}},
                      {"kind": "step_done", "at": at, "actor": draw(hostile_text), "step_title": draw(hostile_text)},
                      {"kind": draw(hostile_text)}]
    ctx["clock"] = dict(ctx["clock"], steps=[dict(st_, title=draw(hostile_text)) for st_ in ctx["clock"]["steps"]])
    if kind == "ops_notice":
        ctx.update(title=draw(hostile_text), lines=draw(st.lists(hostile_text, max_size=3)))
    if kind == "digest":
        ctx = {"brand": ctx["brand"], "date": "2026-03-10", "total": 12, "negative": 3, "negative_share": 25.0,
               "top_category": draw(hostile_text), "opened": 1, "resolved": 0, "kept": 0,
               "top_negative": [{"text": text, "url": draw(st.sampled_from(KNOWN_URLS[:2] + BAD_URLS)), "reposts": 3}],
               "failing_sources": [draw(hostile_text)], "digest_url": draw(st.sampled_from([None, KNOWN_URLS[3]]))}
    note = replace(note, kind=kind, tier=None if kind in ("ops_notice", "digest") else tier, context=ctx)
    payload = asdict(note)
    return Outbound(note.key, note.kind, note.tier, payload)


RENDERERS = {f: Renderer(TEMPLATES, f, public_url="https://console.example") for f in ("slack", "feishu", "plain")}


def renderer(flavour: str) -> Renderer:
    return RENDERERS[flavour]  # one per flavour, as delivery keeps them: templates compile once


def shows_posts(out: Outbound) -> bool:
    return out.kind in ("alert", "escalation", "status_update", "digest")


def assert_no_live_token(text: str, where: str, flavour: str) -> None:
    for token in LIVE + PINGS[flavour]:
        assert token not in text, f"{token!r} reached {where} as typed: {text!r}"


def assert_links_only_to_known_urls(text: str, links: list[str], where: str) -> None:
    for target in links:
        assert target in KNOWN_URLS, f"{where} links to {target!r}: {text!r}"
    bare = text
    for url in KNOWN_URLS:
        bare = bare.replace(url, "")
    assert not re.search(r"(?i)https?://", bare), f"{where} has a clickable URL from the text: {text!r}"


@fuzz(notifications())
def test_slack_messages_never_ping_link_or_format_from_post_text(out):
    msg = build_message(out, renderer("slack"))
    blocks = msg["attachments"][0]["blocks"]
    mrkdwn = [msg["text"]] + [b["text"]["text"] for b in blocks if b["type"] == "section"]
    for text in mrkdwn:
        assert not re.search(r"<[!@#]", text), f"a ping or channel link: {text!r}"
        links = re.findall(r"<([^>|]*)\|[^>]*>", text)
        assert len(links) == text.count("<"), f"a '<' that is no link: {text!r}"
        assert_links_only_to_known_urls(text, links, "Slack mrkdwn")
        assert_no_live_token(text, "Slack mrkdwn", "slack")
        assert not CONTROL.search(text.replace("\n", ""))
    header = blocks[0]["text"]["text"]
    assert blocks[0]["text"]["type"] == "plain_text" and not CONTROL.search(header)
    if shows_posts(out):
        assert MARK in "\n".join(mrkdwn)


@fuzz(notifications())
def test_feishu_cards_never_ping_link_or_format_from_post_text(out):
    card = build_card(out, renderer("feishu"))
    md = [e["text"]["content"] for e in card["elements"] if e.get("tag") == "div"]
    for text in md:
        assert "<" not in text and ">" not in text, f"markup characters reach lark_md: {text!r}"
        links = re.findall(r"\]\(([^)]*)\)", text)
        assert_links_only_to_known_urls(text, links, "Feishu lark_md")
        assert_no_live_token(text, "Feishu lark_md", "feishu")
        assert not CONTROL.search(text.replace("\n", ""))
    assert card["header"]["title"]["tag"] == "plain_text" and not CONTROL.search(card["header"]["title"]["content"])
    if shows_posts(out):
        assert MARK in "\n".join(md)


@fuzz(notifications())
def test_console_and_file_output_show_the_text_as_typed_without_control_characters(out):
    stream = io.StringIO()
    assert ConsoleChannel("c", stream).send(out, renderer("plain")).ok
    shown = stream.getvalue()
    assert not CONTROL.search(shown.replace("\n", "")), "a terminal escape or control character reached the console"
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "alerts.jsonl"
        channel = FileChannel("f", path)
        assert channel.send(out, renderer("plain")).ok and channel.send(out, renderer("plain")).ok
        lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "" and len(lines) == 3, "one JSON line per message, whatever the text holds"
    record = json.loads(lines[0])
    assert record["key"] == out.key
    for field in ("title", "text", "statement"):
        assert not CONTROL.search((record[field] or "").replace("\n", ""))
    if shows_posts(out):
        assert MARK in shown and MARK in record["text"]


# ---------------------------------------------------------------------------- digest page


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: set[str] = set()
        self.attrs: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]

    def handle_data(self, data):
        self.text.append(data)


DIGEST_CFG = parse_config("database: {url: 'sqlite:///:memory:'}\nbrands:\n  - {id: s, name: 手镯之家, keywords: {any: [手镯之家]}}\n")


def digest_data(s, url, locale: str) -> dict:
    post = {"text": s(), "url": url(), "author_name": s(), "followers": 10, "kol": True, "reposts": 1, "comments": 2, "likes": 3,
            "reach": 6, "sentiment": 0.1, "category": s(), "published_at": "2026-03-10T01:00:00+00:00", "source_id": s()}
    incident = {"id": 7, "cause": s(), "cause_label": s(), "tier": s(), "tier_label": s(), "status": "open", "status_label": s(),
                "opened_at": "2026-03-10T01:00:00+00:00", "resolved_at": None, "opened_today": True, "resolved_today": False,
                "time_to_ack": s(), "time_to_first_response": s(), "clock": "missed", "clock_kept": False, "missed_steps": [s()],
                "resolution": s()}
    return {
        "brand": {"id": "s", "name": s(), "locale": locale}, "date": "2026-03-10",
        "days": [{"date": f"2026-03-0{i + 1}", "label": s(), "mentions": i * 10, "negative": i, "share": 0.1} for i in range(7)],
        "total": 60, "negative": 6, "negative_share": 0.1, "sentiment_bins": [1] * 10,
        "categories": [{"id": s(), "label": s(), "count": 3}, {"id": "other", "label": s(), "count": 1}],
        "top_negative": [post], "kol_mentions": [dict(post)],
        "incidents": {"rows": [incident], "opened": [incident], "resolved": []}, "kept": 0,
        "sources": [{"id": s(), "kind": s(), "ok": False, "last_run": "2026-03-10T01:00:00+00:00", "last_success": None, "items": 0,
                     "error": s(), "streak": 3}],
        "negative_below": 0.35,
    }


BENIGN = {loc: Page() for loc in ("zh-CN", "en")}
for _loc, _page in BENIGN.items():
    from monitor.digest import render_html

    _page.feed(render_html(digest_data(lambda: "ok", lambda: KNOWN_URLS[0], _loc), DIGEST_CFG))


@fuzz(st.data(), st.sampled_from(["zh-CN", "en"]))
def test_the_digest_page_shows_hostile_text_as_text_only(data, locale):
    from monitor.digest import render_html

    shown: list[str] = []

    def s() -> str:
        value = MARK + draw_text()
        shown.append(value)
        return value

    def draw_text() -> str:
        return data.draw(hostile_text)

    d = digest_data(s, lambda: data.draw(st.sampled_from(KNOWN_URLS[:2] + BAD_URLS)), locale)
    out = render_html(d, DIGEST_CFG)
    page = Page()
    page.feed(out)
    page.close()
    benign = BENIGN[locale]
    assert page.tags <= benign.tags, f"new elements: {page.tags - benign.tags}"
    assert {(t, k) for t, k, _ in page.attrs} <= {(t, k) for t, k, _ in benign.attrs}, "new attributes"
    for tag, name, value in page.attrs:
        if name in ("href", "src"):
            assert value in KNOWN_URLS, f"{tag} {name}={value!r}"
    assert not re.search(r"(?i)<script", out)
    text = "".join(page.text)
    assert MARK in text
    # The post text is shown (its first 120 characters) as text, whatever it holds.
    assert " ".join(shown[0][:120].split()) in " ".join(text.split())
