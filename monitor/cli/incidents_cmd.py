"""``repmon incidents``: list, show, acknowledge, mark steps, resolve, silence."""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from monitor.cli.app import config_option, fail, main, now_option
from monitor.clock import parse_now
from monitor.presentation import format_duration, format_local, tier_name

if TYPE_CHECKING:
    from monitor.config import Config


def _actor_option(func: Callable) -> Callable:
    return click.option("--by", "actor", default=None, help="Who acts (default: your user name).")(func)


def _actor(actor: str | None) -> str:
    if actor:
        return actor
    try:
        return getpass.getuser()
    except Exception:
        return "cli"


@main.group("incidents")
def incidents_group() -> None:
    """Incidents and their four-hour clock."""


@incidents_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include resolved incidents.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@now_option
@config_option
def incidents_list(show_all: bool, fmt: str, now_iso: str | None, config: Config) -> None:
    """Open incidents (with --all, every incident), newest first."""
    from sqlalchemy import select

    from monitor.db import session_scope
    from monitor.incidents import incident_dict
    from monitor.migrate import database
    from monitor.models import Incident

    now = parse_now(now_iso).now()
    with database(config) as (_, factory), session_scope(factory) as s:
        q = select(Incident).order_by(Incident.opened_at.desc(), Incident.id.desc())
        if not show_all:
            q = q.where(Incident.status != "resolved")
        rows = [incident_dict(i, config, now) for i in s.scalars(q)]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
        return
    if not rows:
        click.echo("no open incidents" if not show_all else "no incidents")
        return
    for r in rows:
        clock = r["clock"]
        nxt = clock["next_checkpoint"]
        when = f"next: {nxt['title']} in {format_duration(nxt['seconds_left'])}" if nxt and r["status"] != "resolved" else ""
        click.echo(
            f"#{r['id']:<4} {tier_name(r['tier'], 'en'):<6} {r['status']:<12} {r['brand']} / {r['cause']}  "
            f"volume {r['negative_volume']}  opened {_local(r['opened_at'], config)}  {when}"
        )


def _local(iso: str, config: Config) -> str:
    return format_local(iso, config.tz)


@incidents_group.command("show")
@click.argument("incident_id", type=int)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@now_option
@config_option
def incidents_show(incident_id: int, fmt: str, now_iso: str | None, config: Config) -> None:
    """One incident: figures, clock, evidence and history."""
    from monitor.db import session_scope
    from monitor.incidents import IncidentError, get_incident, incident_dict
    from monitor.migrate import database

    now = parse_now(now_iso).now()
    try:
        with database(config) as (_, factory), session_scope(factory) as s:
            d = incident_dict(get_incident(s, incident_id), config, now, events=True)
    except IncidentError as exc:
        fail(str(exc))
    if fmt == "json":
        click.echo(json.dumps(d, ensure_ascii=False, indent=1))
        return
    click.echo(f"incident #{d['id']}  {d['brand']} / {d['cause']}  tier {tier_name(d['tier'], 'en')}  {d['status']}")
    click.echo(f"trigger: {d['trigger']}")
    click.echo(f"negative volume: {d['negative_volume']}" + (f"   KOLs: {', '.join(d['kols'])}" if d["kols"] else "")
               + (f"   KOL mentions to watch: {', '.join(d['kol_watch'])}" if d.get("kol_watch") else ""))
    click.echo(f"opened {_local(d['opened_at'], config)}, deadline {_local(d['clock']['deadline'], config)}"
               f" ({format_duration(d['clock']['seconds_left'])} left)")
    for st in d["clock"]["steps"]:
        done = f"done {_local(st['done_at'], config)}" if st["done_at"] else st["state"]
        click.echo(f"  [{'x' if st['done_at'] else ' '}] {st['step']:<10} due {_local(st['due'], config)}  {st['title']}  ({done})")
    click.echo("top negative posts:")
    for p in d["top_posts"]:
        text = " ".join(p["text"].split())
        click.echo(f"  {p['reposts']:>6} reposts  {p['author_name'] or '?'} ({p['followers'] or 0} followers)  {text[:70]}  {p['url'] or ''}")
    click.echo("history:")
    for e in d["events"]:
        who = f" by {e['actor']}" if e["actor"] else ""
        extra = {k: v for k, v in (e["detail"] or {}).items() if k not in ("summary",)}
        click.echo(f"  {_local(e['at'], config)} {e['kind']}{who} {json.dumps(extra, ensure_ascii=False) if extra else ''}")


def _act(config: Config, now: datetime, incident_id: int, action: str, actor: str, done: str, **details: Any) -> None:
    """Do an incident action the console's way (``monitor.actions``), then say what was sent."""
    from monitor.actions import act
    from monitor.incidents import IncidentError
    from monitor.migrate import database

    try:
        with database(config) as (_, factory):
            outcome = act(config, factory, incident_id, action, actor=actor, via="cli", now=now, **details)
    except IncidentError as exc:
        fail(str(exc))
    click.echo(done)
    report = outcome.delivery
    if report is not None:
        click.echo(f"notifications: {report.sent} sent, {report.retried} to retry, {report.failed} failed")
        for error in report.errors:
            click.echo(f"  {error}")


@incidents_group.command("ack")
@click.argument("incident_id", type=int)
@_actor_option
@now_option
@config_option
def incidents_ack(incident_id: int, actor: str | None, now_iso: str | None, config: Config) -> None:
    """Acknowledge an incident."""
    who = _actor(actor)
    _act(config, parse_now(now_iso).now(), incident_id, "ack", who, f"incident #{incident_id} acknowledged by {who}")


@incidents_group.command("step")
@click.argument("incident_id", type=int)
@click.argument("step")
@_actor_option
@now_option
@config_option
def incidents_step(incident_id: int, step: str, actor: str | None, now_iso: str | None, config: Config) -> None:
    """Mark a clock step done (contact, statement, solution)."""
    who = _actor(actor)
    _act(config, parse_now(now_iso).now(), incident_id, "step", who, f"incident #{incident_id}: step {step} done by {who}", step=step)


@incidents_group.command("resolve")
@click.argument("incident_id", type=int)
@_actor_option
@now_option
@config_option
def incidents_resolve(incident_id: int, actor: str | None, now_iso: str | None, config: Config) -> None:
    """Resolve an incident (sends the closing summary)."""
    who = _actor(actor)
    _act(config, parse_now(now_iso).now(), incident_id, "resolve", who, f"incident #{incident_id} resolved by {who}")


@incidents_group.command("silence")
@click.argument("incident_id", type=int)
@click.option("--for", "duration", required=True, help="How long, e.g. 2h or 30m.")
@_actor_option
@now_option
@config_option
def incidents_silence(incident_id: int, duration: str, actor: str | None, now_iso: str | None, config: Config) -> None:
    """Mute reminders and status updates for a while (a tier rise still notifies)."""
    from monitor.durations import parse_duration

    try:
        span = parse_duration(duration)
    except ValueError as exc:
        fail(f"--for: {exc}")
    who = _actor(actor)
    now = parse_now(now_iso).now()
    _act(config, now, incident_id, "silence", who, f"incident #{incident_id} silenced for {duration} by {who}", until=now + span)
