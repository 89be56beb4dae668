"""Realistic notifications for alert tests, with a hostile post in them."""

from __future__ import annotations

from monitor.notifications import Notification

HOSTILE = (
    "<!channel> <!here> <@U123ABC> @everyone <https://evil.example|click me> [免费领取](http://evil.example) "
    '<at user_id="all">所有人</at> <at id=all></at> *bold* _it_ ~s~ `code` & < > \x00\x07 '
    "visit https://phish.example/login now"
)


def incident_note(kind: str = "alert", tier: str = "red", incident_id: int = 7, key: str | None = None,
                  locale: str = "zh-CN", text: str = HOSTILE, author: str = "<@U999> 小雨", **extra) -> Notification:
    post = {"id": 1, "text": text, "url": "https://weibo.example/status/1", "author_name": author, "followers": 3200,
            "kol": False, "reposts": 160, "comments": 20, "likes": 90, "reach": 270,
            "published_at": "2026-03-10T01:00:00+00:00", "source_id": "weibo"}
    kol = dict(post, id=2, author_name="珠宝测评师老王", followers=860000, kol=True, text="测评：手镯之家手镯有裂纹")
    context = {
        "incident_id": incident_id, "brand": {"id": "shouzhuo", "name": "手镯之家", "locale": locale},
        "tier": tier, "cause": "product_quality", "status": "open", "trigger": "a negative post passed 50 reposts (160)",
        "negative_volume": 678, "negative_count": 13, "reposts": 665, "top_posts": [kol, post], "kols": [kol],
        "kol_involved": True,
        "clock": {"opened_at": "2026-03-10T02:00:00+00:00", "deadline": "2026-03-10T06:00:00+00:00", "seconds_left": 14400,
                  "next_checkpoint": {"step": "contact", "title": "私信联系发帖人", "at": "2026-03-10T03:00:00+00:00", "seconds_left": 3600},
                  "steps": [{"step": "contact", "title": "私信联系发帖人", "due": "2026-03-10T03:00:00+00:00", "done_at": None, "state": "pending"}]},
        "playbook": {"who": "危机小组", "action": "启动危机预案"}, "acknowledged": False, "now": "2026-03-10T02:00:00+00:00",
        "step": "contact", "previous_tier": "orange", "changes": [], "number": 1,
        "summary": {"time_to_ack_seconds": 600, "time_to_first_response_seconds": 5400, "clock_kept": True, "duration_seconds": 7200},
        "how": "manual",
    }
    context.update(extra)
    return Notification(kind=kind, key=key or f"incident:{incident_id}:{kind}", brand="shouzhuo", tier=tier,
                        incident_id=incident_id, context=context)
