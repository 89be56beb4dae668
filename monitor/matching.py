"""Brand keyword rules and the KOL rule: pure functions over text and numbers."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from monitor.categories import fold_text
from monitor.config import BrandConfig, KeywordRules, KolRule


def fold(text: str) -> str:
    """Case-, width- and script-insensitive form of a text: full-width Ａ matches a, and
    traditional 手鐲之家 matches simplified 手镯之家 (the categories' OpenCC t2s converter)."""
    return fold_text(text)


@lru_cache(maxsize=4096)
def _fold_term(term: str) -> str:
    # Keyword terms are few and fixed; folding each once keeps OpenCC off the hot path.
    return fold_text(term)


def matches(rules: KeywordRules, text: str) -> bool:
    """True if the text contains any of ``any``, all of ``all`` and none of ``none``.

    Substring matching on purpose: Chinese has no spaces, so word boundaries would need
    a segmenter and would miss brand names that a segmenter splits.
    """
    return _matches_folded(rules, fold(text))


def _matches_folded(rules: KeywordRules, t: str) -> bool:
    if not any(_fold_term(term) in t for term in rules.any):
        return False
    if not all(_fold_term(term) in t for term in rules.all):
        return False
    return not any(_fold_term(term) in t for term in rules.none)


def match_brand(brands: Sequence[BrandConfig], text: str) -> BrandConfig | None:
    """The first brand (in config order) whose rules match the text, or None."""
    t = fold(text)
    for brand in brands:
        if _matches_folded(brand.keywords, t):
            return brand
    return None


def is_kol(
    rule: KolRule,
    *,
    followers: int | None,
    verified: bool | None,
    author_ids: Iterable[str | None] = (),
) -> bool:
    """True if the author is a KOL under the brand's rule."""
    if followers is not None and followers >= rule.min_followers:
        return True
    if rule.verified and verified:
        return True
    named = {_fold_term(a) for a in rule.accounts}
    return any(a is not None and fold(str(a)) in named for a in author_ids)
