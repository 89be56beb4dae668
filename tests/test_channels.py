"""Channels as plug-ins: the kind → class registry, and one rule for what an HTTP answer means."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from types import SimpleNamespace
from typing import get_args

import httpx
import pytest
from pydantic import BaseModel

from alerts.channels import REGISTRY, UnknownChannelKind, build_channel, channel_class, kind_of
from alerts.console import ConsoleChannel
from alerts.feishu import TEMPORARY_CODES, FeishuChannel, read_answer
from alerts.file import FileChannel
from alerts.http import Answer, network_failure, outcome, parse_retry_after
from alerts.slack import SlackChannel
from monitor.config import AnyChannelConfig
from tests.support.factories import make_config

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)
ALL_KINDS = """
channels:
  screen: {kind: console}
  archive: {kind: file, path: out/alerts.jsonl}
  pr: {kind: slack, token: xoxb-s3cret, channel: C1, base_url: 'http://127.0.0.1:9/api'}
  hook: {kind: slack, webhook_url: 'http://127.0.0.1:9/hook/T1/B1/s3cret'}
  fs: {kind: feishu, webhook_url: 'http://127.0.0.1:9/open-apis/bot/v2/hook/s3cret', secret: sign-s3cret}
"""


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path, f"sqlite:///{tmp_path / 'repmon.db'}", ALL_KINDS)


# --------------------------------------------------------------------------- registry


def channel_config_models() -> list[type[BaseModel]]:
    """The channel config models config.yaml accepts (the members of the ``kind`` union)."""
    union, _discriminator = get_args(AnyChannelConfig)
    return list(get_args(union))


@pytest.mark.parametrize("model", channel_config_models(), ids=lambda m: m.__name__)
def test_every_kind_the_config_accepts_has_a_channel_class_built_from_that_model(model):
    cls = channel_class(kind_of(model))
    assert cls.config_model is model
    assert model.__name__.endswith("ChannelConfig") and model.__name__ != cls.__name__


def test_the_registry_holds_exactly_the_kinds_the_config_accepts():
    assert set(REGISTRY) == {kind_of(m) for m in channel_config_models()} == {"console", "file", "slack", "feishu"}


def test_each_configured_channel_is_built_by_its_kinds_class_under_its_own_name(config):
    built = {name: build_channel(name, config) for name in config.channels}
    assert {name: type(ch) for name, ch in built.items()} == {
        "screen": ConsoleChannel, "archive": FileChannel, "pr": SlackChannel, "hook": SlackChannel, "fs": FeishuChannel}
    assert all(ch.name == name for name, ch in built.items())


def test_a_file_channel_path_is_read_relative_to_the_config_file(config, tmp_path):
    assert build_channel("archive", config).path == tmp_path / "out" / "alerts.jsonl"


def test_an_unknown_kind_is_named_with_the_kinds_that_exist():
    with pytest.raises(UnknownChannelKind, match=r"'pigeon'.*known kinds: console, feishu, file, slack"):
        channel_class("pigeon")


def test_a_configured_channel_without_a_class_for_its_kind_is_named(config):
    config.channels["carrier"] = SimpleNamespace(kind="pigeon")  # a config model added without its transport
    with pytest.raises(UnknownChannelKind, match=r"channel 'carrier'.*'pigeon'"):
        build_channel("carrier", config)


def test_a_config_model_without_a_single_literal_kind_cannot_be_registered():
    class Loose(BaseModel):
        kind: str

    with pytest.raises(TypeError, match="Loose"):
        kind_of(Loose)


# --------------------------------------------------------------------------- outcome of an HTTP answer

SLACK_BUSY = {"ratelimited", "service_unavailable"}
FEISHU_BUSY = {9499, 11232}
SENT, RETRY, FAILED = "sent", "retry", "failed for good"

OUTCOMES = [
    # (case, answer, platform's temporary errors, expected outcome, wait, words in the error)
    ("a 200 without an error is sent", Answer(200), (), SENT, None, None),
    ("a 204 is sent", Answer(204), (), SENT, None, None),
    ("a 429 waits for its Retry-After", Answer(429, {"Retry-After": "7"}), (), RETRY, 7.0, "rate limited"),
    ("a 429 reads Retry-After in any case and from a list", Answer(429, {"retry-after": ["3"]}), (), RETRY, 3.0, "rate limited"),
    ("a 429 without Retry-After leaves the wait to the backoff", Answer(429), (), RETRY, None, "rate limited"),
    ("a 429 with an unreadable Retry-After leaves the wait to the backoff", Answer(429, {"Retry-After": "soon"}), (), RETRY, None, None),
    ("a 500 is retried", Answer(500), (), RETRY, None, "HTTP 500"),
    ("a 503 is retried and says the platform's error", Answer(503, error="internal_error"), (), RETRY, None, "HTTP 503 internal_error"),
    ("a 5xx is retried even with a refusal code in the body", Answer(502, error="invalid_auth"), (), RETRY, None, "HTTP 502"),
    ("a busy error sent with a 200 is retried", Answer(200, error="ratelimited"), SLACK_BUSY, RETRY, None, "HTTP 200 ratelimited"),
    ("a busy numeric code is retried", Answer(200, error=9499, message="too many requests"), FEISHU_BUSY, RETRY, None, "code 9499 too many requests"),
    ("an answer that cannot be read is retried", Answer(200, readable=False), (), RETRY, None, "not readable"),
    ("a 4xx that cannot be read is retried", Answer(404, readable=False), (), RETRY, None, "HTTP 404"),
    ("an error name sent with a 200 is a refusal", Answer(200, error="channel_not_found"), SLACK_BUSY, FAILED, None, "refused (HTTP 200 channel_not_found)"),
    ("an error code sent with a 200 is a refusal", Answer(200, error=19021, message="sign match fail"), FEISHU_BUSY, FAILED, None, "code 19021 sign match fail"),
    ("a 400 is a refusal", Answer(400), (), FAILED, None, "refused (HTTP 400)"),
    ("a 403 with an error name is a refusal", Answer(403, error="invalid_token"), (), FAILED, None, "HTTP 403 invalid_token"),
    ("a 404 is a refusal", Answer(404, error="no_service"), SLACK_BUSY, FAILED, None, "no_service"),
    ("a redirect is a refusal", Answer(302), (), FAILED, None, "HTTP 302"),
]


@pytest.mark.parametrize("case, answer, busy, expected, wait, words", OUTCOMES, ids=[c[0] for c in OUTCOMES])
def test_an_http_answer_is_sent_retried_or_failed_for_good(case, answer, busy, expected, wait, words):
    result = outcome("test ch", answer, temporary_errors=busy)
    assert (SENT if result.ok else RETRY if result.retry else FAILED) == expected
    assert result.retry_after == wait
    if expected == SENT:
        assert result.error is None
    else:
        assert result.error.startswith("test ch: ") and (words is None or words in result.error)


def test_a_platforms_own_reset_header_is_read_after_retry_after():
    feishu_headers = ("Retry-After", "x-ogw-ratelimit-reset")
    only_reset = outcome("fs", Answer(429, {"X-Ogw-Ratelimit-Reset": "5"}), retry_after_headers=feishu_headers)
    both = outcome("fs", Answer(429, {"x-ogw-ratelimit-reset": "5", "Retry-After": "2"}), retry_after_headers=feishu_headers)
    assert (only_reset.retry_after, both.retry_after) == (5.0, 2.0)


def test_a_retry_after_date_waits_until_that_date():
    when = format_datetime(NOW + timedelta(seconds=90), usegmt=True)
    assert outcome("c", Answer(429, {"Retry-After": when}), now=NOW).retry_after == 90.0


def test_a_network_failure_is_retried_and_names_only_the_kind_of_failure():
    exc = httpx.ConnectError("cannot connect to https://open.feishu.cn/open-apis/bot/v2/hook/s3cret")
    result = network_failure("feishu fs", exc)
    assert result.retry and result.error == "feishu fs: network error (ConnectError)"


# --------------------------------------------------------------------------- Retry-After

RETRY_AFTER = [
    ("7", 7.0),
    (" 120 ", 120.0),
    ("0", 0.0),
    ("1.5", 1.5),
    (format_datetime(NOW + timedelta(seconds=90), usegmt=True), 90.0),  # IMF-fixdate
    ("Tuesday, 10-Mar-26 02:01:30 GMT", 90.0),  # obsolete RFC 850 form
    ("Tue Mar 10 02:01:30 2026", 90.0),  # obsolete asctime form
    (format_datetime(NOW - timedelta(hours=1), usegmt=True), 0.0),  # already past: now
    ("-3", None),
    ("+3", None),
    ("1e3", None),
    ("nan", None),
    ("soon", None),
    ("", None),
    ("Tue, 99 Mar 2026 02:01:30 GMT", None),
]


@pytest.mark.parametrize("value, seconds", RETRY_AFTER, ids=[repr(v) for v, _ in RETRY_AFTER])
def test_retry_after_is_read_as_seconds_or_as_a_date_and_anything_else_is_no_wait(value, seconds):
    assert parse_retry_after(value, NOW) == seconds


# --------------------------------------------------------------------------- Feishu's answers


@pytest.mark.parametrize("response, expected", [
    (httpx.Response(200, json={"code": 0, "msg": "success"}), SENT),
    (httpx.Response(200, json={"StatusCode": 0, "StatusMessage": "success"}), SENT),
    (httpx.Response(200, json={"code": 19024, "msg": "Key Words Not Found"}), FAILED),
    (httpx.Response(200, json={"code": 9499, "msg": "too many requests"}), RETRY),
    (httpx.Response(400, json={"code": 0}), FAILED),
    (httpx.Response(200, text="<html>gateway</html>"), RETRY),
    (httpx.Response(200, json=["not", "an", "object"]), RETRY),
    (httpx.Response(200, json={"code": {"odd": 1}}), FAILED),
], ids=["code 0", "old StatusCode 0", "refusal code", "busy code", "400 with code 0", "html", "json list", "odd code"])
def test_feishu_answers_are_judged_by_their_code(response, expected):
    result = outcome("feishu fs", read_answer(response), temporary_errors=TEMPORARY_CODES)
    assert (SENT if result.ok else RETRY if result.retry else FAILED) == expected
