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


def test_english_is_scored_by_a_learnt_three_way_model(scorer):
    assert scorer.score("My order was delayed three weeks and support never answered", "en") < 0.4
    assert scorer.score("Thanks, the staff was awesome!", "en") > 0.6
    assert 0.4 <= scorer.score("New collection drops Friday at 8pm", "en") <= 0.6


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
    assert [(r["negative"], r["polarity"], r["category"], r["language"]) for r in lines] == [
        (True, "negative", "product_quality", "zh"), (False, "positive", None, "zh")]
    assert set(lines[0]) == {"text", "language", "sentiment", "polarity", "negative", "category"}


def test_a_brand_adapted_model_is_selected_by_config(tmp_path):
    pos = tmp_path / "pos.txt"
    neg = tmp_path / "neg.txt"
    # A brand where "翡翠绿" is praise and "发灰" a complaint; the bundled model knows neither.
    pos.write_text("\n".join(["翡翠绿 真美", "翡翠绿 太好看", "颜色 翡翠绿", "翡翠绿 喜欢"] * 20))
    neg.write_text("\n".join(["发灰 难看", "颜色 发灰", "发灰 退了", "发灰 失望"] * 20))
    out = tmp_path / "brand.json.gz"
    result = CliRunner().invoke(main, ["train-sentiment", "--pos", str(pos), "--neg", str(neg), "--out", str(out),
                                       "--config", str(tmp_path / "none.yaml")])
    assert result.exit_code == 0, result.output
    assert "held back" in result.output and out.exists()
    from monitor.config import parse_config

    brand = "brands:\n  - {id: b, name: B, keywords: {any: [b]}}\n"
    custom = Scorer(parse_config(brand + f"scoring: {{model: {out}}}\n", base_dir=tmp_path))
    assert custom.sentiment("这个颜色发灰", "zh") < 0.4 < 0.6 < custom.sentiment("这个颜色翡翠绿", "zh")
    # What the bundled model knew stays: an announcement is still neutral, a complaint negative.
    assert custom.polarity(custom.sentiment("新款周五晚上八点上架", "zh")) == "neutral"
    assert custom.sentiment("快递太慢了，等了一周都没到", "zh") < 0.4


def test_adapting_on_a_few_texts_warns_with_the_counts(tmp_path):
    (tmp_path / "neg.txt").write_text("发灰 难看\n颜色 发灰\n")
    (tmp_path / "pos.txt").write_text("翡翠绿 真美\n")
    result = CliRunner().invoke(main, ["train-sentiment", "--pos", str(tmp_path / "pos.txt"), "--neg",
                                       str(tmp_path / "neg.txt"), "--out", str(tmp_path / "m.json.gz"),
                                       "--config", str(tmp_path / "none.yaml")])
    assert result.exit_code == 0, result.output
    assert "only 1 texts in the smallest class" in result.output
    assert "too few texts to hold some back" in result.output


def test_a_missing_model_file_is_a_clear_error(tmp_path):
    from monitor.config import ConfigError, parse_config

    text = "brands:\n  - {id: b, name: B, keywords: {any: [b]}}\nscoring: {model: nope.json.gz}\n"
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


def test_a_model_file_of_another_kind_is_named_as_such(tmp_path):
    from monitor.config import ConfigError, parse_config

    (tmp_path / "old.marshal.3").write_bytes(b"\x1f\x8b not a repmon model")
    text = "brands:\n  - {id: b, name: B, keywords: {any: [b]}}\nscoring: {model_en: old.marshal.3}\n"
    with pytest.raises(ConfigError, match="scoring.model_en: .*old.marshal.3 is not a repmon sentiment model"):
        parse_config(text, base_dir=tmp_path)


# --------------------------------------------------------------------------- three-way judgement

@pytest.fixture(scope="module")
def full_scorer():
    from monitor.config import parse_config

    return Scorer(parse_config("brands:\n  - {id: b, name: B, keywords: {any: [b]}}\n"))


@pytest.mark.parametrize(("text", "polarity"), [
    ("手镯之家新款周五晚上八点上架", "neutral"), ("吴江，11月24日，周二，空气质量指数：15，空气质量：优。", "neutral"),
    ("使用温度可达150℃-450℃。", "neutral"), ("手镯很漂亮，做工精致，非常满意", "positive"),
    ("大家避雷这家店，质量太差了[怒]", "negative"), ("New collection drops Friday at 8pm", "neutral"),
    ("Love it, awesome bracelet", "positive"), ("Worst service ever, I want my money back", "negative"),
])
def test_each_mention_is_negative_neutral_or_positive(full_scorer, text, polarity):
    score = full_scorer.score(text, brand=full_scorer.config.brands[0])
    assert score.polarity == polarity
    assert score.negative == (polarity == "negative")


@pytest.mark.parametrize("text", ["可以退货吗？", "退货流程是怎样的？", "手镯之家的发票怎么开", "how do I return this?",
                                  "what time does the store open?"])
def test_questions_without_a_complaint_are_neutral(full_scorer, text):
    assert full_scorer.score(text, brand=full_scorer.config.brands[0]).polarity == "neutral"


@pytest.mark.parametrize("text", ["为什么戴三天就断了？", "why did it break after 3 days?"])
def test_questions_that_carry_a_complaint_stay_negative(full_scorer, text):
    assert full_scorer.score(text, brand=full_scorer.config.brands[0]).polarity == "negative"


def test_a_mild_mixed_experience_is_not_strongly_negative(full_scorer):
    assert full_scorer.sentiment("手镯之家的售后还行，尺寸不合适给换了，就是等了几天", "zh") >= 0.25


@pytest.mark.parametrize("text", ["质量真好，戴了一天就断了，谢谢啊", "Great quality, it broke after one day. Thanks a lot."])
def test_praise_around_a_breakage_is_sarcasm_and_negative(full_scorer, scorer, text):
    assert full_scorer.score(text, brand=full_scorer.config.brands[0]).negative
    assert scorer.judge(text, detect_language(text)).cue is not None


@pytest.mark.parametrize(("text", "language"), [("戴了两年都没断，很结实", "zh"), ("不会断，放心", "zh"),
                                              ("It never broke, two years in", "en"), ("it did not break", "en")])
def test_a_negated_breakage_is_not_taken_for_a_failure(scorer, text, language):
    assert scorer.judge(text, language).cue is None


def test_a_category_word_in_a_neutral_post_makes_no_complaint(full_scorer):
    score = full_scorer.score("吴江，11月24日，周二，空气质量指数：15，空气质量：优。", brand=full_scorer.config.brands[0])
    assert (score.negative, score.category) == (False, None)
    assert full_scorer.category("今天空气质量很差，手镯断了") == "product_quality"
    assert full_scorer.category("这里空气质量太差了") == "other"


@pytest.mark.parametrize(("text", "category"), [
    ("terrible quality", "product_quality"), ("the bracelet fell apart", "product_quality"),
    ("package never arrived", "logistics"), ("refund refused again", "after_sales"), ("I was overcharged", "price"),
    ("the site keeps crashing", "website"), ("they sent the wrong item", "order_error"),
])
def test_english_complaints_get_their_category(full_scorer, text, category):
    score = full_scorer.score(text, brand=full_scorer.config.brands[0])
    assert (score.negative, score.category) == (True, category)


def test_a_linear_model_file_round_trips_and_refuses_other_files(tmp_path):
    from monitor.sentiment.linear import LinearModel, ModelFileError

    model = LinearModel("zh", {"w:好": (-1.0, 0.0, 1.0)}, (0.0, 0.5, 0.0), {"trained": "today"})
    model.save(tmp_path / "m.json.gz")
    back = LinearModel.load(tmp_path / "m.json.gz")
    assert back.weights == model.weights and back.bias == model.bias and back.meta == model.meta
    assert back.proba({"w:好": 1.0})[2] > back.proba({})[2]
    (tmp_path / "junk.json.gz").write_text("{}")
    with pytest.raises(ModelFileError, match="junk.json.gz is not a repmon sentiment model"):
        LinearModel.load(tmp_path / "junk.json.gz")


# --------------------------------------------------------------------------- rebuilding from public data

def _public_data(root: Path) -> Path:
    """A tiny folder laid out as shared/data (made-up texts, a few dozen per file)."""
    neg = ["质量太差了，气死了", "客服不理人，垃圾", "快递太慢，差评", "手镯断了，失望", "退款被拒，骗子"]
    neu = ["请问门店几点开门", "新款周五上架", "今天去了商场", "这个多少钱", "明天发货吗"]
    pos = ["很喜欢，好评", "做工精致，满意", "客服很耐心，赞", "包装漂亮，推荐", "物超所值，回购"]
    (root / "sentiment").mkdir(parents=True)
    (root / "sentiment_neutral").mkdir()

    def rows(texts, n):
        return [f"{t}{i}" for i in range(n) for t in texts]

    smp = [("angry", t) for t in rows(neg, 12)] + [("neutral", t) for t in rows(neu, 12)] + [("happy", t) for t in rows(pos, 12)]
    for which, part in (("train", smp[::2]), ("eval", smp[1::2])):
        (root / "sentiment_neutral" / f"smp2020ewect_virus_{which}.tsv").write_text(
            "label\ttext\n" + "".join(f"{label}\t{text}\n" for label, text in part), encoding="utf-8")
    (root / "sentiment_neutral" / "atec_customer_questions.tsv").write_text(
        "label\ttext\n" + "".join(f"question\t{t}\n" for t in rows(neu, 8)), encoding="utf-8")
    (root / "sentiment" / "weibo_senti_dev.tsv").write_text(
        "label\tx_valid\n" + "".join(f"0\t{t}\n" for t in rows(neg, 6)) + "".join(f"1\t{t}\n" for t in rows(pos, 6)),
        encoding="utf-8")
    (root / "sentiment" / "online_shopping_dev.csv").write_text(
        "cat,label,review\n" + "".join(f"手机,0,{t}\n" for t in rows(neg, 6)) + "".join(f"水果,1,{t}\n" for t in rows(pos, 6)),
        encoding="utf-8")
    (root / "sentiment" / "waimai_10k.csv").write_text(
        "label,review\n" + "".join(f"0,{t}\n" for t in rows(neg, 4)) + "".join(f"1,{t}\n" for t in rows(pos, 4)),
        encoding="utf-8")
    tweets = [("negative", f"the bracelet broke again {i}") for i in range(30)] + [
        ("neutral", f"what time does the store open {i}") for i in range(30)] + [("positive", f"love it, thanks {i}") for i in range(30)]
    (root / "sentiment" / "airline_tweets.csv").write_text(
        "tweet_id,airline_sentiment,negativereason,airline,text,tweet_created\n"
        + "".join(f"{i},{label},,{'Delta' if i % 2 else 'United'},{text},x\n" for i, (label, text) in enumerate(tweets)),
        encoding="utf-8")
    return root


@pytest.mark.parametrize(("lang", "says"), [("zh", "SMP2020-EWECT eval: neutral posts called negative"),
                                            ("en", "airline tweets (test split): negative F1")])
def test_a_model_is_rebuilt_from_a_public_data_folder_and_reports_its_held_apart_figures(tmp_path, lang, says):
    data = _public_data(tmp_path / "shared")
    out = tmp_path / f"{lang}.json.gz"
    result = CliRunner().invoke(main, ["train-sentiment", "--lang", lang, "--public-data", str(data), "--out", str(out),
                                       "--config", str(tmp_path / "none.yaml")])
    assert result.exit_code == 0, result.output
    assert says in result.output and "truth / called" in result.output
    from monitor.sentiment.linear import LinearModel

    model = LinearModel.load(out)
    assert model.language == lang and model.meta["split"].startswith("blake2b")


def test_a_public_data_folder_missing_a_set_is_named(tmp_path):
    data = _public_data(tmp_path / "shared")
    (data / "sentiment" / "waimai_10k.csv").unlink()
    result = CliRunner().invoke(main, ["train-sentiment", "--public-data", str(data), "--out", str(tmp_path / "m.json.gz"),
                                       "--config", str(tmp_path / "none.yaml")])
    assert result.exit_code == 2 and "waimai_10k.csv not found" in result.output
