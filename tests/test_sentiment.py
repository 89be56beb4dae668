from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.scoring import Scorer, detect_language
from monitor.sentiment import SentimentScorer, tokens


@pytest.fixture(scope="module")
def scorer():
    return SentimentScorer()


@pytest.mark.parametrize("text", ["手镯之家的手镯断裂了，客服还推脱，气死了", "快递太慢了，等了一周都没到", "大家避雷这家店[怒]"])
def test_chinese_complaints_are_negative(scorer, text):
    assert scorer.score(text, "zh") < 0.4


@pytest.mark.parametrize("text", ["手镯很漂亮，做工精致，非常满意", "客服很耐心，好评！", "收到了，很喜欢[哈哈]"])
def test_chinese_praise_is_positive(scorer, text):
    assert scorer.score(text, "zh") > 0.6


def test_weibo_emoticons_carry_their_signal(scorer):
    base = "今天去了手镯之家"
    assert scorer.score(base + "[怒][抓狂]", "zh") < scorer.score(base, "zh") < scorer.score(base + "[哈哈][爱你]", "zh")


def test_a_negation_attaches_to_the_word_it_negates():
    assert "不_满意" in tokens("我很不满意") or "不满意" in tokens("我很不满意")
    assert any(t.startswith("不_") for t in tokens("质量没有想象的好"))


def test_english_goes_through_vader_with_a_complaint_lexicon(scorer):
    assert scorer.score("My flight was delayed three hours and they lost my luggage", "en") < 0.4
    assert scorer.score("Thanks, the crew was awesome!", "en") > 0.6


def test_language_is_detected_per_mention():
    texts = ("手镯断了", "it broke", "1234 !!", "手镯 broke 了", "Pandora的手镯断了，太差了", "iPhone 15 Pro 质量太差",
             "Just got my 手镯 from the shop and it is lovely")
    assert [detect_language(t) for t in texts] == ["zh", "en", "other", "mixed", "zh", "mixed", "en"]


def test_mixed_text_is_scored_by_both_models_by_their_share(scorer):
    assert scorer.score("iPhone 15 Pro 质量太差，断裂了，垃圾", "mixed") < 0.4
    assert scorer.score("Love it, awesome 手镯 好评", "mixed") > 0.6
    assert scorer.score("随便 whatever", "other") == 0.5


def test_score_reads_stdin_and_prints_one_json_object_per_line(tmp_path):
    cfg = tmp_path / "c.yaml"
    cfg.write_text("brands:\n  - {id: b, name: B, keywords: {any: [b]}}\nscoring: {negative_below: 0.4}\n")
    result = CliRunner().invoke(main, ["score", "--config", str(cfg)], input="手镯断裂了，质量太差\n\n很喜欢，好评\n")
    lines = [json.loads(x) for x in result.output.splitlines()]
    assert [(r["negative"], r["category"], r["language"]) for r in lines] == [(True, "product_quality", "zh"), (False, None, "zh")]
    assert set(lines[0]) == {"text", "language", "sentiment", "negative", "category"}


def test_a_brand_trained_model_is_selected_by_config(tmp_path):
    pos = tmp_path / "pos.txt"
    neg = tmp_path / "neg.txt"
    # A brand where "翡翠绿" is praise and "发灰" a complaint; the default model knows neither.
    pos.write_text("\n".join(["翡翠绿 真美", "翡翠绿 太好看", "颜色 翡翠绿", "翡翠绿 喜欢"] * 20))
    neg.write_text("\n".join(["发灰 难看", "颜色 发灰", "发灰 退了", "发灰 失望"] * 20))
    out = tmp_path / "brand.marshal"
    result = CliRunner().invoke(main, ["train-sentiment", "--pos", str(pos), "--neg", str(neg), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "brand.marshal.3").exists()
    from monitor.config import parse_config

    brand = "brands:\n  - {id: b, name: B, keywords: {any: [b]}}\n"
    custom = Scorer(parse_config(brand + f"scoring: {{model: {out}}}\n", base_dir=tmp_path))
    assert custom.sentiment("这个颜色发灰", "zh") < 0.4 < custom.sentiment("这个颜色翡翠绿", "zh")


def test_a_missing_model_file_is_a_clear_error(tmp_path):
    from monitor.config import ConfigError, parse_config

    text = "brands:\n  - {id: b, name: B, keywords: {any: [b]}}\nscoring: {model: nope.marshal}\n"
    with pytest.raises(ConfigError, match="scoring.model: no sentiment model"):
        parse_config(text, base_dir=tmp_path)
    cfg = parse_config(text, base_dir=tmp_path, check_files=False)
    with pytest.raises(FileNotFoundError, match="scoring.model: no sentiment model"):
        Scorer(cfg)


FIXTURES = Path(__file__).parent / "fixtures" / "sentiment"


def _lines(name: str) -> list[str]:
    return [t for t in (FIXTURES / name).read_text(encoding="utf-8").splitlines() if t.strip()]


def test_ordinary_brand_posts_are_rarely_negative(scorer):
    # Hand-written questions, announcements and shopping chit-chat about a brand, some praise.
    posts = _lines("neutral_zh.txt")
    assert len(posts) >= 60
    flagged = [t for t in posts if scorer.score(t, "zh") < 0.4]
    assert len(flagged) <= 0.10 * len(posts), flagged


def test_complaints_are_almost_all_negative(scorer):
    # Hand-written complaints: quality, delivery, service, price, app, order errors.
    posts = _lines("complaints_zh.txt")
    assert len(posts) >= 40
    missed = [t for t in posts if scorer.score(t, "zh") >= 0.4]
    assert len(missed) <= 0.10 * len(posts), missed


@pytest.mark.parametrize("text", ["手镯之家", "请问手镯之家几点开门？", "直播间今晚有活动", "abc手镯xyz之家", "周五 周六"])
def test_a_text_without_sentiment_evidence_is_neutral_not_negative(scorer, text):
    assert 0.45 <= scorer.score(text, "zh") <= 0.6


@pytest.mark.parametrize(("traditional", "simple"), [
    ("錯發了款式", "错发了款式"), ("手鐲斷裂了，客服還推脫", "手镯断裂了，客服还推脱"),
    ("這款手鐲真的很漂亮，非常滿意", "这款手镯真的很漂亮，非常满意"), ("請問門市幾點關門？", "请问门市几点关门？"),
])
def test_traditional_characters_score_as_simplified(scorer, traditional, simple):
    assert scorer.score(traditional, "zh") == pytest.approx(scorer.score(simple, "zh"))
    assert tokens(traditional) == tokens(simple)


def test_negated_praise_counts_against_and_a_missing_reply_is_no_praise(scorer):
    for text in ("不推荐", "一点都不好吃", "很不开心", "不是很满意"):
        assert scorer.score(text, "zh") < 0.4, text
    assert scorer.score("客服到现在都没有回复", "zh") < 0.5
