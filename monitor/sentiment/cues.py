"""Cues the learned models cannot be trusted to see for themselves. Pure.

- **Failure events** (``断了``, ``掉色``, ``stopped working``, ``never arrived`` …): a post that
  reports something broke or failed is a complaint however politely it is worded —
  ``质量真好，戴了一天就断了，谢谢啊`` / ``Great quality, it broke after one day. Thanks a
  lot.`` is sarcasm, and the praise words around it would otherwise win. The training sets
  hold too few such posts for a model to learn it, so the rule is written down: an event
  that is not negated (``不会断``, ``never broke``) caps the sentiment below the negative cut.
- **Questions** (``可以退货吗？``) are features of the models, learned from customer
  questions; here they are only detected.
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

# English failure events, over lower-case text: breakage, non-delivery, refund refused,
# overcharging, crashing, wrong item, counterfeit.
FAILURE_EN = re.compile(r"\b(?:" + "|".join([
    r"broke", r"broken", r"f[ae]ll(?:s|ing)? apart", r"falling apart", r"came apart", r"fell off", r"snapped",
    r"cracked", r"stopped working", r"(?:doesn't|does not|didn't|did not|won't|isn't|is not) work(?:ing)?", r"defective",
    r"faulty", r"never (?:arrived|came|received|got|delivered|shipped)",
    r"(?:hasn't|has not|haven't|have not|didn't|did not|still not) (?:arrived|received|been delivered|come)",
    r"refund (?:refused|denied|rejected)", r"(?:refused|denied|rejected) (?:a |my |the )?refund", r"no refund",
    r"won't refund", r"overcharg\w*", r"charged (?:me )?twice", r"double charged", r"crash(?:es|ed|ing)",
    r"keeps? crashing", r"wrong (?:item|size|order|product|colou?r)", r"scam\w*", r"counterfeit", r"ripped off",
    r"rip ?-?off",
]) + r")\b")
NEGATORS_EN = frozenset({"not", "no", "never", "cannot", "nothing", "nobody", "none", "nor", "neither", "nowhere",
                         "without"})
# Words that make what follows a possibility, not an event ("if it breaks", "will it arrive?").
HYPOTHETICAL_EN = frozenset({"if", "will", "would", "could", "might", "may", "can", "before", "whether", "case", "hope",
                             "hopefully", "worried", "afraid", "unless", "should", "does", "do"})
_CLAUSE_EN = re.compile(r"[.!?;,]")

QUESTION_END = re.compile(r"(?:吗|么|呢|嘛|\?|？)[\s。.!！~～…]*$")
QUESTION_WORDS_ZH = ("请问", "怎么", "如何", "为什么", "为啥", "能不能", "可不可以", "是不是", "有没有", "多少", "哪里", "哪个",
                     "什么时候", "几点", "咋")


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


def negated_or_hypothetical_en(lower: str, start: int) -> bool:
    """Whether the phrase at ``start`` is negated (a negator among the three words before it
    in its clause) or hypothetical (``if``, ``will`` … among the four)."""
    before = _CLAUSE_EN.split(lower[max(0, start - 40):start])[-1].split()[-4:]
    return (any(b in NEGATORS_EN or b.endswith("n't") for b in before[-3:])
            or any(b in HYPOTHETICAL_EN for b in before))


def failure_en(lower: str) -> str | None:
    """The first failure event in a lower-case English text that is neither negated nor
    hypothetical ("never arrived" is the event itself), or None."""
    for m in FAILURE_EN.finditer(lower):
        if m.group(0).startswith("never") or not negated_or_hypothetical_en(lower, m.start()):
            return m.group(0)
    return None


def is_question_zh(folded: str) -> tuple[bool, bool]:
    """(ends like a question, has a question word) for a folded Chinese text."""
    return bool(QUESTION_END.search(folded)), any(q in folded for q in QUESTION_WORDS_ZH)
