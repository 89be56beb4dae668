"""Measuring a three-way judge on labelled texts: confusion matrix, per-class P/R/F1. Pure."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from monitor.sentiment.linear import CLASSES as CLASS_NAMES
from monitor.sentiment.linear import NEG
from monitor.sentiment.scorer import polarity_of


@dataclass
class Confusion:
    """Counts of (true class, predicted class) over classes 0 negative, 1 neutral, 2 positive."""

    counts: list[list[int]] = field(default_factory=lambda: [[0, 0, 0] for _ in range(3)])

    def add(self, truth: int, predicted: int) -> None:
        self.counts[truth][predicted] += 1

    @property
    def total(self) -> int:
        return sum(map(sum, self.counts))

    def support(self, c: int) -> int:
        return sum(self.counts[c])

    def precision(self, c: int) -> float:
        called = sum(row[c] for row in self.counts)
        return self.counts[c][c] / called if called else 0.0

    def recall(self, c: int) -> float:
        n = self.support(c)
        return self.counts[c][c] / n if n else 0.0

    def f1(self, c: int) -> float:
        p, r = self.precision(c), self.recall(c)
        return 2 * p * r / (p + r) if p + r else 0.0

    def called_negative(self, c: int) -> float:
        """Share of class ``c`` called negative (for neutral: the false-negative rate)."""
        n = self.support(c)
        return self.counts[c][0] / n if n else 0.0

    def negative_flag(self) -> "Binary":
        """The negative flag alone: negative against the rest."""
        tp = self.counts[NEG][NEG]
        fn = self.support(NEG) - tp
        fp = sum(row[NEG] for row in self.counts) - tp
        return Binary(tp, fp, fn, self.total - tp - fn - fp)

    def table(self) -> str:
        """The matrix as text, rows = truth, columns = predicted."""
        corner = "truth / called"
        lines = [f"{corner:<16}" + "".join(f"{n:>10}" for n in CLASS_NAMES)]
        for t, name in enumerate(CLASS_NAMES):
            if self.support(t):
                lines.append(f"{name:<16}" + "".join(f"{x:>10,}" for x in self.counts[t]))
        return "\n".join(lines)


@dataclass
class Binary:
    """Negative flag against the truth: counts and the usual figures."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def accuracy(self) -> float:
        n = self.tp + self.fp + self.fn + self.tn
        return (self.tp + self.tn) / n if n else 0.0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def polarity_index(sentiment: float, negative_below: float, positive_above: float) -> int:
    """0 negative, 1 neutral, 2 positive, by the product's cuts."""
    return CLASS_NAMES.index(polarity_of(sentiment, negative_below, positive_above))


def confusion(rows: Sequence[tuple[str, int]], classify: Callable[[str], int]) -> Confusion:
    """Confusion of ``classify`` (text → class) over (text, true class) rows."""
    c = Confusion()
    for text, truth in rows:
        c.add(truth, classify(text))
    return c
