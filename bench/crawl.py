"""Crawl throughput through the full pipeline (normalise, match, dedupe, score, store),
for the weibo and rss spiders against a local server, beside ``scrapy bench`` in the
same run on the same machine.

    python bench/crawl.py [--pages 200] [--per-page 20]

A weibo source pages at most 100 deep (``max_pages``), so more pages are spread over
several keywords of at most 100 pages each.

Prints pages/s and mentions/s for each spider, scrapy bench's pages/s, and the ratios.

Each spider's time is its whole ``crawl()`` call (forking the crawl child, building the
crawler, crawling, storing). The crawl fork server is started once before them, as a
long-running service has it, and its start (preloading Scrapy and the sentiment models)
is printed on its own: it used to land in whichever spider ran first.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from crawlers.runner import crawl, start_fork_server  # noqa: E402
from monitor.sources_config import SourceBase  # noqa: E402
from monitor.config import parse_config  # noqa: E402
from monitor.migrate import open_database  # noqa: E402
from tests.support.fake_sources import source_server  # noqa: E402

TEXTS = ["手镯之家的手镯戴了三天就断裂了，质量太差", "手镯之家的客服很耐心，推荐", "手镯之家快递太慢了", "在手镯之家买的和田玉很好看"]


def weibo_page(page: int, per_page: int) -> bytes:
    cards = []
    for i in range(per_page):
        n = page * 1000 + i
        cards.append({"card_type": 9, "mblog": {
            "id": str(n), "created_at": f"{i % 59 + 1}分钟前", "text": TEXTS[n % 4] + f" #{n}", "reposts_count": n % 97,
            "comments_count": "1.2万" if n % 50 == 0 else n % 13, "attitudes_count": n % 31, "isLongText": False,
            "user": {"id": n % 500, "screen_name": f"用户{n % 500}", "followers_count": n * 7 % 200000, "verified": n % 100 == 0}}})
    return json.dumps({"ok": 1, "data": {"cards": cards}}, ensure_ascii=False).encode()


def rss_feed(page: int, per_page: int) -> bytes:
    items = "".join(
        f"<item><title>{TEXTS[(page + i) % 4]} {page}-{i}</title><link>https://news.example/{page}/{i}</link>"
        f"<description>&lt;p&gt;正文 {i}&lt;/p&gt;</description><pubDate>Tue, 10 Mar 2026 08:{i % 60:02d}:00 +0800</pubDate></item>"
        for i in range(per_page))
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


def run_ours(kind: str, pages: int, per_page: int) -> tuple[float, float, int]:
    folder = Path(tempfile.mkdtemp())
    with source_server() as srv:
        if kind == "weibo":
            depth = SourceBase.model_fields["max_pages"].metadata[-1].le  # the config's paging limit
            keywords = [f"手镯之家{k}" for k in range(-(-pages // depth))]
            for p in range(pages):
                keyword, page = keywords[p // depth], p % depth + 1
                q = f"/api/container/getIndex?containerid=100103type=61&q={keyword}&page_type=searchall&page="
                srv.route(q + str(page), (200, "application/json", weibo_page(p + 1, per_page)))
                if p + 1 == pages or page == depth:
                    # The page after a keyword's last answers like Weibo past the end.
                    srv.route(q + str(page + 1), (200, "application/json", b'{"ok": 0, "data": {}}'))
            source = (f"{{id: b, kind: weibo, keywords: [{', '.join(keywords)}], base_url: '{srv.url}', "
                      f"max_pages: {min(pages, depth)}}}")
        else:
            urls = []
            for p in range(1, pages + 1):
                srv.route(f"/feed/{p}.xml", (200, "application/rss+xml", rss_feed(p, per_page)))
                urls.append(f"'{srv.url}/feed/{p}.xml'")
            srv.route("/robots.txt", (404, "text/plain", b""))
            source = f"{{id: b, kind: rss, urls: [{', '.join(urls)}]}}"
        cfg = parse_config(
            f"database: {{url: 'sqlite:///{folder / 'b.db'}'}}\n"
            "brands:\n  - {id: s, name: 手镯之家, keywords: {any: [手镯之家]}}\n"
            "crawl: {download_delay: 0s, autothrottle: false, concurrent_requests_per_domain: 16}\n"
            f"sources:\n  - {source}\n", base_dir=folder)
        engine, _ = open_database(cfg)
        engine.dispose()
        t = time.perf_counter()
        [result] = crawl(cfg, cfg.sources, progress=sys.stderr.isatty())
        elapsed = time.perf_counter() - t
        fetched = len(srv.requests)
    assert result.ok, result.error
    return fetched / elapsed, result.new / elapsed, result.new


def run_scrapy_bench(seconds: int) -> float:
    out = subprocess.run([str(Path(sys.executable).with_name("scrapy")), "bench", "-s", f"CLOSESPIDER_TIMEOUT={seconds}",
                          "-s", "LOGSTATS_INTERVAL=1"], capture_output=True, text=True, cwd=tempfile.mkdtemp())
    text = out.stdout + out.stderr
    m = re.search(r"'response_received_count': (\d+)", text)
    e = re.search(r"'elapsed_time_seconds': ([\d.]+)", text)
    if not (m and e):
        raise SystemExit("scrapy bench printed no stats:\n" + text[-2000:])
    return int(m.group(1)) / float(e.group(1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--per-page", type=int, default=20)
    ap.add_argument("--bench-seconds", type=int, default=10)
    args = ap.parse_args()
    print(f"local server, {args.pages} pages x {args.per_page} posts, full pipeline into SQLite")
    rows = {}
    t = time.perf_counter()
    start_fork_server()
    print(f"crawl fork server start (once per process): {time.perf_counter() - t:.1f} s")
    for kind in ("weibo", "rss"):
        print(f"  running {kind} ...", file=sys.stderr)
        rows[kind] = run_ours(kind, args.pages, args.per_page)
    print("  running scrapy bench ...", file=sys.stderr)
    bench = run_scrapy_bench(args.bench_seconds)
    print(f"{'spider':<14}{'pages/s':>10}{'mentions/s':>12}{'mentions':>10}{'vs scrapy bench':>18}")
    for kind, (pps, mps, n) in rows.items():
        print(f"{kind:<14}{pps:>10.1f}{mps:>12.1f}{n:>10}{pps / bench:>17.2f}x")
    print(f"{'scrapy bench':<14}{bench:>10.1f}{'-':>12}{'-':>10}{1:>17.2f}x")
    print("(scrapy bench fetches tiny link pages and stores nothing; repmon parses, scores with SnowNLP and "
          "writes every mention and snapshot to SQLite)")


if __name__ == "__main__":
    main()
