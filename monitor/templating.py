"""The one builder of Jinja environments: alert texts, the digest page and the web console.

Every environment looks up templates in the configured folder first, then in the
templates shipped with repmon (so staff override only the ones they edit), and has the
shared presentation filters and globals of :mod:`monitor.presentation`:

- filters ``duration`` (seconds → ``1 h 05 min``), ``num`` (``17,217``) and ``safe_url``
  (the URL if it may become a link, else nothing);
- globals ``tier_colours`` (tier → colour), ``tier_name(tier, locale)``,
  ``cause_name(cause, locale)``, ``cause_label(cause, locale)`` and
  ``status_name(status, locale)``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, select_autoescape

from monitor import presentation

# The templates shipped with repmon: the fallback for any template the configured folder lacks.
BUILTIN_TEMPLATES = Path(__file__).resolve().parents[1] / "templates"

FILTERS = {"duration": presentation.format_duration, "num": presentation.format_count, "safe_url": presentation.link_url}
GLOBALS = {
    "tier_name": presentation.tier_name,
    "cause_name": presentation.cause_name,
    "cause_label": presentation.cause_label,
    "status_name": presentation.status_name,
}


def template_dirs(templates_dir: Path) -> list[Path]:
    """Where templates are looked up, in order: the configured folder, then the shipped one."""
    dirs = [templates_dir]
    if BUILTIN_TEMPLATES.resolve() != templates_dir.resolve():
        dirs.append(BUILTIN_TEMPLATES)
    return dirs


def build_environment(templates_dir: Path, *, environment: type[Environment] = Environment, **options: Any) -> Environment:
    """A Jinja environment of class ``environment`` (e.g. the alerts' bounded sandbox) over
    ``templates_dir`` with the shipped templates behind it, and the shared presentation
    filters and globals; ``options`` go to the environment (autoescape, finalize …)."""
    env = environment(loader=ChoiceLoader([FileSystemLoader(str(d)) for d in template_dirs(templates_dir)]), **options)
    env.filters.update(FILTERS)
    # A copy: a template must not be able to recolour the tiers of every later render.
    env.globals.update(GLOBALS, tier_colours=dict(presentation.TIER_COLOURS))
    return env


def html_environment(templates_dir: Path) -> Environment:
    """The environment of the HTML pages (digest, web console): every value autoescaped."""
    return build_environment(templates_dir, autoescape=select_autoescape(["html"]))
