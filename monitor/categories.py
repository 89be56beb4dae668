"""Complaint categories of negative mentions, from configurable keyword lists. Pure.

Texts and keywords are folded to simplified Chinese (OpenCC's t2s table), full-width
to half-width and lower case before matching, so 斷裂 matches 断裂 and ＡＰＰ matches app.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from monitor.sentiment.text import simplified

OTHER = "other"

# Defaults from the brand's crisis playbook; order breaks ties (earlier wins).
DEFAULT_CATEGORIES: dict[str, list[str]] = {
    "product_quality": [
        "断裂", "断了", "裂纹", "裂了", "掉色", "褪色", "松动", "瑕疵", "材质不符", "假货", "假的", "色差", "做工差",
        "质量", "质量差", "质量太差", "质量问题", "氧化", "发黑", "划痕", "变形", "过敏", "有毒", "不是a货", "以次充好",
        "broke", "broken", "crack", "fake", "defect", "defective", "quality", "fell apart", "falls apart",
        "falling apart", "came apart", "stopped working", "flimsy", "cheaply made", "tarnish",
    ],
    "logistics": [
        "快递", "物流", "配送", "包装破损", "破损", "延迟", "丢失", "丢件", "发货慢", "发货太慢", "没到", "未送达", "压扁",
        "delivery", "shipping", "courier", "lost parcel", "damaged package", "never arrived", "package", "parcel",
        "arrived late", "tracking",
    ],
    "after_sales": [
        "退货", "退款", "换货", "客服", "投诉", "赔偿", "售后", "推脱", "甩锅", "不理", "拒绝退", "维权", "消费者权益",
        "refund", "return", "customer service", "complaint", "compensation",
    ],
    "price": [
        "降价", "优惠券", "满减", "价保", "差价", "贵", "坑钱", "虚假促销", "先涨后降", "价格",
        "price", "overpriced", "overcharged", "charged twice", "too expensive", "coupon", "discount",
    ],
    "website": [
        "卡顿", "加载慢", "支付失败", "搜索不到", "闪退", "打不开", "app", "页面", "网站", "登录不了", "无法下单",
        "crash", "website", "checkout", "payment failed", "login",
    ],
    "order_error": [
        "错发", "漏发", "发错", "少发", "取消订单", "订单被取消", "取消", "订单错误", "尺寸不对", "圈口不对",
        "wrong item", "wrong size", "wrong colour", "wrong color", "missing item", "cancelled", "canceled",
    ],
}

# Compounds that hold a category keyword but are not about a product or a purchase (空气质量
# is air quality, not product quality): taken out of the text before matching.
NOT_COMPLAINTS: tuple[str, ...] = (
    "空气质量", "水质量", "睡眠质量", "生活质量", "教育质量", "发展质量", "高质量", "质量发展", "医疗质量", "工程质量",
    "air quality", "sleep quality", "quality time",
)

SEVERITY: dict[str, float] = {
    "product_quality": 1.0, "after_sales": 0.8, "order_error": 0.6, "logistics": 0.5, "price": 0.4, "website": 0.4, OTHER: 0.3,
}


def fold_text(text: str) -> str:
    """Simplified, half-width, lower-case form of a text for matching."""
    return simplified(unicodedata.normalize("NFKC", text).casefold())


_LATIN_TERM = re.compile(r"[a-z0-9][a-z0-9 '\-]*")


def _matcher(term: str):
    """A test for one folded term. Chinese has no word breaks, so Chinese terms match as
    substrings; a Latin term must stand as a word (with common endings), or ``app``
    would match "happy" and ``return`` "returnable"."""
    if _LATIN_TERM.fullmatch(term):
        pattern = re.compile(rf"(?<![a-z0-9]){re.escape(term)}(?:s|es|ed|d|ing)?(?![a-z0-9])")
        return lambda text: pattern.search(text) is not None
    return lambda text: term in text


class Categoriser:
    """Matches texts against category keyword lists (folded once, at construction)."""

    def __init__(self, categories: Mapping[str, Sequence[str]] | None = None):
        cats = categories if categories is not None else DEFAULT_CATEGORIES
        self._terms = [
            (name, tuple(_matcher(fold_text(t).strip()) for t in terms if t.strip())) for name, terms in cats.items()
        ]

    def categorise(self, text: str) -> str:
        """The category with the most keyword hits (ties: the one listed first), or 'other'."""
        t = fold_text(text)
        for compound in NOT_COMPLAINTS:
            if compound in t:
                t = t.replace(compound, " ")
        best, best_hits = OTHER, 0
        for name, terms in self._terms:
            hits = sum(1 for matches in terms if matches(t))
            if hits > best_hits:
                best, best_hits = name, hits
        return best
