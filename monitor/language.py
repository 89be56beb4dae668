"""Language of a mention: Chinese, English, mixed, or other. Pure and cheap.

Chinese characters and Latin words are not comparable one for one: a Chinese word is
about two characters. The share of Chinese is therefore counted in words on both
sides (CJK characters / 2 against runs of Latin letters), so "Pandora的手镯断了" is
Chinese with a brand name in it, while "iPhone 15 Pro 质量太差" is mixed.
"""

from __future__ import annotations

import re

_LATIN_WORD = re.compile(r"[A-Za-z]+(?:'[A-Za-z]+)?")
CHARS_PER_ZH_WORD = 2.0
# Above this share of Chinese a text is Chinese, below (1 - it) English; between, mixed.
DOMINANT = 0.75


def _is_cjk(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"


def chinese_share(text: str) -> float | None:
    """Share of Chinese in ``text`` counted in words, or None when it has neither script."""
    zh_words = sum(1 for ch in text if _is_cjk(ch)) / CHARS_PER_ZH_WORD
    en_words = len(_LATIN_WORD.findall(text))
    if zh_words == 0 and en_words == 0:
        return None
    return zh_words / (zh_words + en_words)


def detect_language(text: str) -> str:
    """``zh``, ``en``, ``mixed`` (both scripts, neither dominant) or ``other``."""
    share = chinese_share(text)
    if share is None:
        return "other"
    if share >= DOMINANT:
        return "zh"
    if share <= 1 - DOMINANT:
        return "en"
    return "mixed"
