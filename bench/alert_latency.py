"""Time from a mention being stored to its alert being accepted by a local Slack-like
server, over N incidents (default 100): median and p95.

    python bench/alert_latency.py [--incidents 100]

Each round stores one negative mention that passes the repost threshold, runs one
evaluation cycle (open incident → outbox) and one delivery round through the real
slack_sdk client, then resolves the incident so the next round opens a fresh one.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.delivery import Deliverer  # noqa: E402
from monitor.clock import FixedClock  # noqa: E402
from monitor.config import parse_config  # noqa: E402
from monitor.cycle import evaluate_and_enqueue  # noqa: E402
from monitor.db import make_engine, session_factory, session_scope  # noqa: E402
from monitor.incidents import resolve  # noqa: E402
from monitor.migrate import upgrade  # noqa: E402
from monitor.models import Mention  # noqa: E402
from tests.support.fake_chat import fake_server  # noqa: E402

# Each round opens an incident, which the cycle logs as a warning: noise between the progress lines.
logging.getLogger("monitor").setLevel(logging.ERROR)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--incidents", type=int, default=100)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp())
    url = f"sqlite:///{folder / 'lat.db'}"
    engine = make_engine(url)
    upgrade(engine)
    factory = session_factory(engine)
    t0 = datetime(2026, 3, 10, tzinfo=timezone.utc)
    latencies = []
    with fake_server("slack") as (base, rec):
        cfg = parse_config(
            f"database: {{url: '{url}'}}\nbrands:\n  - {{id: b, name: B, keywords: {{any: [b]}}}}\n"
            f"channels:\n  pr: {{kind: slack, token: xoxb-bench, channel: C1, base_url: '{base}/api/'}}\n"
            "routes: {yellow: [pr], orange: [pr], red: [pr]}\n",
            base_dir=folder,
        )
        deliverer = Deliverer(cfg)
        for i in range(args.incidents):
            now = t0 + timedelta(hours=i)
            clock = FixedClock(now)
            before = len(rec.requests)
            start = time.perf_counter()
            with session_scope(factory) as s:
                s.add(Mention(source_id="bench", external_id=str(i), text="b 质量太差", published_at=now, fetched_at=now,
                              first_seen_at=now, reposts=60, comments=0, likes=0, negative=True, category="product_quality",
                              kol=False, brand="b", sentiment=0.1))
            cycle = evaluate_and_enqueue(cfg, factory, clock)
            deliverer.deliver_due(factory, clock)
            assert len(rec.requests) == before + 1, "alert not accepted"
            latencies.append(time.perf_counter() - start)
            with session_scope(factory) as s:
                resolve(s, cycle.evaluation.opened[0], actor="bench", now=now + timedelta(minutes=1), config=cfg)
            print(f"\r  {i + 1}/{args.incidents}", end="", file=sys.stderr)
    print(file=sys.stderr)
    latencies.sort()
    p95 = latencies[min(len(latencies) - 1, int(round(0.95 * len(latencies))) - 1)]
    print(f"mention stored -> alert accepted by Slack-like server, {len(latencies)} incidents: "
          f"median {statistics.median(latencies) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms")
    print("(in the service, add up to service.evaluate_every for the next cycle; a crawl that stores new "
          "mentions triggers evaluation at once)")
    engine.dispose()


if __name__ == "__main__":
    main()
