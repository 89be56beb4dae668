"""Templates through the real renderers, with hostile post text."""

from __future__ import annotations

import re
from dataclasses import asdict
from pathlib import Path

import pytest

from alerts.render import Renderer, escape_feishu, escape_slack
from tests.support.alert_samples import incident_note

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def render(kind="alert", flavour="slack", tier="red", locale="zh-CN", mention_all="", **kw):
    note = incident_note(kind=kind, tier=tier, locale=locale, **kw)
    renderer = Renderer(TEMPLATES, flavour, public_url="https://repmon.example.com/")
    return renderer.render(asdict(note), mention_all=mention_all)


def all_text(r) -> str:
    return "\n".join(x for x in (r.title, r.body, r.statement) if x)


@pytest.mark.parametrize("kind", ["alert", "escalation", "reminder", "deadline_missed", "status_update", "resolved"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_hostile_post_text_cannot_ping_or_link_in_slack(kind, locale):
    text = all_text(render(kind, "slack", locale=locale))
    assert "<!channel>" not in text and "<!here>" not in text and "<@U" not in text
    assert "<https://evil" not in text and "|click me>" not in text
    assert "https://phish" not in text  # bare URLs are defused
    # The only links are the ones the template makes from safe URLs.
    for link in re.findall(r"<([^>]+)>", text):
        assert link.startswith(("https://weibo.example/status/", "https://repmon.example.com/incidents/"))


@pytest.mark.parametrize("kind", ["alert", "escalation", "reminder", "deadline_missed", "status_update", "resolved"])
def test_hostile_post_text_cannot_mention_all_or_link_in_feishu(kind):
    text = all_text(render(kind, "feishu"))
    assert "<at" not in text and "](http://evil" not in text
    assert "[免费领取](" not in text  # the post's link markup is broken up, not a link
    for target in re.findall(r"\]\((\S+?)\)", text):
        assert target.startswith(("https://weibo.example/status/", "https://repmon.example.com/incidents/"))


def test_an_alert_carries_what_the_team_needs():
    r = render("alert", "plain")
    text = all_text(r)
    assert r.title.startswith("【红色预警】手镯之家：产品质量")
    for needle in ("负面声量（24小时）：678", "KOL", "珠宝测评师老王", "860,000", "转发 160", "https://weibo.example/status/1",
                   "黄金四小时", "下一步：私信联系发帖人", "处置预案：危机小组", "https://repmon.example.com/incidents/7"):
        assert needle in text, needle
    assert "致歉声明" in r.statement and "补偿措施" in r.statement


@pytest.mark.parametrize("tier,needle", [("yellow", "私信"), ("orange", "说明"), ("red", "致歉声明")])
def test_each_tier_has_its_own_draft_statement(tier, needle):
    assert needle in render("alert", "plain", tier=tier).statement


def test_english_brands_get_english_templates():
    r = render("alert", "plain", locale="en")
    assert r.title.startswith("[RED] 手镯之家: negative talk about product quality")
    assert "An apology from 手镯之家" in r.statement


def test_everyone_is_pinged_only_when_the_channel_passes_it():
    assert "<!channel>" not in all_text(render("alert", "slack"))
    assert "<!channel>" in render("alert", "slack", mention_all="<!channel>").body


def test_huge_text_is_capped_and_control_characters_removed():
    # ops notices print their lines in full, so this text reaches the cap through the real template.
    line = "\x00\x1b[31m" + "断" * 50_000 + "\x07"
    r = Renderer(TEMPLATES, "slack", max_chars=6000).render(
        {"kind": "ops_notice", "context": {"title": "source weibo keeps failing", "lines": [line, line]}})
    assert len(r.body) == 6000 and r.body.endswith("…")
    assert "\x00" not in r.body and "\x1b" not in r.body and "\x07" not in r.body
    assert "断" * 5000 in r.body


def test_a_broken_template_still_delivers_the_essentials(tmp_path):
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "alert.j2").write_text("{{ brand.name }} {% if %}")
    r = Renderer(tmp_path, "plain").render(asdict(incident_note()))
    assert "手镯之家" in r.title and "template error" in r.body


def test_templates_cannot_reach_python_internals(tmp_path):
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "alert.j2").write_text("{{ brand.name }}\n{{ ''.__class__.__mro__[1].__subclasses__() }}")
    r = Renderer(tmp_path, "plain").render(asdict(incident_note()))
    assert "<class" not in all_text(r) and "subclasses" not in all_text(r)
    # The alert still goes out, with the essentials and a note naming the refusal.
    assert "手镯之家" in r.title and "template error: SecurityError" in r.body


HOSTILE_TEMPLATES = {
    "string multiplication": "{{ 'x' * 200000000 }}",
    "list multiplication": "{{ [1, 2, 3] * 100000000 }}",
    "a list of huge strings": "{% set s = 'x' * 100000 %}{{ [s] * 10000 }}",
    "nested ranges that print": "{% for i in range(100000) %}{% for j in range(100000) %}xxxxxxxxxx{% endfor %}{% endfor %}",
    "nested loops within the range cap": "{% for i in range(10000) %}{% for j in range(10000) %}x{% endfor %}{% endfor %}",
    "loops that print nothing": "{% for i in range(10000) %}{% for j in range(10000) %}{% endfor %}{% endfor %}",
    "loops captured by a filter block":
        "{% filter upper %}{% for i in range(10000) %}{% for j in range(10000) %}xxxxxxxxxx{% endfor %}{% endfor %}{% endfilter %}",
    "doubling with ~": "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}",
    "doubling with +": "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}{{ ns.s }}",
    "exponential macro calls": "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
    "a huge power": "{{ 2 ** 1000000000 }}",
    "padding filter": "{{ 'x' | center(1000000000) }}",
    "padding method": "{{ 'x'.rjust(1000000000) }}",
    "format width": "{{ '{:>999999999}'.format(1) }}",
    "percent width": "{{ '%999999999s' % 1 }}",
    "many format fields": "{{ ('{0}' * 25000).format('x' * 100000) }}",
    "replace blow-up": "{{ ('x' * 100000).replace('x', 'x' * 100000) }}",
    "lipsum": "{{ lipsum(1000000) }}",
    "sum of lists": "{{ ('x' * 100000) | batch(1) | sum(start=[]) }}",
}


@pytest.mark.parametrize("source", HOSTILE_TEMPLATES.values(), ids=HOSTILE_TEMPLATES.keys())
def test_a_runaway_template_stops_quickly_and_small(tmp_path, source):
    import time
    import tracemalloc

    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "alert.j2").write_text("{{ brand.name }}\n" + source)
    renderer = Renderer(tmp_path, "plain", max_chars=6000)
    renderer.render(asdict(incident_note()))  # compile once: the cost of a first compile is not the point
    started = time.perf_counter()
    r = renderer.render(asdict(incident_note()))
    assert time.perf_counter() - started < 0.5
    tracemalloc.start()
    try:
        renderer.render(asdict(incident_note()))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000
    assert len(r.body) <= 6000
    # Either the sandbox refused it (and the alert went out with the essentials) or the output was cut.
    assert "template error" in r.body or r.body.endswith("…")


def test_long_output_is_cut_at_the_cap_while_rendering(tmp_path):
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "alert.j2").write_text("title\n{% for i in range(10000) %}{{ i }}, {% endfor %}")
    r = Renderer(tmp_path, "plain", max_chars=1000).render(asdict(incident_note()))
    assert len(r.body) == 1000 and r.body.startswith("0, 1, 2, ") and r.body.endswith("…")


def test_ordinary_template_logic_still_works(tmp_path):
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "alert.j2").write_text(
        "{{ brand.name ~ '!' }}\n{{ '-' * 3 }} {{ [1, 2] + [3] }} {{ 2 ** 10 }} {{ '%s=%d' % ('n', 5) }} {{ '{}/{}'.format(1, 2) }}"
        " {% for i in range(3) %}{{ i }}{% endfor %} {{ top_posts | map(attribute='reposts') | join('+') }}"
        " {% macro m(x) %}<{{ x }}>{% endmacro %}{{ m('k') }} {{ 'ab' | center(6) }}|")
    r = Renderer(tmp_path, "plain").render(asdict(incident_note()))
    assert r.title == "手镯之家!"
    assert r.body == "--- [1, 2, 3] 1024 n=5 1/2 012 160+160 <k>   ab  |"


def test_slack_and_feishu_escaping_keep_the_words():
    assert "手镯" in escape_slack("<b>手镯</b>") and "<" not in escape_slack("<b>手镯</b>")
    assert escape_feishu("[x](http://a)") == "[x]\u200b(http:\u200b//a)"
    assert escape_feishu("<at id=all></at>") == "&#60;at id=all&#62;&#60;/at&#62;"
    # Text that already looks like an entity keeps showing as typed.
    assert escape_feishu("&#60;at id=all&#62;") == "&\u200b#60;at id=all&\u200b#62;"


BRAND = "H&M (旗舰店)_official <b>"


@pytest.mark.parametrize("flavour", ["slack", "feishu", "plain"])
@pytest.mark.parametrize("locale", ["zh-CN", "en"])
def test_titles_are_plain_text_and_bodies_show_no_escape_artefacts(flavour, locale):
    note = incident_note(locale=locale, brand={"id": "hm", "name": BRAND, "locale": locale})
    r = Renderer(TEMPLATES, flavour).render(asdict(note))
    # The title goes into plain-text fields (Slack header, Feishu card header): shown as typed.
    assert BRAND in r.title
    # The body shows the name without stray backslashes or doubled escapes.
    shown = r.body.replace("\u200b", "")
    if flavour == "feishu":
        assert "H&M (旗舰店)_official &#60;b&#62;" in shown and "\\" not in r.body
    elif flavour == "slack":
        assert "H&amp;M (旗舰店)_official &lt;b&gt;" in shown  # Slack mrkdwn shows these as & < >
    else:
        assert BRAND in r.body


def test_the_slack_header_and_feishu_card_header_carry_the_plain_title():
    from alerts.base import Outbound
    from alerts.feishu import build_card
    from alerts.slack import build_message

    note = incident_note(brand={"id": "hm", "name": "H&M (旗舰店)_official <!channel>", "locale": "zh-CN"})
    out = Outbound(note.key, note.kind, note.tier, asdict(note))
    card = build_card(out, Renderer(TEMPLATES, "feishu"))
    assert card["header"]["title"]["content"].startswith("【红色预警】H&M (旗舰店)_official <!channel>：")
    slack = build_message(out, Renderer(TEMPLATES, "slack"))
    header = slack["attachments"][0]["blocks"][0]
    assert header["type"] == "header" and header["text"]["text"].startswith("【红色预警】H&M (旗舰店)_official <!channel>：")
    # The notification text is mrkdwn: the same title, escaped, so it cannot ping.
    assert "<!channel>" not in slack["text"] and "H&amp;M" in slack["text"]


def test_a_ping_in_the_first_line_does_not_end_up_in_the_plain_title(tmp_path):
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "alert.j2").write_text("{{ mention_all }}title {{ link('https://a.example/x', 'x') }}\nbody")
    r = Renderer(tmp_path, "slack").render(asdict(incident_note()), mention_all="<!channel>")
    assert r.title == "title x (https://a.example/x)" and r.body == "body"


def test_output_cut_inside_a_value_still_escapes_its_tail(tmp_path):
    (tmp_path / "zh-CN").mkdir()
    (tmp_path / "zh-CN" / "alert.j2").write_text("title\n{{ top_posts[1].text * 200 }}")
    r = Renderer(tmp_path, "slack", max_chars=700).render(asdict(incident_note()))
    assert len(r.body) <= 700 and r.body.endswith("…")
    assert "<!channel>" not in r.body and "<@U" not in r.body and "\ue000" not in r.body


@pytest.mark.parametrize("locale,also,to_next", [
    ("zh-CN", "本通知同时发送给橙色等级的负责人", "事件已是最高等级"),
    ("en", "also goes to the ORANGE tier's route", "already at the highest tier"),
])
def test_a_missed_deadline_says_it_goes_up_a_tier_only_when_there_is_one(locale, also, to_next):
    from dataclasses import replace

    renderer = Renderer(TEMPLATES, "feishu")
    yellow = renderer.render(asdict(replace(incident_note("deadline_missed", tier="yellow", locale=locale), also_tiers=("orange",))),
                             mention_all="<at id=all></at>")
    assert also in yellow.body and to_next not in yellow.body
    # The ping is in the body (a card header is plain text and cannot ping).
    assert "<at id=all></at>" in yellow.body and "<at" not in yellow.title
    red = renderer.render(asdict(incident_note("deadline_missed", tier="red", locale=locale)))
    assert to_next in red.body and also not in red.body


@pytest.mark.parametrize("locale,needle", [("zh-CN", "等级由橙色升为红色"), ("en", "Tier rose from ORANGE to RED")])
def test_escalations_name_tiers_in_the_brands_language(locale, needle):
    text = all_text(render("escalation", "plain", locale=locale))
    assert needle in text and "orange" not in text
