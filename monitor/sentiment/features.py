"""What the three-way models read of a text: named features with values. Pure.

A feature is a string (``w:质量`` a word, ``c:断了`` two characters, ``d:bayes`` a dense
score); :class:`monitor.sentiment.linear.LinearModel` holds one weight per class for each.
Chinese: jieba words (a negation marks the next word: ``w:不_满意``), single characters
and character pairs (jieba splits new words, typos and slang unpredictably; characters do
not), Weibo emoticons, the punctuation that carries tone, the Bayes and lexicon evidence of
:mod:`.bayes`, and question cues. English: words and word pairs with the same negation
marking, character 3–5-grams inside words, VADER's scores, complaint phrases and question cues. @handles,
links and digits are folded away: they name the topic, not the feeling, and a model that
learned airline handles would not carry to a jewellery brand. English complaint phrases
become one token (see ``_COMPLAINT_EN``) for the same reason.
"""

from __future__ import annotations

import re
import unicodedata

from monitor.sentiment import cues
from monitor.sentiment.bayes import EMOTICON_RE, NEGATIONS, BayesEvidence, bayes_tokens, segment
from monitor.sentiment.text import HANDLE_RE, URL_RE, fold

# Punctuation that says something about tone; the rest only separates.
_TONE = frozenset("?!~…")


def zh_features(folded: str, bayes: BayesEvidence) -> dict[str, float]:
    """Features of a Chinese (or mixed) text, given :func:`~monitor.sentiment.text.fold`'s form."""
    t = HANDLE_RE.sub(" ", URL_RE.sub(" ", folded))
    out: dict[str, float] = {}
    for name in EMOTICON_RE.findall(t):
        out["e:" + name] = 1.0
    words = segment(t)
    negate = False
    for w in words:
        if w in NEGATIONS:
            negate = True
            out["w:" + w] = 1.0
            continue
        if len(w) == 1 and not w.isalnum():
            if w in _TONE:
                out["p:" + w] = 1.0
            negate = False
            continue
        if w.isdigit():
            w = "0"
        out[("w:不_" if negate else "w:") + w] = 1.0
        negate = False
    body = EMOTICON_RE.sub(" ", t)
    prev = ""
    for ch in body:
        if "\u4e00" <= ch <= "\u9fff":
            out["u:" + ch] = 1.0
            if prev:
                out["c:" + prev + ch] = 1.0
            prev = ch
        else:
            prev = ""
    bayes_lo, lexicon = bayes.evidence(t, bayes_tokens(words))
    out["d:bayes"] = max(-6.0, min(6.0, bayes_lo)) / 3.0
    out["d:lex"] = lexicon / 4.0
    t = t.strip()
    question_end, question_word = cues.is_question_zh(t)
    if question_end:
        out["d:q_end"] = 1.0
    if question_word:
        out["d:q_word"] = 1.0
    out["d:excl"] = min(3, t.count("!") + t.count("！")) / 3.0
    out["d:len"] = min(len(t), 200) / 200.0
    return out


_URL_EN = re.compile(r"(?:https?://|www\.)\S+")
_AT_EN = re.compile(r"@\w+")
_NUM_EN = re.compile(r"\d+(?:[.,:]\d+)*")
_EMOTICON_EN = re.compile(r"(?:[:;=8][\-o\*\']?[\)\]\(\[dDpP/\\|@3]|[\)\]\(\[dDpP/\\|@3][\-o\*\']?[:;=8]|<3)(?=\s|$)")
_TOK_EN = re.compile(r"[a-z][a-z0-9'’]*|0|[!?]+|[.,;:()\"]")
_QWORDS_EN = frozenset({"how", "what", "when", "where", "which", "who", "whom", "whose", "is", "are", "do", "does",
                        "did", "can", "could", "will", "would", "should", "any", "anyone", "has", "have"})
# Service and product complaint phrases (not general sentiment words: VADER has those). A
# match is replaced by one token, ``xxcomp``, so the model learns "a complaint phrase is
# here" rather than the airline words (delayed, cancelled) it was trained on, and what it
# learnt carries to a jewellery brand's "fell apart" or "never arrived".
_COMPLAINT_EN = re.compile(r"\b(?:" + "|".join([
    r"br(?:oke|oken|eaks?|eaking)", r"stopp?(?:ed|s)? working", r"(?:doesn't|does not|didn't|won't|isn't|not) work(?:ing)?",
    r"f[ae]ll(?:s|ing)? apart", r"falling apart", r"fell off", r"came apart", r"came off", r"snapped", r"cracked",
    r"torn", r"ripped", r"tarnish(?:ed|es|ing)?", r"rust(?:ed|y)", r"peel(?:ed|ing)", r"fad(?:ed|ing)",
    r"damaged", r"defective", r"faulty", r"malfunction\w*",
    r"never (?:arrived|came|received|got|showed|delivered|shipped)",
    r"(?:didn't|did not|hasn't|has not|haven't|have not|still not|not yet) (?:arrive|arrived|received|receive|come|shipped|delivered)",
    r"still waiting", r"still no", r"no (?:response|reply|answer|refund|help|one)", r"on hold", r"hung up", r"ignor(?:ed|ing)",
    r"refund (?:refused|denied|rejected)", r"refused (?:a |my |to )?\w*", r"denied", r"won't refund", r"no refund",
    r"overcharg\w*", r"charged (?:me )?twice", r"double charged", r"hidden fees?", r"rip ?-?off", r"ripped off",
    r"crash(?:es|ed|ing)?", r"keeps? crashing", r"(?:site|app|website|page|checkout|payment) (?:is )?down", r"error",
    r"wrong (?:item|size|order|color|colour|product|one|address|bag|gate)", r"missing", r"lost",
    r"(?:terrible|poor|bad|cheap|awful|horrible|low) quality", r"cheaply made",
    r"scam\w*", r"fake", r"counterfeit", r"fraud\w*", r"misleading", r"false advertising",
    r"rude", r"unprofessional", r"incompetent", r"unhelpful",
    r"delay(?:ed|s)?", r"cancell?(?:ed|ation|ations)", r"late", r"stranded", r"stuck", r"missed", r"overbooked",
    r"waste of", r"wasted", r"unacceptable", r"ridiculous", r"fail(?:ed|s|ure)?", r"complain\w*",
]) + r")\b")
# Dense features are multiplied by this so the shared L2 penalty shrinks them less than the
# many sparse ones; character n-grams count half, for the same reason the other way round.
_DENSE = 3.0


def en_features(text: str, vader) -> dict[str, float]:
    """Features of an English text; ``vader`` is a VADER ``SentimentIntensityAnalyzer``."""
    t = _AT_EN.sub(" xxuser ", _URL_EN.sub(" xxurl ", unicodedata.normalize("NFKC", text)))
    # VADER reads the text without handles, links and '#': brand handles are VADER words
    # (@united scores as "united", a positive word).
    v = vader.polarity_scores(" ".join(t.replace("xxurl", "").replace("xxuser", "").replace("#", " ").split()))
    t = _NUM_EN.sub("0", t)
    out: dict[str, float] = {}
    for e in _EMOTICON_EN.findall(t):
        out["e:" + e.lower()] = 1.0
    t = _EMOTICON_EN.sub(" . ", t)
    for ch in t:
        if ord(ch) > 0x2000 and unicodedata.category(ch) == "So":
            out["e:" + ch] = 1.0
    low = t.lower().replace("’", "'").replace("#", " ")
    failure = cues.failure_en(low)
    hits = 0
    parts: list[str] = []
    last = 0
    for m in _COMPLAINT_EN.finditer(low):
        phrase = m.group(0)
        if phrase.split()[0] not in cues.NEGATORS_EN and cues.negated_or_hypothetical_en(low, m.start()):
            continue
        hits += 1
        parts += [low[last:m.start()], " xxcomp "]
        last = m.end()
    if hits:
        low = "".join(parts) + low[last:]
    negate = False
    prev = "<s>"
    words: list[str] = []
    for tok in _TOK_EN.findall(low):
        if tok[0] in "!?.,;:()\"":
            negate = False
            prev = "<p>"
            continue
        if tok[:2] != "xx":
            words.append(tok)
        if tok in cues.NEGATORS_EN or tok.endswith("n't"):
            out["w:" + tok] = 1.0
            out["b:" + prev + "_" + tok] = 1.0
            prev = tok
            negate = True
            continue
        marked = "not_" + tok if negate else tok
        out["w:" + marked] = 1.0
        out["b:" + prev + "_" + marked] = 1.0
        prev = marked
    for w in dict.fromkeys(words):
        padded = f" {w} "
        for n in (3, 4, 5):
            for i in range(len(padded) - n + 1):
                out["c:" + padded[i:i + n]] = 0.5
    c = v["compound"]
    questions = t.count("?")
    question = 1.0 if questions or (words and words[0] in _QWORDS_EN) else 0.0
    complaint = 1.0 if hits else 0.0
    out.update({
        "d:vc": _DENSE * c, "d:vpos": _DENSE * v["pos"], "d:vneg": _DENSE * v["neg"], "d:vneu": _DENSE * v["neu"],
        "d:vc+": _DENSE * max(c, 0.0), "d:vc-": _DENSE * max(-c, 0.0),
        "d:excl": _DENSE * min(t.count("!"), 3) / 3.0, "d:ques": _DENSE * min(questions, 3) / 3.0,
        "d:qcue": _DENSE * question, "d:comp": _DENSE * min(hits, 3) / 3.0, "d:comp_any": _DENSE * complaint,
        "d:comp_x_vpos": _DENSE * complaint * max(c, 0.0),  # praise around a complaint: sarcasm
        "d:comp_x_q": _DENSE * complaint * question,  # "why did it break …?"
        "d:fail": _DENSE * (failure is not None),
    })
    return out


class Featurizer:
    """Features of a text in its language, with the evidence models loaded once, lazily."""

    def __init__(self, bayes: BayesEvidence | None = None):
        self._bayes = bayes
        self._vader = None

    @property
    def bayes(self) -> BayesEvidence:
        if self._bayes is None:
            self._bayes = BayesEvidence()
        return self._bayes

    @property
    def vader(self):
        if self._vader is None:
            from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

            self._vader = SentimentIntensityAnalyzer()
        return self._vader

    def zh(self, text: str) -> dict[str, float]:
        return zh_features(fold(text), self.bayes)

    def en(self, text: str) -> dict[str, float]:
        return en_features(text, self.vader)
