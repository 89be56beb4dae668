"""The config page's view of the config: every secret masked, the rest readable."""

from __future__ import annotations

from typing import Any

from monitor.config import Config
from monitor.secrets import mask_config


def masked_config(config: Config) -> dict[str, Any]:
    """The config as plain data with every secret replaced by ``******`` (the masking
    rules are ``monitor.secrets.mask_config``'s, shared with every other masker)."""
    return mask_config(config.model_dump(mode="json", exclude={"base_dir", "path"}))
