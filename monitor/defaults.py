"""Defaults the command line needs before any config is read.

Kept apart from :mod:`monitor.config`, which builds its pydantic models when imported: the
command line declares its options with these at start-up, and ``repmon --help`` must not
pay for the config's validation machinery.
"""

from __future__ import annotations

from pathlib import Path

DEFAULT_CONFIG_PATH = Path("config.yaml")
