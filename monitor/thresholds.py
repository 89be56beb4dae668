"""Watch triggers and tiers: pure functions of figures and the incident config."""

from __future__ import annotations

from collections.abc import Sequence

from monitor.config import IncidentsConfig
from monitor.figures import Figures


# The reasons go into the alert as they are, so they speak the brand's language.
PHRASES = {
    "en": {
        "reposts": "a negative post passed {threshold} reposts ({reposts})",
        "kol": "KOL {who}{followers} posted a negative mention",
        "followers": ", {n:,} followers",
        "mention": "mention {id}",
        "spike": "negative volume in the last hour ({last}) is {ratio:.1f}× its usual hourly level ({usual:.1f})",
        "spike_from_quiet": "negative volume in the last hour ({last}) against a usual hourly level of {usual:.1f}",
    },
    "zh-CN": {
        "reposts": "一条负面内容转发超过 {threshold} 次（{reposts} 次）",
        "kol": "KOL {who}{followers}发布了负面内容",
        "followers": "（粉丝 {n:,}）",
        "mention": "内容 {id}",
        "spike": "过去一小时负面声量（{last}）是平时每小时水平（{usual:.1f}）的 {ratio:.1f} 倍",
        "spike_from_quiet": "过去一小时负面声量（{last}），平时每小时仅 {usual:.1f}",
    },
}


def triggers(fig: Figures, cfg: IncidentsConfig, hourly: Sequence[int] | None = None, locale: str = "zh-CN",
             last_hour_posts: int = 0) -> list[str]:
    """Why an incident should open for these figures (empty: it should not), in ``locale``.

    ``hourly`` is the negative volume per hour over the spike baseline, oldest first,
    the last element being the last hour; ``last_hour_posts`` the negative posts in that hour.
    """
    say = PHRASES.get(locale, PHRASES["en"])
    reasons = []
    top = fig.max_reposts
    if top is not None and top.reposts > cfg.repost_threshold:
        reasons.append(say["reposts"].format(threshold=cfg.repost_threshold, reposts=top.reposts))
    for kol in fig.kols:
        who = kol.author_name or say["mention"].format(id=kol.id)
        followers = say["followers"].format(n=kol.author_followers) if kol.author_followers else ""
        reasons.append(say["kol"].format(who=who, followers=followers))
    if hourly and spike(hourly, cfg, last_hour_posts):
        last, usual = hourly[-1], usual_level(hourly)
        # The actual ratio, not the configured multiple: how far above normal it really is.
        if usual >= 1:
            reasons.append(say["spike"].format(last=last, usual=usual, ratio=last / usual))
        else:  # (almost) nothing usually: a ratio would be meaningless
            reasons.append(say["spike_from_quiet"].format(last=last, usual=usual))
    return reasons


def usual_level(hourly: Sequence[int]) -> float:
    """The usual hourly negative volume: the mean of the hours before the last one."""
    before = hourly[:-1]
    return sum(before) / len(before) if before else 0.0


def spike(hourly: Sequence[int], cfg: IncidentsConfig, last_hour_posts: int) -> bool:
    """Last hour ≥ multiple × the mean of the hours before it, with at least the minimum
    volume from at least the minimum number of posts."""
    if not cfg.spike.enabled or len(hourly) < 2 or last_hour_posts < cfg.spike.min_posts:
        return False
    last = hourly[-1]
    return last >= cfg.spike.min_volume and last >= cfg.spike.multiple * max(usual_level(hourly), 1.0)


def tier_for(fig: Figures, cfg: IncidentsConfig) -> str:
    """yellow below ``orange_from``, orange up to ``red_above``, red above it or with a KOL."""
    if cfg.kol_is_red and fig.kol_involved:
        return "red"
    if fig.negative_volume > cfg.red_above:
        return "red"
    if fig.negative_volume >= cfg.orange_from:
        return "orange"
    return "yellow"
