"""Fitting a :class:`~monitor.sentiment.linear.LinearModel`: softmax regression by L-BFGS.

NumPy and SciPy are imported here only, so only ``repmon train-sentiment`` and the bench
load them. One thing a stock logistic regression does not do: adapting to a brand's few
hundred texts regularises towards the bundled model's weights (a *prior*) instead of
towards zero, so the adapted model keeps what it knew.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from monitor.sentiment.linear import CLASSES, LinearModel


@dataclass
class Example:
    """One training text: its features, class (0 negative, 1 neutral, 2 positive) and weight."""

    features: dict[str, float]
    label: int
    weight: float = 1.0


def fit(examples: Sequence[Example], language: str, *, lam: float = 1e-4, min_count: int = 2,
        prior: LinearModel | None = None, max_iter: int = 400, meta: dict | None = None,
        progress: Callable[[str], None] | None = None) -> LinearModel:
    """Weights minimising the weighted mean cross-entropy + ``lam``/2·‖W − W_prior‖².

    A feature is kept when it occurs in at least ``min_count`` examples or the prior has it.
    With a prior, the class biases stay the prior's: a brand's file holds whatever mix of
    classes someone collected, not how common each class is in its stream (a file of
    complaints and praise alone would otherwise teach that nothing is neutral).
    """
    import numpy as np
    import scipy.sparse as sp
    from scipy.optimize import minimize

    counts: Counter[str] = Counter()
    for ex in examples:
        counts.update(ex.features.keys())
    names = sorted({k for k, n in counts.items() if n >= min_count} | set(prior.weights if prior else ()))
    index = {k: i for i, k in enumerate(names)}
    rows, cols, vals = [], [], []
    for r, ex in enumerate(examples):
        for k, v in ex.features.items():
            j = index.get(k)
            if j is not None:
                rows.append(r)
                cols.append(j)
                vals.append(v)
    n, d, k = len(examples), len(names), len(CLASSES)
    X = sp.csr_matrix((np.asarray(vals, dtype=np.float64), (rows, cols)), shape=(n, d))
    y = np.fromiter((ex.label for ex in examples), dtype=np.int64, count=n)
    w = np.fromiter((ex.weight for ex in examples), dtype=np.float64, count=n)
    w /= w.sum()
    W0 = np.zeros((d, k))
    b0 = np.zeros(k)
    if prior is not None:
        for name, weights in prior.weights.items():
            W0[index[name]] = weights
        b0 = np.asarray(prior.bias, dtype=np.float64)
    Y = np.zeros((n, k))
    Y[np.arange(n), y] = 1.0
    if progress:
        progress(f"fitting {n:,} texts × {d:,} features ({language}) ...")

    def loss_and_grad(theta):
        W = theta[: d * k].reshape(d, k)
        b = theta[d * k:]
        Z = X @ W + b
        Z -= Z.max(axis=1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=1, keepdims=True)
        loss = -(w * np.log(P[np.arange(n), y] + 1e-12)).sum() + lam / 2 * ((W - W0) ** 2).sum()
        G = (P - Y) * w[:, None]
        gW = X.T @ G + lam * (W - W0)
        gb = np.zeros(k) if prior is not None else G.sum(axis=0)
        return loss, np.concatenate([np.asarray(gW).ravel(), gb])

    start = np.concatenate([W0.ravel(), b0])
    result = minimize(loss_and_grad, start, jac=True, method="L-BFGS-B", options={"maxiter": max_iter})
    W = result.x[: d * k].reshape(d, k)
    b = result.x[d * k:]
    weights = {name: (float(W[i, 0]), float(W[i, 1]), float(W[i, 2])) for i, name in enumerate(names)
               if abs(W[i]).max() >= 1e-4}
    info = dict(meta or {})
    info.update({"examples": n, "features": len(weights), "lam": lam, "iterations": int(result.nit)})
    return LinearModel(language, weights, (float(b[0]), float(b[1]), float(b[2])), info)


def neutral_shift(rows: Sequence[tuple[Sequence[float], Callable[[float], float]]], *, cut: float,
                  target: float, step: float = 0.05, limit: float = 6.0) -> float:
    """The smallest raise of the neutral class's logit after which at most ``target`` of
    these neutral texts — each given as (class probabilities of a model that did not train
    on it, the rule that turns a sentiment into the final one) — score below ``cut``."""
    import math

    if not rows:
        return 0.0
    shift = 0.0
    while shift < limit:
        factor = math.exp(shift)
        called = 0
        for (neg, neu, pos), final in rows:
            called += final(0.5 + 0.5 * (pos - neg) / (neg + factor * neu + pos)) < cut
        if called / len(rows) <= target:
            break
        shift += step
    return round(shift, 2)
