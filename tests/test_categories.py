from __future__ import annotations

import pytest

from monitor.categories import Categoriser
from monitor.scoring import priority_score


@pytest.mark.parametrize(
    "text,category",
    [
        ("在手镯之家买的翡翠手镯戴了三天就断裂了，质量太差", "product_quality"),
        ("手镯之家的手镯戴了三天就斷裂了", "product_quality"),  # traditional characters
        ("手镯之家的快递一周了还没到，包装破损", "logistics"),
        ("找客服要求退货退款，一直推脱", "after_sales"),
        ("刚买完就降价，价保也不给", "price"),
        ("APP 閃退，支付失敗", "website"),
        ("订单错发了，还漏发一件", "order_error"),
        ("心情不好", "other"),
        ("The bangle broke after two days, poor quality", "product_quality"),
    ],
)
def test_negative_texts_fall_into_the_playbook_categories(text, category):
    assert Categoriser().categorise(text) == category


def test_staff_can_replace_the_keyword_lists():
    c = Categoriser({"counterfeit": ["假货", "仿冒"], "packaging": ["包装"]})
    assert c.categorise("这是仿冒的假货") == "counterfeit"
    assert c.categorise("包装很差") == "packaging"
    assert c.categorise("断裂") == "other"


def test_priority_rises_with_negativity_influence_reach_and_severity():
    base = dict(negative=True, category="other", kol=False, followers=100, reposts=0, comments=0, likes=0)
    low = priority_score(0.3, **base)
    assert priority_score(0.05, **base) > low
    assert priority_score(0.3, **{**base, "followers": 500_000}) > low
    assert priority_score(0.3, **{**base, "reposts": 1000}) > low
    assert priority_score(0.3, **{**base, "category": "product_quality"}) > low
    assert priority_score(0.3, **{**base, "kol": True}) > low
    top = priority_score(0.0, negative=True, category="product_quality", kol=True, followers=10**8, reposts=10**6,
                         comments=10**6, likes=10**6)
    assert top == 1.0 and 0.0 <= priority_score(1.0, **{**base, "negative": False}) <= 1.0


def test_latin_terms_match_whole_words_with_their_endings_not_inside_other_words():
    from monitor.categories import Categoriser

    c = Categoriser()
    assert c.categorise("so happy with the appearance") == "other"
    assert c.categorise("the apps keep crashing on checkout") == "website"
    assert c.categorise("这个app太卡了") == "website"
    assert c.categorise("I returned it, refund still pending") == "after_sales"
