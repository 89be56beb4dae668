"""Text folding shared by the sentiment models: pure functions, loaded lazily."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

URL_RE = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
# @names on Weibo may hold CJK, letters, digits, - and _; on Twitter/Mastodon ASCII.
HANDLE_RE = re.compile(r"@[\w\-\u4e00-\u9fff]{1,30}")
# Where a Weibo repost quotes the chain it forwards: "my words //@B: B's words //@C: …".
REPOST_RE = re.compile(r"//\s*@")


@lru_cache(maxsize=1)
def _t2s():
    from opencc import OpenCC

    return OpenCC("t2s")


def simplified(text: str) -> str:
    """Traditional characters folded to simplified (OpenCC t2s); ASCII text is returned as is."""
    if text.isascii():
        return text
    return _t2s().convert(text)


def fold(text: str) -> str:
    """The form the models read: NFKC (full-width → half-width), simplified, lower case."""
    return simplified(unicodedata.normalize("NFKC", text)).lower()


def own_words(text: str) -> str | None:
    """The poster's own words of a repost (before the first ``//@``), or None when the text
    is not a repost or the poster added nothing."""
    m = REPOST_RE.search(text)
    if m is None or m.start() == 0:
        return None
    return text[: m.start()]
