"""The ``repmon`` command line. Each ``*_cmd`` module registers its commands on ``main``;
``main`` imports a module when its command is used (see :mod:`monitor.cli.app`)."""

from monitor.cli.app import main

__all__ = ["main"]
