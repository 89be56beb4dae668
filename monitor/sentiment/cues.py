"""Cues the learned models cannot be trusted to see for themselves. Pure.

- **Failure events** (``断了``, ``掉色``, ``stopped working``, ``never arrived`` …): a post that
  reports something broke or failed is a complaint however politely it is worded —
  ``质量真好，戴了一天就断了，谢谢啊`` / ``Great quality, it broke after one day. Thanks a
  lot.`` is sarcasm, and the praise words around it would otherwise win. The training sets
  hold too few such posts for a model to learn it, so the rule is written down: an event
  that is not negated (``不会断``, ``never broke``) caps the sentiment below the negative cut.
- **Questions** (``可以退货吗？``, ``how do I return this?``) are features of the models,
  learned from customer questions; here they are only detected.
"""

from __future__ import annotations

import re

# Failure and breakage events in folded (simplified, lower-case) Chinese.
FAILURE_ZH = (
    "断了", "断裂", "断掉", "坏了", "坏掉", "裂了", "裂开", "开裂", "裂纹", "掉色", "褪色", "发黑", "变黑", "脱落", "掉钻",
    "变形", "生锈", "起球", "开线", "漏水", "用不了", "不能用了", "打不开", "闪退", "死机", "没收到", "丢件", "破损",
    "碎了", "烂了", "失灵", "罢工", "氧化了", "过敏了", "掉漆", "磨损了", "松动了", "松了", "钻掉了", "扣子开了",
    # service failures: nobody answers
    "没有回复", "没回复", "不回复", "没人回", "没人解释", "没人理", "没人管", "联系不上",
)
# Longer words that contain an event but mean something else (切断 cut off, 判断 judge,
# 乐坏了 delighted, 操碎了心 worried sick).
NOT_FAILURE_ZH = (
    "切断", "中断", "打断", "判断", "诊断", "垄断", "间断", "果断", "不断", "阻断", "截断", "撕裂", "分裂", "决裂", "操碎",
    "败坏", "乐坏", "美坏", "笑坏", "饿坏", "累坏", "高兴坏", "开心坏", "激动坏", "破损险", "轻松了", "放松了", "松了口气",
    "松了一口气",
)
NEGATED_BEFORE_ZH = re.compile(r"(不|没|没有|别|未|无|不会|不要|防止|避免|以免|怕|会不会|是否|有没有|不容易|不易)$")

# English failure events, as regexes over lower-case text.
FAILURE_EN = re.compile(
    r"\b(?:"
    r"broke|broken|breaks|snapped|cracked|shattered|fell apart|falls apart|falling apart|came apart|fell off|"
    r"came off|peeled|peeling|tarnished|tarnishes|rusted|faded|"
    r"stopped working|stops working|quit working|doesn'?t work|didn'?t work|won'?t work|not working|dead on arrival|"
    r"never arrived|never came|never received|never got|didn'?t arrive|hasn'?t arrived|not arrived|"
    r"lost my (?:package|parcel|order)|keeps? crashing|crashed|crashes|wrong item|missing item"
    r")\b"
)
NEGATED_BEFORE_EN = re.compile(r"\b(?:not|never|no|without|n't|hasn'?t|haven'?t|didn'?t|won'?t|doesn'?t|don'?t|wouldn'?t)\s+(?:\w+\s+){0,2}$")

QUESTION_END = re.compile(r"(?:吗|么|呢|嘛|\?|？)[\s。.!！~～…]*$")
QUESTION_WORDS_ZH = ("请问", "怎么", "如何", "为什么", "为啥", "能不能", "可不可以", "是不是", "有没有", "多少", "哪里", "哪个",
                     "什么时候", "几点", "咋")
QUESTION_WORDS_EN = re.compile(r"^\s*(?:how|what|when|where|which|who|why|can|could|do|does|did|is|are|will|would|should)\b")


def failure_zh(folded: str) -> str | None:
    """The first failure event in a folded Chinese text that is not negated, or None."""
    for word in FAILURE_ZH:
        start = folded.find(word)
        while start >= 0:
            around = folded[max(0, start - 2): start + len(word) + 1]
            if not NEGATED_BEFORE_ZH.search(folded, max(0, start - 3), start) and not any(
                    n in around for n in NOT_FAILURE_ZH):
                return word
            start = folded.find(word, start + 1)
    return None


def failure_en(lower: str) -> str | None:
    """The first failure event in a lower-case English text that is not negated, or None."""
    for m in FAILURE_EN.finditer(lower):
        if m.group(0).startswith("never"):  # "never arrived" is the event itself
            return m.group(0)
        if not NEGATED_BEFORE_EN.search(lower, max(0, m.start() - 40), m.start()):
            return m.group(0)
    return None


def is_question_zh(folded: str) -> tuple[bool, bool]:
    """(ends like a question, has a question word) for a folded Chinese text."""
    return bool(QUESTION_END.search(folded)), any(q in folded for q in QUESTION_WORDS_ZH)


def is_question_en(lower: str) -> tuple[bool, bool]:
    """(ends like a question, starts with a question word) for a lower-case English text."""
    return bool(QUESTION_END.search(lower)), bool(QUESTION_WORDS_EN.search(lower))
