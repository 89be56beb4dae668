"""A multinomial linear model over named features, stored as gzip'd JSON. Pure Python.

Scoring is a dict lookup and three additions per feature — no NumPy at run time, so a
process that only scores never loads it. Training lives in :mod:`.training`.

A model file is parsed once: the weights are then kept in repmon's cache folder
(:mod:`monitor.disk_cache`, keyed on the file's path, size and time) and later processes read
them in a tenth of the time the JSON takes.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from monitor import disk_cache

CLASSES = ("negative", "neutral", "positive")
NEG, NEU, POS = range(3)
FORMAT = "repmon-linear-sentiment/1"


class ModelFileError(ValueError):
    """A model file that cannot be read as a repmon sentiment model."""


@dataclass
class LinearModel:
    """Weights per feature and class (negative, neutral, positive), and a bias per class."""

    language: str
    weights: dict[str, tuple[float, float, float]]
    bias: tuple[float, float, float] = (0.0, 0.0, 0.0)
    meta: dict = field(default_factory=dict)

    def proba(self, features: Mapping[str, float]) -> tuple[float, float, float]:
        """P(negative), P(neutral), P(positive) of a text's features."""
        z0, z1, z2 = self.bias
        weights = self.weights
        for name, value in features.items():
            w = weights.get(name)
            if w is not None:
                z0 += w[0] * value
                z1 += w[1] * value
                z2 += w[2] * value
        top = max(z0, z1, z2)
        e0, e1, e2 = math.exp(z0 - top), math.exp(z1 - top), math.exp(z2 - top)
        total = e0 + e1 + e2
        return e0 / total, e1 / total, e2 / total

    def save(self, path: str | Path) -> Path:
        """Write the model (gzip'd JSON, weights rounded to 5 decimals)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {
            "format": FORMAT, "language": self.language, "classes": list(CLASSES),
            "bias": [round(b, 5) for b in self.bias], "meta": self.meta,
            "weights": {k: [round(x, 5) for x in w] for k, w in sorted(self.weights.items())},
        }
        with gzip.open(path, "wt", encoding="utf-8", compresslevel=9) as f:
            json.dump(doc, f, ensure_ascii=False, separators=(",", ":"))
        return path

    @classmethod
    def load(cls, path: str | Path) -> "LinearModel":
        """Read a model written by :meth:`save`; :class:`ModelFileError` names what is wrong."""
        try:
            language, weights, bias, meta = disk_cache.cached("linear-model", [Path(path)], lambda: _parse(path))
        except OSError as exc:  # a file that is not there, or not readable
            raise ModelFileError(f"{path} is not a repmon sentiment model ({exc.__class__.__name__})") from None
        return cls(language, weights, bias, meta)


def _parse(path: str | Path) -> tuple[str, dict[str, tuple[float, float, float]], tuple[float, float, float], dict]:
    """(language, weights, bias, meta) of a model file."""
    try:
        with open(path, "rb") as f:
            doc = json.loads(gzip.decompress(f.read()))
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{path} is not a repmon sentiment model ({exc.__class__.__name__})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or list(doc.get("classes", [])) != list(CLASSES):
        raise ModelFileError(f"{path} is not a repmon sentiment model (format {FORMAT} expected); "
                             "train one with `repmon train-sentiment`")
    weights = {k: (float(w[0]), float(w[1]), float(w[2])) for k, w in doc["weights"].items()}
    b = doc.get("bias", [0, 0, 0])
    return doc.get("language", ""), weights, (float(b[0]), float(b[1]), float(b[2])), doc.get("meta", {})


def sentiment_of(p: tuple[float, float, float] | list[float]) -> float:
    """The 0–1 sentiment of class probabilities: their expected value with negative = 0,
    neutral = 0.5, positive = 1."""
    return 0.5 + 0.5 * (p[POS] - p[NEG])


def model_file_problem(path: str | Path) -> str | None:
    """Why ``path`` cannot be a model file (missing, or not written by :meth:`LinearModel.save`),
    from its first bytes only; None when it looks right."""
    path = Path(path)
    if not path.is_file():
        return f"no sentiment model at {path} (train one with `repmon train-sentiment`)"
    try:
        with gzip.open(path, "rt", encoding="utf-8") as f:
            head = f.read(64)
    except (OSError, EOFError, UnicodeDecodeError):
        head = ""
    if f'"format":"{FORMAT}"' not in head:
        return (f"{path} is not a repmon sentiment model (models of repmon before 0.2, SnowNLP .marshal files, "
                "must be trained again with `repmon train-sentiment`)")
    return None
