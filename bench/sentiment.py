"""Sentiment accuracy and speed on the labelled public sets in ../shared/data/sentiment/,
plain SnowNLP (and plain VADER for English) beside repmon, in one run.

    python bench/sentiment.py [--limit 2000] [--data ../shared/data/sentiment]

Per data set: rows, accuracy, negative-class precision / recall / F1, texts per second,
and the throughput ratio. Decision rules: plain SnowNLP is negative when
``SnowNLP(text).sentiments < 0.5``; plain VADER when compound ≤ −0.05 (its documented
cut); repmon when its sentiment is below ``scoring.negative_below`` (0.4, the product's
setting). English: ``negative`` tweets are the negative class, ``neutral`` and
``positive`` the other — the same rule for both. ``--limit`` takes an evenly spaced sample
(plain SnowNLP manages a few hundred texts a second).

After the table, the share of the hand-written posts in tests/fixtures/sentiment/ that
each model calls negative: ordinary brand posts (questions, announcements, shopping
chit-chat, praise — should be few) and complaints (should be nearly all).
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from monitor.scoring import detect_language  # noqa: E402
from monitor.sentiment import SentimentScorer  # noqa: E402

NEGATIVE_BELOW = 0.4


def load(data: Path) -> dict[str, list[tuple[str, int]]]:
    """name -> [(text, 1 if negative else 0)]."""
    sets: dict[str, list[tuple[str, int]]] = {}
    with (data / "online_shopping_dev.csv").open(encoding="utf-8") as f:
        sets["online_shopping"] = [(r["review"].lstrip("\ufeff"), 1 - int(r["label"])) for r in csv.DictReader(f) if r["review"]]
    with (data / "waimai_10k.csv").open(encoding="utf-8") as f:
        sets["waimai"] = [(r["review"], 1 - int(r["label"])) for r in csv.DictReader(f) if r["review"]]
    rows = []
    with (data / "weibo_senti_dev.tsv").open(encoding="utf-8") as f:
        next(f)
        for line in f:
            label, _, text = line.rstrip("\n").partition("\t")
            if text:
                rows.append((text, 1 - int(label)))
    sets["weibo"] = rows
    with (data / "airline_tweets.csv").open(encoding="utf-8") as f:
        sets["airline_en"] = [(r["text"], 1 if r["airline_sentiment"] == "negative" else 0) for r in csv.DictReader(f)]
    return sets


def sample(rows: list, limit: int | None) -> list:
    if not limit or len(rows) <= limit:
        return rows
    step = len(rows) / limit
    return [rows[int(i * step)] for i in range(limit)]


def measure(rows: list[tuple[str, int]], is_negative: Callable[[str], bool]) -> dict[str, float]:
    tp = fp = fn = tn = 0
    t = time.perf_counter()
    for text, neg in rows:
        pred = is_negative(text)
        if pred and neg:
            tp += 1
        elif pred:
            fp += 1
        elif neg:
            fn += 1
        else:
            tn += 1
    elapsed = time.perf_counter() - t
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"acc": (tp + tn) / len(rows), "p": p, "r": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "rate": len(rows) / elapsed}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[2] / "shared" / "data" / "sentiment"))
    ap.add_argument("--limit", type=int, default=None, help="evenly spaced sample per set")
    args = ap.parse_args()
    sets = load(Path(args.data))
    from snownlp import SnowNLP
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    ours = SentimentScorer()
    ours.score_zh("预热")  # load jieba's dictionary outside the timing
    ours.score_en("warm up")
    vader = SentimentIntensityAnalyzer()
    print(f"{'set':<16}{'model':<16}{'rows':>7}{'acc':>8}{'neg P':>8}{'neg R':>8}{'neg F1':>8}{'texts/s':>10}")
    for name, rows in sets.items():
        rows = sample(rows, args.limit)
        print(f"  {name} ({len(rows)} rows) ...", file=sys.stderr)
        if name.endswith("_en"):
            base_name, base = "plain VADER", measure(rows, lambda t: vader.polarity_scores(t)["compound"] <= -0.05)
        else:
            base_name, base = "plain SnowNLP", measure(rows, lambda t: SnowNLP(t).sentiments < 0.5)
        mine = measure(rows, lambda t: ours.score(t, detect_language(t)) < NEGATIVE_BELOW)
        for label, m in ((base_name, base), ("repmon", mine)):
            print(f"{name:<16}{label:<16}{len(rows):>7}{m['acc']:>8.3f}{m['p']:>8.3f}{m['r']:>8.3f}{m['f1']:>8.3f}{m['rate']:>10.0f}")
        print(f"{'':<16}{'speed ratio':<16}{'':>7}{'':>8}{'':>8}{'':>8}{'':>8}{mine['rate'] / base['rate']:>9.1f}x")
    fixtures = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "sentiment"
    for file, what in (("neutral_zh.txt", "ordinary brand posts"), ("complaints_zh.txt", "complaints")):
        texts = [t for t in (fixtures / file).read_text(encoding="utf-8").splitlines() if t.strip()]
        plain = sum(SnowNLP(t).sentiments < 0.5 for t in texts)
        ours_neg = sum(ours.score(t, detect_language(t)) < NEGATIVE_BELOW for t in texts)
        print(f"{what} called negative (tests/fixtures/sentiment/{file}): "
              f"plain SnowNLP {plain}/{len(texts)}, repmon {ours_neg}/{len(texts)}")


if __name__ == "__main__":
    main()
