"""Write ``samples/shouzhuo_demo.jsonl``: a made-up day and a half of mentions of the
brand 手镯之家 — a quiet day, then a product-quality complaint that spreads, a KOL
picks it up, and a smaller logistics grumble alongside.

Every post, user and number is invented for the demo. Run it again to regenerate the
file (the output is deterministic): ``python samples/make_demo.py``.
"""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path

CST = timezone(timedelta(hours=8))
START = datetime(2026, 3, 9, 8, 0, tzinfo=CST)  # replay shifts it to "now"
OUT = Path(__file__).with_name("shouzhuo_demo.jsonl")

QUIET = [
    "在手镯之家买的和田玉手镯今天到了，水头很足，戴着很舒服，好评！",
    "手镯之家的客服小姐姐很耐心，帮我量了手围，推荐的圈口刚刚好",
    "第二次在手镯之家回购了，银手镯做工精致，送妈妈的生日礼物",
    "手镯之家直播间今晚有活动，蹲一个翡翠平安镯",
    "请问手镯之家的金镶玉款有人买过吗？想看看实物图",
    "手镯之家包装很用心，还送了保养布和证书",
    "朋友推荐的手镯之家，价格比商场实惠不少，质量也不错",
    "手镯之家新出的古法金手镯好好看，已经加购物车了",
    "在手镯之家给女朋友挑了一个玛瑙手镯，她很喜欢",
    "手镯之家的售后还行，尺寸不合适给换了，就是等了几天",
    "手镯之家 快递有点慢，不过东西是好的",
    "有没有姐妹对比过手镯之家和别家的和田玉？求推荐",
    "手镯之家这次的满减活动力度一般般",
    "戴了半年手镯之家的银镯子，一点没氧化，很满意",
    "手镯之家的证书可以在官网查到，放心了",
    "Bought a jade bangle from 手镯之家 for my mum, she loves it!",
]
UNRELATED = [
    "今天天气不错，去公园走了走",
    "新买的手机壳到了，颜色很正",
    "周末去看了场电影，推荐大家去看",
    "这家奶茶店的芋泥波波太好喝了",
]
COMPLAINT = "在手镯之家买的翡翠手镯戴了三天就断裂了！！客服说是人为损坏拒绝退换，质量这么差还甩锅，大家避雷[怒][怒]"
ECHOES = [
    "我在手镯之家买的手镯也断了，和楼上一模一样，质量太差了",
    "手镯之家的银手镯戴一周就掉色，说好的足银呢？材质不符",
    "看到手镯之家手镯断裂的帖子，吓得我赶紧检查了一下，已经有裂纹了[泪]",
    "手镯之家是不是换了供应商？最近的货瑕疵特别多，太失望了",
    "手镯之家卖假货吧？鉴定出来根本不是A货，气死了",
    "手镯之家 质量问题一大堆，客服只会复制粘贴，差评",
    "转发扩散：手镯之家手镯断裂还拒绝售后，消费者权益谁来保护",
    "刚收到手镯之家的镯子就有色差和瑕疵，和图片完全不一样",
]
LOGISTICS = [
    "手镯之家的快递一周了还没到，物流信息也不更新，着急送人的",
    "手镯之家发货太慢了，包装破损，盒子都压扁了",
]
KOL_POST = (
    "最近很多粉丝私信我手镯之家手镯断裂的事，我买了三只做了测评：两只有明显裂纹，"
    "材质和宣传不符。品牌方至今没有正面回应，建议大家谨慎购买。"
)


def main() -> None:
    rnd = random.Random(20260309)
    lines: list[dict] = []
    n = 0

    def post(text: str, at: datetime, user: str, followers: int, *, verified: bool = False, reposts: int = 0,
             comments: int = 0, likes: int = 0, fetched: datetime | None = None, pid: str | None = None) -> str:
        nonlocal n
        if pid is None:
            n += 1
            pid = f"demo{n:04d}"
        lines.append({
            "id": pid,
            "url": f"https://weibo.example/status/{pid}",
            "text": text,
            "author": {"id": f"u-{user}", "name": user,
                       "followers": followers, "verified": verified},
            "published_at": at.isoformat(),
            "fetched_at": (fetched or at + timedelta(minutes=rnd.randint(5, 40))).isoformat(),
            "reposts": reposts, "comments": comments, "likes": likes,
        })
        return pid

    # Day one: quiet, mostly happy customers, one or two grumbles, some noise.
    t = START
    for i, text in enumerate(QUIET):
        t += timedelta(minutes=rnd.randint(40, 80))
        post(text, t, f"顾客{i + 1:02d}", rnd.randint(30, 3000), reposts=rnd.randint(0, 3),
             comments=rnd.randint(0, 8), likes=rnd.randint(0, 40))
    for text in UNRELATED:
        post(text, START + timedelta(hours=rnd.randint(1, 12)), f"路人{rnd.randint(1, 99)}", rnd.randint(10, 500))

    # Day two: the complaint, re-crawled as it spreads (same id, growing counts).
    t0 = START + timedelta(hours=26)
    growth = [(0.5, 8, 15, 40), (1.5, 36, 60, 150), (2.5, 88, 140, 420), (4, 160, 260, 900)]
    pid = None
    for hours, reposts, comments, likes in growth:
        pid = post(COMPLAINT, t0, "小雨爱生活", 3_200, reposts=reposts, comments=comments, likes=likes,
                   fetched=t0 + timedelta(hours=hours), pid=pid)
    for i, text in enumerate(ECHOES):
        at = t0 + timedelta(minutes=50 + 25 * i)
        post(text, at, f"网友{i + 1:02d}", rnd.randint(50, 20_000), reposts=rnd.randint(2, 35),
             comments=rnd.randint(1, 30), likes=rnd.randint(5, 120))
    kol_at = t0 + timedelta(hours=3)
    kol = None
    for hours, reposts in ((0.3, 120), (1, 380)):
        kol = post(KOL_POST, kol_at, "珠宝测评师老王", 860_000, verified=True, reposts=reposts,
                   comments=reposts // 2, likes=reposts * 4, fetched=kol_at + timedelta(hours=hours), pid=kol)
    for i, text in enumerate(LOGISTICS):
        post(text, t0 + timedelta(hours=1 + i), f"买家{i + 1}", rnd.randint(100, 900), reposts=rnd.randint(0, 4),
             comments=rnd.randint(0, 6), likes=rnd.randint(0, 10))

    lines.sort(key=lambda r: r["fetched_at"])
    with OUT.open("w", encoding="utf-8") as f:
        for r in lines:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"wrote {len(lines)} lines to {OUT}")


if __name__ == "__main__":
    main()
