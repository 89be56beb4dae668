"""Incident actions: one function behind the CLI and the console, one delivery behaviour."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from starlette.testclient import TestClient

from monitor.actions import act
from monitor.cli.app import main
from monitor.clock import FixedClock
from monitor.db import session_scope
from monitor.incidents import IncidentError, get_incident
from monitor.models import OutboxMessage
from monitor.web.app import create_app
from tests.support.webseed import T0, TOKEN, seeded

NOW = T0 + timedelta(minutes=30)


@pytest.fixture
def seed(tmp_path, db_url):
    cfg, factory, engine, iid = seeded(tmp_path, db_url)
    yield cfg, factory, iid
    engine.dispose()


def console(cfg, factory):
    client = TestClient(create_app(cfg, factory, clock=FixedClock(NOW), env={"REPMON_WEB_TOKEN": TOKEN}),
                        base_url="http://127.0.0.1")
    client.post("/login", data={"name": "lin", "token": TOKEN, "next": "/"})
    return client, re.search(r'name="csrf" value="([^"]+)"', client.get("/").text).group(1)


def cli(cfg, factory, tmp_path, *args):
    """``repmon incidents …`` on the seeded database (the console channel for every tier)."""
    with session_scope(factory) as s:
        url = s.get_bind().url.render_as_string(hide_password=False)
    path = tmp_path / "cli.yaml"
    path.write_text(f"database: {{url: '{url}'}}\n"
                    "brands:\n  - {id: shouzhuo, name: 手镯之家, keywords: {any: [手镯之家]}}\n"
                    "channels:\n  c: {kind: console}\nroutes: {red: [c], yellow: [c], orange: [c]}\n")
    return CliRunner().invoke(main, ["incidents", *args, "--now", NOW.isoformat(), "--config", str(path)])


def outbox(factory, iid):
    with session_scope(factory) as s:
        return [(m.kind, m.status) for m in s.scalars(select(OutboxMessage).where(OutboxMessage.incident_id == iid))]


def test_resolving_in_the_console_delivers_the_closing_summary_at_once(seed):
    cfg, factory, iid = seed
    client, token = console(cfg, factory)
    r = client.post(f"/incidents/{iid}/resolve", data={"csrf": token})
    assert r.status_code == 200 and "事件已结束" in r.text
    assert outbox(factory, iid) == [("resolved", "sent")]


def test_an_action_that_queues_nothing_sends_nothing(seed):
    cfg, factory, iid = seed
    outcome = act(cfg, factory, iid, "ack", actor="lin", via="web", now=NOW)
    assert (outcome.recorded, outcome.queued, outcome.delivery) == (True, 0, None)
    assert outbox(factory, iid) == []


def test_a_repeated_ack_or_step_records_nothing_and_says_who_did_it_first(seed):
    cfg, factory, iid = seed
    act(cfg, factory, iid, "ack", actor="lin", via="web", now=NOW)
    act(cfg, factory, iid, "step", actor="lin", via="web", now=NOW, step="contact")
    later = NOW + timedelta(minutes=5)
    again = act(cfg, factory, iid, "ack", actor="wang", via="cli", now=later)
    assert (again.recorded, again.earlier_by, again.earlier_at) == (False, "lin", NOW)
    step = act(cfg, factory, iid, "step", actor="wang", via="cli", now=later, step="contact")
    assert (step.recorded, step.earlier_at) == (False, NOW)
    with session_scope(factory) as s:
        assert [(e.kind, e.actor) for e in get_incident(s, iid).events if e.actor] == [
            ("acknowledged", "lin"), ("step_done", "lin")]


def test_silencing_records_the_end_and_where_it_came_from(seed, tmp_path):
    cfg, factory, iid = seed
    result = cli(cfg, factory, tmp_path, "silence", str(iid), "--for", "2h", "--by", "wang")
    assert result.exit_code == 0 and f"incident #{iid} silenced for 2h by wang" in result.output
    with session_scope(factory) as s:
        inc = get_incident(s, iid)
        [event] = [e for e in inc.events if e.kind == "silenced"]
        assert inc.silenced_until == NOW + timedelta(hours=2)
        assert (event.actor, event.detail["via"], event.detail["until"]) == ("wang", "cli", (NOW + timedelta(hours=2)).isoformat())


@pytest.mark.parametrize("action, step, error", [
    ("step", "bogus", "unknown step 'bogus'"),
    ("ack", "", "is already resolved"),
])
def test_the_cli_and_the_console_refuse_the_same_things_in_the_same_words(seed, tmp_path, action, step, error):
    cfg, factory, iid = seed
    if error == "is already resolved":
        act(cfg, factory, iid, "resolve", actor="lin", via="cli", now=NOW)
    with pytest.raises(IncidentError, match=error):
        act(cfg, factory, iid, action, actor="lin", via="web", now=NOW, step=step)
    client, token = console(cfg, factory)
    assert error in html.unescape(client.post(f"/incidents/{iid}/{action}", data={"csrf": token, "step": step}).text)
    result = cli(cfg, factory, tmp_path, action, str(iid), *([step] if step else []), "--by", "wang")
    assert result.exit_code != 0 and error in result.output


def test_an_unknown_incident_is_refused_in_the_same_words(seed, tmp_path):
    cfg, factory, _ = seed
    with pytest.raises(IncidentError, match="no incident #999"):
        act(cfg, factory, 999, "ack", actor="lin", via="web", now=NOW)
    result = cli(cfg, factory, tmp_path, "ack", "999", "--by", "wang")
    assert result.exit_code != 0 and "no incident #999" in result.output
