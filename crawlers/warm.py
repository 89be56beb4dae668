"""Imported by the crawl fork server: load the default sentiment model and jieba's
dictionary once, so every crawl child starts with them in memory."""

from monitor.scoring import load_sentiment

load_sentiment(None).score("预热", "zh")
