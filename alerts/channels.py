"""Channel instances from the config (secrets unwrapped here, never logged)."""

from __future__ import annotations

from monitor.config import Config
from monitor.config import ConsoleChannel as ConsoleCfg
from monitor.config import FeishuChannel as FeishuCfg
from monitor.config import FileChannel as FileCfg
from monitor.config import SlackChannel as SlackCfg

from alerts.base import Channel


def build_channel(name: str, config: Config) -> Channel:
    """The channel called ``name`` in ``config.channels``."""
    cfg = config.channels[name]
    if isinstance(cfg, ConsoleCfg):
        from alerts.console import ConsoleChannel

        return ConsoleChannel(name)
    if isinstance(cfg, FileCfg):
        from alerts.file import FileChannel

        return FileChannel(name, config.resolve_path(cfg.path))
    if isinstance(cfg, SlackCfg):
        from alerts.slack import SlackChannel

        return SlackChannel(
            name,
            token=cfg.token.get_secret_value() if cfg.token else None,
            channel=cfg.channel,
            webhook_url=cfg.webhook_url.get_secret_value() if cfg.webhook_url else None,
            base_url=cfg.base_url,
            timeout=cfg.timeout.total_seconds(),
        )
    if isinstance(cfg, FeishuCfg):
        from alerts.feishu import FeishuChannel

        return FeishuChannel(
            name,
            webhook_url=cfg.webhook_url.get_secret_value(),
            secret=cfg.secret.get_secret_value() if cfg.secret else None,
            timeout=cfg.timeout.total_seconds(),
        )
    raise ValueError(f"unknown channel kind for {name}")
