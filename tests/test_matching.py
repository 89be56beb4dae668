from __future__ import annotations

from monitor.config import KeywordRules, KolRule
from monitor.matching import is_kol, match_brand, matches
from tests.support.factories import make_config


def rules(any_, all_=(), none=()):
    return KeywordRules(any=list(any_), all=list(all_), none=list(none))


def test_a_brand_name_inside_chinese_text_without_spaces_matches():
    assert matches(rules(["手镯之家"]), "在手镯之家买的翡翠手镯戴了三天就断裂了")


def test_any_of_needs_only_one_term():
    assert matches(rules(["手镯之家", "手镯家"]), "手镯家的客服不错")
    assert not matches(rules(["手镯之家", "手镯家"]), "手链之家的客服不错")


def test_all_of_needs_every_term():
    r = rules(["手镯之家"], all_=["断裂", "翡翠"])
    assert matches(r, "手镯之家的翡翠手镯断裂了")
    assert not matches(r, "手镯之家的银手镯断裂了")


def test_none_of_excludes_the_text():
    r = rules(["手镯之家"], none=["招聘"])
    assert not matches(r, "手镯之家招聘店员")
    assert matches(r, "手镯之家的店员很热情")


def test_matching_ignores_case_and_full_width_letters():
    r = rules(["Shouzhuo Home"])
    assert matches(r, "I love SHOUZHUO HOME bangles")
    assert matches(r, "ＳＨＯＵＺＨＵＯ ＨＯＭＥ 的手镯")


def test_the_first_matching_brand_in_config_order_wins(tmp_path):
    brands = """
brands:
  - {id: a, name: A, keywords: {any: [手镯]}}
  - {id: b, name: B, keywords: {any: [手镯之家]}}
"""
    cfg = make_config(tmp_path, "sqlite://", brands=brands)
    assert match_brand(cfg.brands, "手镯之家").id == "a"
    assert match_brand(cfg.brands, "项链") is None


def test_kol_by_followers_by_verification_or_by_name():
    rule = KolRule(min_followers=100_000, verified=True, accounts=["珠宝测评师老王"])
    assert is_kol(rule, followers=100_000, verified=False)
    assert not is_kol(rule, followers=99_999, verified=False)
    assert is_kol(rule, followers=10, verified=True)
    assert is_kol(rule, followers=10, verified=False, author_ids=("u1", "珠宝测评师老王"))
    assert not is_kol(KolRule(verified=False), followers=10, verified=True)


def test_traditional_chinese_text_matches_a_simplified_keyword_and_the_other_way_round():
    assert matches(rules(["手镯之家"]), "我在手鐲之家買的手鐲斷了")
    assert matches(rules(["手鐲之家"]), "手镯之家的客服")
    assert not matches(rules(["手镯之家"], none=["招聘"]), "手鐲之家招聘店員")
