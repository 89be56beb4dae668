"""Imported by the crawl fork server: load the default sentiment model and jieba's
dictionary once, so every crawl child starts with them in memory.

Then everything loaded so far is moved out of the garbage collector's sight
(``gc.freeze``): a child's collections would otherwise walk the models' millions of
objects and write to each one's header, copying every page it shares with the fork
server (memory, and time, in every crawl).
"""

import gc

from monitor.scoring import load_sentiment

load_sentiment(None).score("预热", "zh")
gc.collect()
gc.freeze()
