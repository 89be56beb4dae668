"""Imported by the crawl fork server: load the default sentiment model and jieba's
dictionary once, and Scrapy's own components, so every crawl child starts with them
in memory.

Then everything loaded so far is moved out of the garbage collector's sight
(``gc.freeze``): a child's collections would otherwise walk the models' millions of
objects and write to each one's header, copying every page it shares with the fork
server (memory, and time, in every crawl).
"""

import gc

from scrapy.settings import default_settings
from scrapy.utils.misc import load_object

from monitor.scoring import load_sentiment

load_sentiment(None).score("预热", "zh")

# Scrapy imports its download handlers, middlewares and extensions when a crawler is
# built: about a second in every child (the HTTP handler alone ~0.6 s) unless they are
# already in the fork server. Importing them installs no reactor.
_COMPONENTS = [*default_settings.DOWNLOAD_HANDLERS_BASE.values(), *default_settings.DOWNLOADER_MIDDLEWARES_BASE,
               *default_settings.SPIDER_MIDDLEWARES_BASE, *default_settings.EXTENSIONS_BASE,
               default_settings.SCHEDULER, default_settings.SCHEDULER_PRIORITY_QUEUE, default_settings.DUPEFILTER_CLASS,
               default_settings.STATS_CLASS, default_settings.DOWNLOADER, default_settings.ITEM_PROCESSOR]
for _path in _COMPONENTS:
    try:
        load_object(_path)
    except ImportError:  # an optional handler whose library is not installed (S3, FTP)
        pass

gc.collect()
gc.freeze()
