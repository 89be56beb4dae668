"""Load and validate ``config.yaml`` into a typed object.

The file is parsed with PyYAML (a key written twice is an error, not a silent
override), ``${ENV_VAR}`` references are expanded from the environment, and the
result is validated by pydantic. Every problem is reported as
one line naming the field path (``brands[0].keywords.any``) and, where known, the
line of the file. Values are never echoed in messages, so a secret that ends up in
the wrong field cannot leak through an error.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, Union
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from monitor import secrets
from monitor.durations import Duration, parse_duration  # noqa: F401  (parse_duration: re-exported)
from monitor.defaults import DEFAULT_CONFIG_PATH
from monitor.sources_config import SourceConfig



class StrictModel(BaseModel):
    """Base for every config section: unknown keys are errors, so typos surface."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class FieldErrors(ValueError):
    """Problems a whole-section check found, each at its own path below the section.

    Raised from a ``model_validator``: pydantic would report a plain ValueError at the
    section (for the whole file, at its first line); the loader reports each of these
    at ``section + path`` with that field's line instead.
    """

    def __init__(self, errors: list[tuple[tuple[str | int, ...], str]]):
        self.errors = errors
        super().__init__("; ".join(f"{format_path(loc)}: {msg}" for loc, msg in errors))


def _non_empty_terms(value: list[str]) -> list[str]:
    cleaned = [t.strip() for t in value]
    if any(not t for t in cleaned):
        raise ValueError("terms must not be blank")
    return cleaned


class KeywordRules(StrictModel):
    """Which texts belong to a brand. Matching is case-insensitive substring matching,
    so it works on Chinese text, which has no spaces between words."""

    any: list[str] = Field(min_length=1, description="a text must contain at least one of these")
    all: list[str] = Field(default_factory=list, description="and every one of these")
    none: list[str] = Field(default_factory=list, description="and none of these")

    _clean = field_validator("any", "all", "none")(_non_empty_terms)


class KolRule(StrictModel):
    """Who counts as a key opinion leader for this brand."""

    min_followers: int = Field(default=100_000, ge=0)
    verified: bool = Field(default=True, description="verified accounts count as KOLs")
    accounts: list[str] = Field(
        default_factory=list, description="author ids or names always treated as KOLs"
    )


class BrandConfig(StrictModel):
    """One monitored brand."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", description="short stable id used in the database")
    name: str = Field(min_length=1)
    locale: Literal["zh-CN", "en"] = "zh-CN"
    keywords: KeywordRules
    kol: KolRule = Field(default_factory=KolRule)


# SQLAlchemy's URL grammar, as far as validation needs it (scheme and port): importing
# SQLAlchemy only to check the config cost every command 0.2 s, also those that never
# open the database (repmon score). tests/test_config.py checks it agrees with make_url.
_DB_URL = re.compile(
    r"^(?P<scheme>[\w+]+)://(?:(?:[^:/]*)(?::.*)?@)?(?:\[[^/]*\]|[^/:]*)?(?::(?P<port>[^/]*))?(?:/.*)?$", re.S)


def database_backend(url: str) -> str | None:
    """The backend a database URL names ("sqlite", "postgresql", ...), or None when it is
    not a URL SQLAlchemy would accept."""
    match = _DB_URL.match(url)
    if match is None:
        return None
    port = match.group("port")
    if port and not port.isdigit():
        return None
    return match.group("scheme").split("+")[0]


class DatabaseConfig(StrictModel):
    """Where mentions, incidents and the outbox live."""

    url: str = "sqlite:///data/repmon.db"
    echo: bool = False

    @field_validator("url")
    @classmethod
    def _sqlite_or_postgresql(cls, value: str) -> str:
        # The value is never quoted back: it may hold a password.
        backend = database_backend(value)
        if backend is None:
            raise ValueError(
                "not a database URL (e.g. sqlite:///data/repmon.db or postgresql+psycopg://user:${PGPASSWORD}@host/db)"
            )
        if backend not in ("sqlite", "postgresql"):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        return value


class ScoringConfig(StrictModel):
    """How mentions are scored."""

    negative_below: float = Field(default=0.4, ge=0.0, le=1.0, description="sentiment below this is negative")
    positive_above: float = Field(default=0.6, ge=0.0, le=1.0,
                                  description="sentiment above this is positive; between the two, neutral")
    model: str | None = Field(
        default=None, description="path of a Chinese sentiment model trained by `repmon train-sentiment` (default: bundled)"
    )
    model_en: str | None = Field(
        default=None, description="path of an English sentiment model trained by `repmon train-sentiment --lang en`"
    )
    categories: dict[str, list[str]] | None = Field(
        default=None,
        description="complaint category -> keywords (simplified or traditional Chinese, English); "
        "omit for the built-in lists (product_quality, logistics, after_sales, price, website, order_error)",
    )
    severity: dict[str, float] = Field(
        default_factory=dict, description="category -> weight 0..1 in the priority score (defaults built in)"
    )

    @field_validator("categories")
    @classmethod
    def _categories_not_empty(cls, value: dict[str, list[str]] | None) -> dict[str, list[str]] | None:
        if value is not None:
            for name, terms in value.items():
                if not re.fullmatch(r"[a-z0-9_]+", name):
                    raise ValueError(f"category name {name!r}: use lower-case letters, digits and _")
                if not terms:
                    raise ValueError(f"category {name!r} needs at least one keyword")
        return value

    @model_validator(mode="after")
    def _severity_of_known_categories(self) -> "ScoringConfig":
        from monitor.categories import DEFAULT_CATEGORIES, OTHER

        known = set(self.categories or DEFAULT_CATEGORIES) | {OTHER}
        errors: list[tuple[tuple[str | int, ...], str]] = []
        if self.positive_above < self.negative_below:
            errors.append((("positive_above",), f"must not be below negative_below ({self.negative_below})"))
        for name, weight in self.severity.items():
            if name not in known:
                errors.append((("severity", name), f"{name!r} is not a category (one of: {', '.join(sorted(known))})"))
            elif not 0.0 <= weight <= 1.0:
                errors.append((("severity", name), "must be between 0 and 1"))
        if errors:
            raise FieldErrors(errors)
        return self


class CrawlConfig(StrictModel):
    """Defaults applied to every source unless the source overrides them."""

    user_agent: str = "repmon/0.1 (+https://github.com/repmon/repmon)"
    download_timeout: Duration = timedelta(seconds=30)
    concurrent_requests_per_domain: int = Field(default=2, ge=1, le=64)
    download_delay: Duration = timedelta(seconds=1)
    autothrottle: bool = True
    retry_times: int = Field(default=2, ge=0, le=10)
    batch_size: int = Field(default=500, ge=1, le=10_000, description="mentions stored per transaction, at most")
    batch_wait: Duration = Field(default=timedelta(seconds=1),
                                 description="the longest a crawled mention waits for its batch to be stored")


class CheckpointConfig(StrictModel):
    """One step of the four-hour clock."""

    step: str = Field(pattern=r"^[a-z0-9_]+$", description="stable id of the step, used by `repmon incidents step`")
    at: Duration = Field(description="due this long after the incident opens")
    title: str = Field(description="what must be done by then")
    title_en: str | None = Field(default=None, description="the title for brands with locale en")


def _default_checkpoints() -> list[CheckpointConfig]:
    return [
        CheckpointConfig(step="contact", at=timedelta(hours=1), title="私信联系发帖人", title_en="Contact the poster privately"),
        CheckpointConfig(step="statement", at=timedelta(hours=2), title="发布官方声明", title_en="Publish the official statement"),
        CheckpointConfig(step="solution", at=timedelta(hours=4), title="公布解决方案（处理、补偿、改进）",
                         title_en="Publish the solution (fix, compensation, what changes)"),
    ]


class SpikeConfig(StrictModel):
    """Optional trigger: the last hour's negative volume against its usual hourly level."""

    enabled: bool = False
    multiple: float = Field(default=3.0, gt=1.0, description="last hour ≥ this × the usual hourly level")
    baseline_days: int = Field(default=7, ge=1, le=90, description="days that make the usual level")
    min_volume: int = Field(default=20, ge=1, description="no spike below this negative volume in the hour")
    # Volume counts reposts, so two posts reposted a little could pass min_volume alone.
    min_posts: int = Field(default=5, ge=1, description="no spike with fewer negative posts than this in the hour")


class PlaybookStep(StrictModel):
    """Who acts at a tier, and what they do (from the brand's crisis playbook)."""

    who: str
    action: str
    who_en: str | None = None
    action_en: str | None = None

    def text(self, locale: str) -> tuple[str, str]:
        if locale == "en":
            return self.who_en or self.who, self.action_en or self.action
        return self.who, self.action


def _default_playbook() -> dict[str, PlaybookStep]:
    return {
        "yellow": PlaybookStep(who="客服", action="私信联系发帖人，了解情况并协商解决，避免事态公开扩大",
                               who_en="Customer care", action_en="Contact the poster privately and settle it; keep it out of public"),
        "orange": PlaybookStep(who="公关 + 客服", action="公关与客服联合处理，准备官方声明",
                               who_en="PR + customer care", action_en="Handle it together; prepare the official statement"),
        "red": PlaybookStep(who="危机小组（CEO / 副总裁直接参与）", action="启动危机预案，发布危机声明：致歉、受影响批次、处理方案、补偿、改进措施",
                            who_en="Crisis team (CEO / VP directly involved)",
                            action_en="Run the crisis plan; publish a crisis statement: apology, affected batches, remedy, compensation, what changes"),
    }


class IncidentsConfig(StrictModel):
    """When incidents open, which tier they have, and the four-hour clock."""

    window: Duration = Field(default=timedelta(hours=24), description="figures are counted over this sliding window")
    repost_threshold: int = Field(default=50, ge=1, description="a negative post with more reposts opens an incident")
    orange_from: int = Field(default=100, ge=1, description="negative volume from which the tier is orange")
    red_above: int = Field(default=500, ge=1, description="negative volume above which the tier is red")
    kol_is_red: bool = Field(default=True, description="any KOL involved makes the tier red")
    kol_confident_below: float = Field(
        default=0.25, ge=0.0, le=1.0,
        description="a KOL's negative post triggers an incident and makes it red only when its sentiment is below "
        "this; a KOL post between this and scoring.negative_below is shown as a KOL mention to watch")
    spike: SpikeConfig = Field(default_factory=SpikeConfig)
    checkpoints: list[CheckpointConfig] = Field(default_factory=_default_checkpoints, min_length=1)
    first_response_step: str = Field(default="statement", description="the step that counts as the first public response")
    deadline_grace: Duration = Field(default=timedelta(minutes=30), description="a step still not done this long after its checkpoint is a missed deadline")
    status_every: Duration = Field(default=timedelta(hours=4), description="status update interval while open")
    quiet_period: Duration = Field(default=timedelta(hours=24), description="resolve by itself after this long with no new negative mention")
    top_posts: int = Field(default=5, ge=1, le=50, description="negative posts shown in an alert")
    playbook: dict[Literal["yellow", "orange", "red"], PlaybookStep] = Field(default_factory=_default_playbook)

    @model_validator(mode="after")
    def _consistent(self) -> "IncidentsConfig":
        errors: list[tuple[tuple[str | int, ...], str]] = []
        if self.red_above < self.orange_from:
            errors.append((("red_above",), "must not be below orange_from"))
        steps = [c.step for c in self.checkpoints]
        for i, step in enumerate(steps):
            if step in steps[:i]:
                errors.append((("checkpoints", i, "step"), f"duplicate step {step!r} (checkpoint steps must be unique)"))
        missing = {"yellow", "orange", "red"} - set(self.playbook)
        if missing:
            errors.append((("playbook",), f"needs every tier (missing {', '.join(sorted(missing))})"))
        if self.first_response_step not in steps:
            errors.append((("first_response_step",), f"{self.first_response_step!r} is not one of the checkpoints"))
        if errors:
            raise FieldErrors(errors)
        return self

    @property
    def deadline(self) -> timedelta:
        """The clock's deadline: the last checkpoint (four hours by default)."""
        return max(c.at for c in self.checkpoints)


class ConsoleChannelConfig(StrictModel):
    """Print messages on the terminal (offline use, demos)."""

    kind: Literal["console"]


class FileChannelConfig(StrictModel):
    """Append messages as JSON lines to a file (offline use, audit)."""

    kind: Literal["file"]
    path: str = Field(description="file to append to, relative to config.yaml")


class SlackChannelConfig(StrictModel):
    """Slack: a bot token and a channel, or an incoming webhook."""

    kind: Literal["slack"]
    token: SecretStr | None = Field(default=None, description="bot token, as ${SLACK_BOT_TOKEN}")
    channel: str | None = Field(default=None, description="channel id or #name, with token")
    webhook_url: SecretStr | None = Field(default=None, description="incoming webhook URL, as ${SLACK_WEBHOOK_URL}")
    base_url: str = Field(default="https://slack.com/api/", description="Slack API base URL (proxies, tests)")
    timeout: Duration = timedelta(seconds=15)

    @model_validator(mode="after")
    def _one_way(self) -> "SlackChannelConfig":
        if bool(self.webhook_url) == bool(self.token):
            raise ValueError("give either token (with channel) or webhook_url")
        if self.token and not self.channel:
            raise ValueError("channel is required with token")
        return self


class FeishuChannelConfig(StrictModel):
    """Feishu / Lark custom bot webhook, optionally signed."""

    kind: Literal["feishu"]
    webhook_url: SecretStr = Field(description="custom bot webhook URL, as ${FEISHU_WEBHOOK_URL}")
    secret: SecretStr | None = Field(default=None, description="signing secret, as ${FEISHU_SECRET}")
    timeout: Duration = timedelta(seconds=15)


# Every channel's config model; ``kind`` picks one. A new channel adds its model here
# (and its transport to ``alerts/channels.py``).
AnyChannelConfig = Annotated[
    Union[ConsoleChannelConfig, FileChannelConfig, SlackChannelConfig, FeishuChannelConfig], Field(discriminator="kind")
]


class RoutesConfig(StrictModel):
    """Which channels get what. Tiers route incident messages; reminders, missed
    deadlines, status updates and resolutions follow their incident's tier route unless
    given a route of their own. A missed deadline goes to the next tier's route as well."""

    yellow: list[str] = Field(default_factory=list)
    orange: list[str] = Field(default_factory=list)
    red: list[str] = Field(default_factory=list)
    reminder: list[str] | None = Field(default=None, description="checkpoint reminders (default: the incident's tier route)")
    deadline_missed: list[str] | None = Field(
        default=None, description="missed deadlines (default: the incident's tier route); the next tier's route gets them too")
    status_update: list[str] | None = Field(default=None, description="4-hourly status updates (default: the incident's tier route)")
    resolved: list[str] | None = Field(default=None, description="closing summaries (default: the incident's tier route)")
    ops: list[str] = Field(default_factory=list, description="operations notices: failing sources, rejected config edits")
    digest: list[str] = Field(default_factory=list, description="the managers' daily summary card")
    page_all: list[Literal["yellow", "orange", "red"]] = Field(
        default_factory=list,
        description="tiers whose alerts and escalations may ping everyone (@channel / @all); a missed deadline "
                    "pings the next tier's route when that tier is listed",
    )


class DeliveryConfig(StrictModel):
    """Outbox delivery and retries."""

    give_up_after: Duration = Field(
        default=timedelta(hours=24),
        description="a message still failing temporarily (5xx, network, full disk) this long after it was written is marked failed",
    )
    max_attempts: int | None = Field(
        default=None, ge=1, le=1000,
        description="also mark it failed after this many failed attempts (rate-limited answers with Retry-After do not count)",
    )
    backoff: Duration = Field(default=timedelta(seconds=30), description="first retry delay; doubles each time")
    max_backoff: Duration = Field(default=timedelta(hours=1))
    sending_lease: Duration = Field(default=timedelta(minutes=5), description="a message claimed this long ago by a process that died is sent again")
    max_message_chars: int = Field(default=6000, ge=500, le=30000)


class WebConfig(StrictModel):
    """The web console."""

    public_url: str | None = Field(default=None, description="when set, alerts link to the incident page here")
    token_env: str = Field(default="REPMON_WEB_TOKEN", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                           description="environment variable holding the console's login token")
    host: str = Field(default="127.0.0.1", description="address `repmon web` binds to unless told otherwise")
    port: int = Field(default=8000, ge=1, le=65535)


class DigestConfig(StrictModel):
    """The managers' daily digest."""

    time: str = Field(default="09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="local time (HH:MM) it is sent, in `timezone`")
    dir: str = Field(default="data/digests", description="archive folder: <dir>/<brand>/<date>.html")


class DistributedConfig(StrictModel):
    """Several crawler processes sharing one Redis-backed Scrapy queue (scrapy-redis)."""

    redis_url: str | None = Field(default=None, description="e.g. redis://127.0.0.1:6379/0; empty: crawl in-process")
    key_prefix: str = Field(default="repmon", pattern=r"^[A-Za-z0-9_.:-]+$")
    round_timeout: Duration = Field(default=timedelta(minutes=10), description="a round still open this long is taken as lost")


class TemplatesConfig(StrictModel):
    dir: str = Field(default="templates", description="folder of the Jinja2 templates, relative to config.yaml")


class ServiceConfig(StrictModel):
    """The always-on service (`repmon run`)."""

    evaluate_every: Duration = Field(default=timedelta(minutes=1), description="evaluation and clock tick interval")
    deliver_every: Duration = Field(default=timedelta(seconds=15), description="outbox delivery interval")
    reload_check_every: Duration = Field(default=timedelta(seconds=10), description="how often config.yaml is checked for edits")
    retention: Duration = Field(default=timedelta(days=180), description="mentions older than this are pruned; incidents and digests are kept")
    lease: Duration = Field(default=timedelta(seconds=90), description="a scheduler silent this long is taken to be dead")
    crawl_timeout: Duration = Field(default=timedelta(minutes=30), description="a crawl running longer is stopped and reported")
    crawl_concurrency: int | None = Field(
        default=None, ge=1, le=256, description="crawls running at once (each a child process); default: one per enabled source"
    )
    stop_timeout: Duration = Field(
        default=timedelta(seconds=60),
        description="on SIGTERM, running crawls are asked to close (what they stored stays) and stopped after this long",
    )


class Config(StrictModel):
    """The whole of ``config.yaml``."""

    timezone: str = "Asia/Shanghai"
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    brands: list[BrandConfig] = Field(min_length=1)
    sources: list[SourceConfig] = Field(default_factory=list)
    scoring: ScoringConfig = Field(default_factory=ScoringConfig)
    crawl: CrawlConfig = Field(default_factory=CrawlConfig)
    service: ServiceConfig = Field(default_factory=ServiceConfig)
    incidents: IncidentsConfig = Field(default_factory=IncidentsConfig)
    channels: dict[str, AnyChannelConfig] = Field(default_factory=dict)
    routes: RoutesConfig = Field(default_factory=RoutesConfig)
    delivery: DeliveryConfig = Field(default_factory=DeliveryConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    templates: TemplatesConfig = Field(default_factory=TemplatesConfig)
    digest: DigestConfig = Field(default_factory=DigestConfig)
    distributed: DistributedConfig = Field(default_factory=DistributedConfig)

    # Set by the loader, not by the file: relative paths in the file are relative to it.
    base_dir: Path = Field(default=Path("."), exclude=True)
    path: Path | None = Field(default=None, exclude=True)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown time zone (use an IANA name such as Asia/Shanghai)") from None
        return value

    @model_validator(mode="after")
    def _unique_ids(self) -> "Config":
        errors: list[tuple[tuple[str | int, ...], str]] = []
        for label, items in (("brands", self.brands), ("sources", self.sources)):
            seen: set[str] = set()
            for i, item in enumerate(items):
                if item.id in seen:
                    errors.append(((label, i, "id"), f"duplicate id {item.id!r}"))
                seen.add(item.id)
        for field_name in ("yellow", "orange", "red", "reminder", "deadline_missed", "status_update", "resolved", "ops",
                           "digest"):
            for i, name in enumerate(getattr(self.routes, field_name) or ()):
                if name not in self.channels:
                    known = ", ".join(sorted(self.channels)) or "none defined"
                    errors.append((("routes", field_name, i), f"unknown channel {name!r} (channels: {known})"))
        if errors:
            raise FieldErrors(errors)
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def brand(self, brand_id: str) -> BrandConfig:
        for b in self.brands:
            if b.id == brand_id:
                return b
        raise KeyError(brand_id)

    def source(self, source_id: str) -> SourceConfig:
        for s in self.sources:
            if s.id == source_id:
                return s
        raise KeyError(source_id)

    def resolve_path(self, value: str | Path) -> Path:
        """A path from the file, made absolute relative to the config file's folder."""
        p = Path(value).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    def database_url(self) -> str:
        """The database URL with a relative SQLite path resolved against the config folder."""
        url = self.database.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.resolve_path(url[len(prefix):]))
        return url


# --------------------------------------------------------------------------- errors


@dataclass(frozen=True)
class ConfigProblem:
    """One thing wrong with a config file."""

    path: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.path}: {self.message}{where}" if self.path else f"{self.message}{where}"


class ConfigError(Exception):
    """The config file cannot be used. ``problems`` holds one entry per fault."""

    def __init__(self, source: str, problems: list[ConfigProblem]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


# --------------------------------------------------------------------------- env vars

_ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def _expand_env(node: Any, path: tuple, env: dict[str, str], missing: list[tuple[tuple, str]],
                secrets: set[str] | None = None, malformed: list[tuple] | None = None) -> Any:
    """Replace ``${VAR}`` (or ``${VAR:-default}``) in every string value.

    Values taken from the environment are added to ``secrets``; defaults are not
    (they are written in the file for everyone to read). The paths of strings with a
    ``${`` that is not a whole reference (``${TOKEN`` with no ``}``) go to ``malformed``:
    taken literally, the intended secret would silently be missing."""
    if isinstance(node, dict):
        return {k: _expand_env(v, path + (k,), env, missing, secrets, malformed) for k, v in node.items()}
    if isinstance(node, list):
        return [_expand_env(v, path + (i,), env, missing, secrets, malformed) for i, v in enumerate(node)]
    if isinstance(node, str) and "${" in node:
        if malformed is not None and "${" in _ENV_RE.sub("", node):
            malformed.append(path)

        def sub(m: re.Match[str]) -> str:
            name, default = m.group(1), m.group(2)
            if name in env:
                if secrets is not None:
                    secrets.add(env[name])
                return env[name]
            if default is not None:
                return default
            missing.append((path, name))
            return ""

        return _ENV_RE.sub(sub, node)
    return node


# --------------------------------------------------------------------------- lines


def _load_yaml(text: str) -> tuple[Any, dict[tuple, int], list[tuple[tuple, int]]]:
    """Parse YAML text once: the data, each key path's (1-based) line, and repeated keys.

    PyYAML keeps the last of two equal keys without a word; a repeated
    ``repost_threshold:`` would silently override the first, so repeats are found
    here (path and line of the repeat) and reported as problems.
    """
    loader = yaml.SafeLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    index: dict[tuple, int] = {}
    repeated: list[tuple[tuple, int]] = []

    def walk(node: yaml.Node, path: tuple) -> None:
        index.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set[Any] = set()
            for key_node, value_node in node.value:
                key = key_node.value
                line = key_node.start_mark.line + 1
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    if key in seen:
                        repeated.append((path + (key,), line))
                    seen.add(key)
                index[path + (key,)] = line
                walk(value_node, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, path + (i,))

    if root is not None:
        walk(root, ())
    return data, index, repeated


def _line_of(path: tuple, lines: dict[tuple, int]) -> int | None:
    """The line of ``path``, else of its nearest parent below the top level.

    The document itself has no useful line (it "starts" at its first key), so a
    problem with the whole file, or a missing top-level key, has none.
    """
    probe = path
    while probe:
        if probe in lines:
            return lines[probe]
        if len(probe) == 1:
            return None
        probe = probe[:-1]
    return None


def format_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


_FRIENDLY = {
    "missing": "is required",
    "extra_forbidden": "unknown key (check the spelling; see the comments in the shipped config.yaml)",
}


def _friendly_message(err: dict[str, Any]) -> str:
    kind = err.get("type", "")
    if kind in _FRIENDLY:
        return _FRIENDLY[kind]
    if kind == "too_short" and err.get("ctx", {}).get("min_length") == 1:
        return "must be a non-empty list"
    if kind == "union_tag_invalid":
        tags = err.get("ctx", {}).get("expected_tags", "")
        return f"unknown kind (expected one of {tags})"
    if kind == "union_tag_not_found":
        return "needs a 'kind'"
    msg = str(err.get("msg", "is invalid"))
    # pydantic prefixes messages from our validators with "Value error, "
    return msg.removeprefix("Value error, ")


def _problems_from_validation(exc: ValidationError, data: Any, lines: dict[tuple, int]) -> list[ConfigProblem]:
    problems = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = tuple(err.get("loc", ()))
        error = (err.get("ctx") or {}).get("error")
        # Discriminated unions add the tag (e.g. "jsonl") to the path; drop any
        # element that is not a real key of the document so the path reads as written.
        real: list[Any] = []
        node = data
        for part in loc:
            if isinstance(node, dict) and part in node:
                real.append(part)
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                real.append(part)
                node = node[part]
            elif isinstance(node, dict) and err.get("type") in ("missing", "extra_forbidden") and part == loc[-1]:
                real.append(part)
            # else: a union tag or function-validator marker; skip it
        if err.get("type") in ("union_tag_invalid", "union_tag_not_found"):
            real.append("kind")
        path = tuple(real)
        if isinstance(error, FieldErrors):
            # A whole-section check: each problem sits at its own field below the section.
            for sub, message in error.errors:
                problems.append(ConfigProblem(format_path(path + sub), message, _line_of(path + sub, lines)))
            continue
        problems.append(ConfigProblem(format_path(path), _friendly_message(err), _line_of(path, lines)))
    return problems


# --------------------------------------------------------------------------- loading


def load_config(path: str | Path = DEFAULT_CONFIG_PATH, env: dict[str, str] | None = None,
                check_files: bool = True) -> Config:
    """Read, expand and validate a config file; raise :class:`ConfigError` listing every problem.

    ``check_files=False`` skips the files the config names (``scoring.model``), for the
    command that writes them."""
    path = Path(path)
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(source, [ConfigProblem("", f"config file not found: {source}")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(source, [ConfigProblem("", f"cannot read {source}: {exc.__class__.__name__}")]) from None
    cfg = parse_config(text, source=source, base_dir=path.resolve().parent, env=env, check_files=check_files)
    return cfg.model_copy(update={"path": path.resolve()})


def parse_config(
    text: str, *, source: str = "<config>", base_dir: Path | None = None, env: dict[str, str] | None = None,
    check_files: bool = True,
) -> Config:
    """Validate config text (see :func:`load_config`)."""
    try:
        data, lines, repeated = _load_yaml(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise ConfigError(source, [ConfigProblem("", f"invalid YAML: {problem}", line)]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, [ConfigProblem("", "the file must be a mapping of sections (brands:, sources:, ...)", 1)])

    missing: list[tuple[tuple, str]] = []
    malformed: list[tuple] = []
    secret_values: set[str] = set()
    expanded = _expand_env(data, (), dict(os.environ if env is None else env), missing, secret_values, malformed)
    # Registered before validation: a validation message may quote a value.
    secrets.register(secret_values)
    problems = [ConfigProblem(format_path(p), "duplicate key", line) for p, line in repeated]
    problems += [
        ConfigProblem(format_path(p), f"environment variable {name} is not set", lines.get(p))
        for p, name in missing
    ]
    problems += [
        ConfigProblem(format_path(p), "has a ${ that is not a complete ${NAME} reference "
                      "(NAME is letters, digits and _, closed by })", lines.get(p))
        for p in malformed
    ]
    try:
        cfg = Config.model_validate(expanded)
    except ValidationError as exc:
        problems.extend(_problems_from_validation(exc, expanded, lines))
        raise ConfigError(source, [ConfigProblem(p.path, secrets.redact(p.message), p.line) for p in problems]) from None
    cfg = cfg.model_copy(update={"base_dir": base_dir or Path.cwd()})
    if check_files:
        problems += _missing_files(cfg, lines)
    if problems:
        raise ConfigError(source, problems)
    return cfg


def _missing_files(cfg: "Config", lines: dict[tuple, int]) -> list[ConfigProblem]:
    """Files the config names that must exist before anything runs (a typo in a model
    path would otherwise surface as every mention failing to score)."""
    from monitor.sentiment.linear import model_file_problem

    problems = []
    for key in ("model", "model_en"):
        value = getattr(cfg.scoring, key)
        if value:
            problem = model_file_problem(cfg.resolve_path(value))
            if problem:
                problems.append(ConfigProblem(f"scoring.{key}", problem, lines.get(("scoring", key))))
    return problems
