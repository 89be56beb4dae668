"""Channels as plug-ins: the registry from a config ``kind`` to the class that sends.

Each channel is one module in ``alerts/`` with one class that names its config model
(``config_model``, whose ``kind: Literal[...]`` is the key here), builds itself from the
config (``from_config(name, cfg, config)``, where secrets are unwrapped — never logged)
and sends (``send(message, renderer) -> DeliveryResult``, see ``alerts.base.Channel``).

To add a channel, say ``teams``:

1. ``monitor/config.py``: a ``TeamsChannelConfig(StrictModel)`` with ``kind: Literal["teams"]``
   and its settings, added to the ``AnyChannelConfig`` union (that is what lets
   config.yaml use ``kind: teams``).
2. ``alerts/teams.py``: a ``TeamsChannel`` class with ``config_model = TeamsChannelConfig``,
   a ``flavour`` (how untrusted text is escaped), ``from_config`` and ``send``. An HTTP
   channel reduces each answer to an ``alerts.http.Answer`` and returns
   ``alerts.http.outcome(...)``: retries, Retry-After and refusals are decided there.
3. Its line in ``CHANNEL_CLASSES`` below.

``tests/test_channels.py`` checks that every kind the config accepts has a class here.
"""

from __future__ import annotations

from typing import Any, Protocol, get_args

from pydantic import BaseModel

from alerts.base import Channel
from alerts.console import ConsoleChannel
from alerts.feishu import FeishuChannel
from alerts.file import FileChannel
from alerts.slack import SlackChannel
from monitor.config import Config


class ChannelClass(Protocol):
    """The class side of a channel: what the registry needs to build one."""

    config_model: type[BaseModel]

    def from_config(self, name: str, cfg: Any, config: Config) -> Channel:
        """The channel ``name`` from its config model ``cfg`` (``config`` resolves paths)."""
        ...


class UnknownChannelKind(ValueError):
    """A channel config whose ``kind`` no channel class handles."""


# One line per channel.
CHANNEL_CLASSES: tuple[ChannelClass, ...] = (ConsoleChannel, FileChannel, SlackChannel, FeishuChannel)


def kind_of(config_model: type[BaseModel]) -> str:
    """The ``kind`` a channel config model accepts: the one value of its ``kind: Literal[...]``."""
    field = config_model.model_fields.get("kind")
    kinds = get_args(field.annotation) if field is not None else ()
    if len(kinds) != 1 or not isinstance(kinds[0], str):
        raise TypeError(f"{config_model.__name__} needs a 'kind: Literal[\"...\"]' field with one value")
    return kinds[0]


def _registry(classes: tuple[ChannelClass, ...]) -> dict[str, ChannelClass]:
    registry: dict[str, ChannelClass] = {}
    for cls in classes:
        kind = kind_of(cls.config_model)
        if kind in registry:
            raise TypeError(f"two channel classes for kind {kind!r}")
        registry[kind] = cls
    return registry


REGISTRY: dict[str, ChannelClass] = _registry(CHANNEL_CLASSES)


def channel_class(kind: str) -> ChannelClass:
    """The channel class registered for ``kind``; :class:`UnknownChannelKind` names the known ones."""
    try:
        return REGISTRY[kind]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise UnknownChannelKind(f"no channel class for kind {kind!r} (known kinds: {known})") from None


def build_channel(name: str, config: Config) -> Channel:
    """The channel called ``name`` in ``config.channels``, built by its kind's class."""
    cfg = config.channels[name]
    try:
        cls = channel_class(cfg.kind)
    except UnknownChannelKind as exc:
        raise UnknownChannelKind(f"channel {name!r}: {exc}") from None
    return cls.from_config(name, cfg, config)
