"""jieba, its dictionary loaded from a cache file in repmon's cache folder.

jieba turns its dictionary (``dict.txt``, 349,000 words) into a prefix dictionary on first
use: about 2 s, so it keeps the result in a cache file, by default in the system's temporary
folder, where a cleaner or a container restart loses it. repmon points jieba at its own cache
folder (:func:`monitor.disk_cache.cache_dir`), so the dictionary is built once per machine,
and reads the file itself with one ``marshal.loads`` of its bytes: jieba's own
``marshal.load`` of the open file reads it in small pieces, three times slower. The file is
jieba's own format, written by jieba; it is rebuilt when jieba's dictionary is newer.

jieba is imported without ``pkg_resources``: jieba's ``_compat`` uses it, when installed,
only to open its own data files (and opens them directly without it), while importing it
scans every installed distribution — 50 ms and megabytes in every process that scores.
"""

from __future__ import annotations

import logging
import marshal
import sys
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from monitor.disk_cache import cache_dir
from monitor.gcpause import gc_paused

CACHE_FILE = "jieba.cache"  # jieba's name for the default dictionary's cache


def import_jieba() -> ModuleType:
    """``import jieba``, with ``pkg_resources`` hidden while jieba loads (see the module docstring)."""
    if "jieba" in sys.modules:
        return sys.modules["jieba"]
    hide = "pkg_resources" not in sys.modules
    if hide:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes `import pkg_resources` fail
    try:
        import jieba
    finally:
        if hide and sys.modules.get("pkg_resources", 0) is None:
            del sys.modules["pkg_resources"]
    return jieba


def dictionary_path() -> Path:
    """jieba's bundled dictionary, ``dict.txt`` (word, frequency, part of speech per line)."""
    return Path(import_jieba().__file__).with_name("dict.txt")


@lru_cache(maxsize=1)
def load_jieba(extra_words: tuple[str, ...] = ()) -> ModuleType:
    """jieba, initialised (from the cache file when it is there and fresh), with
    ``extra_words`` added to its dictionary. Once per process."""
    jieba = import_jieba()
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.dt
    folder = cache_dir()
    with gc_paused():  # half a million words, all long-lived (see monitor.gcpause)
        if folder is not None and not tokenizer.initialized:
            tokenizer.tmp_dir = str(folder)  # where jieba writes the file when it has to build it
            _read_cache(tokenizer, folder / CACHE_FILE)
        jieba.initialize()
    for word in extra_words:
        jieba.add_word(word)
    return jieba


def _read_cache(tokenizer, cache: Path) -> None:
    try:
        if cache.stat().st_mtime <= dictionary_path().stat().st_mtime:
            return  # older than the dictionary: let jieba build it again
        freq, total = marshal.loads(cache.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return  # absent or unreadable: jieba builds and writes it
    tokenizer.FREQ, tokenizer.total = freq, total
    tokenizer.initialized = True
