"""The console's words and labels in its two languages (moved here from ``app.py`` unchanged)."""

from __future__ import annotations

from monitor.config import Config

EVENT_LABELS = {
    "zh-CN": {"opened": "开始", "acknowledged": "确认", "step_done": "完成步骤", "reminder": "提醒", "deadline_missed": "超时",
              "status_update": "状态更新", "escalated": "升级", "evidence": "新证据", "silenced": "静音", "resolved": "结束"},
    "en": {"opened": "opened", "acknowledged": "acknowledged", "step_done": "step done", "reminder": "reminder",
           "deadline_missed": "deadline missed", "status_update": "status update", "escalated": "escalated",
           "evidence": "new evidence", "silenced": "silenced", "resolved": "resolved"},
}

STEP_STATE_LABELS = {"zh-CN": {"pending": "待完成", "overdue": "已逾期", "done": "已完成", "done_late": "逾期完成"},
                     "en": {"pending": "pending", "overdue": "overdue", "done": "done", "done_late": "done late"}}


WORDS = {
    "zh-CN": {
        "incidents": "事件", "mentions": "提及", "digests": "日报", "sources": "数据源", "config": "配置", "logout": "退出",
        "login": "登录", "name": "姓名", "token": "令牌", "open_incidents": "进行中的事件", "all_incidents": "全部事件",
        "show_all": "显示全部", "tier": "等级", "cause": "原因", "status": "状态", "volume": "负面声量", "opened": "开始",
        "time_left": "剩余时间", "next_step": "下一步", "none_open": "没有进行中的事件", "acknowledge": "确认事件",
        "mark_done": "标记完成", "resolve": "结束事件", "timeline": "时间线", "evidence": "负面帖子", "statement": "回应草稿",
        "copy": "复制", "copied": "已复制", "clock": "黄金四小时", "deadline": "截止", "step": "步骤", "due": "应完成",
        "done": "完成", "brand": "品牌", "source": "来源", "negative_only": "仅负面", "category": "类别", "date": "日期",
        "filter": "筛选", "text": "内容", "author": "作者", "reposts": "转发", "sentiment": "情感", "published": "发布时间",
        "page": "页", "last_run": "最近运行", "last_success": "最近成功", "items": "条数", "last_error": "最近错误",
        "no_digests": "还没有日报", "acknowledged_by": "确认人", "kol_watch": "待关注 KOL", "trigger": "触发",
        "all_brands": "全部品牌", "all_sources": "全部来源", "all_categories": "全部类别",
        "login_failed": "令牌错误或姓名为空", "too_many_logins": "登录失败次数过多，请一分钟后再试",
        "logout_confirm": "确定退出登录？", "msg_ack": "已确认事件", "msg_step": "步骤已标记完成", "msg_resolve": "事件已结束",
        "already_ack": "该事件已被 {who} 确认（{at}）", "already_step": "该步骤已于 {at} 完成", "via": "途径",
    },
    "en": {
        "incidents": "Incidents", "mentions": "Mentions", "digests": "Digests", "sources": "Sources", "config": "Config",
        "logout": "Log out", "login": "Log in", "name": "Name", "token": "Token", "open_incidents": "Open incidents",
        "all_incidents": "All incidents", "show_all": "Show all", "tier": "Tier", "cause": "Cause", "status": "Status",
        "volume": "Negative volume", "opened": "Opened", "time_left": "Time left", "next_step": "Next step",
        "none_open": "No open incidents", "acknowledge": "Acknowledge", "mark_done": "Mark done", "resolve": "Resolve",
        "timeline": "Timeline", "evidence": "Negative posts", "statement": "Draft statement", "copy": "Copy",
        "copied": "Copied", "clock": "Four-hour clock", "deadline": "Deadline", "step": "Step", "due": "Due", "done": "Done",
        "brand": "Brand", "source": "Source", "negative_only": "Negative only", "category": "Category", "date": "Date",
        "filter": "Filter", "text": "Text", "author": "Author", "reposts": "Reposts", "sentiment": "Sentiment",
        "published": "Published", "page": "page", "last_run": "Last run", "last_success": "Last success", "items": "Items",
        "last_error": "Last error", "no_digests": "No digests yet", "acknowledged_by": "Acknowledged by", "kol_watch": "KOL mentions to watch", "trigger": "Trigger",
        "all_brands": "All brands", "all_sources": "All sources", "all_categories": "All categories",
        "login_failed": "wrong token or empty name", "too_many_logins": "too many failed logins from your address; try again in a minute",
        "logout_confirm": "Log out of the console?", "msg_ack": "acknowledged", "msg_step": "step marked done",
        "msg_resolve": "incident resolved", "already_ack": "already acknowledged by {who} at {at}",
        "already_step": "that step was already done at {at}", "via": "via",
    },
}


def console_language(config: Config) -> str:
    """``en`` when every brand speaks English, else ``zh-CN`` (the team's default)."""
    return "en" if config.brands and all(b.locale == "en" for b in config.brands) else "zh-CN"
