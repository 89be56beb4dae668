"""The single-instance lease, on SQLite and on PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from monitor.clock import FixedClock
from monitor.db import session_scope
from monitor.lock import Lease, LockHeld, read_lock
from tests.support.factories import migrated

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def factory(db_url):
    with migrated(db_url) as factory:
        yield factory


def test_a_second_scheduler_is_refused_while_the_first_is_alive(factory):
    clock = FixedClock(T0)
    first, second = Lease(factory, clock), Lease(factory, clock)
    first.acquire()
    clock.advance(timedelta(seconds=30))
    assert first.renew({"last_cycle": "x"})
    with pytest.raises(LockHeld) as info:
        second.acquire()
    assert f"pid {first.pid}" in str(info.value) and "another repmon scheduler is running" in str(info.value)
    assert first.held() and not second.held()  # the refusal left the lease with the first
    assert first.renew()


def test_a_lease_whose_heartbeat_stopped_is_taken_over_and_the_old_holder_knows(factory):
    clock = FixedClock(T0)
    first, second = Lease(factory, clock), Lease(factory, clock)
    first.acquire()
    clock.advance(timedelta(minutes=5))  # past the 90 s lease without a heartbeat; the process itself lives
    second.acquire()
    assert second.held() and not first.held()
    # The old holder learns it at its next heartbeat (renew is False) and cannot publish either.
    assert not first.renew()
    assert not first.publish({"last_cycle_at": "late"})
    with session_scope(factory) as s:
        holder = read_lock(s)
        assert holder.holder == second.holder and holder.info == {"took_over_from": first.holder}


def test_a_lease_left_by_a_killed_process_on_this_host_is_taken_over_at_once(factory):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    clock = FixedClock(T0)
    ghost = Lease(factory, clock)
    ghost.pid = int(dead.stdout)  # a pid that has exited
    ghost.acquire()
    fresh = Lease(factory, clock)
    fresh.acquire()  # at once: the clock has not moved, the heartbeat is fresh
    assert fresh.held()
    with session_scope(factory) as s:
        holder = read_lock(s)
        assert holder.holder == fresh.holder and holder.info["took_over_from"] == ghost.holder
        assert holder.heartbeat_at == T0


def test_a_released_lease_is_free(factory):
    clock = FixedClock(T0)
    first = Lease(factory, clock)
    first.acquire()
    first.release()
    with session_scope(factory) as s:
        assert read_lock(s).released
    second = Lease(factory, clock)
    second.acquire()  # at once, though the first's heartbeat is fresh and its process alive
    assert second.held() and not first.held()
    with session_scope(factory) as s:
        assert not read_lock(s).released


def test_acquiring_twice_in_the_same_process_is_harmless(factory):
    clock = FixedClock(T0)
    lease = Lease(factory, clock)
    lease.acquire()
    clock.advance(timedelta(seconds=10))
    lease.acquire()  # no LockHeld from our own lease, and no take-over of it
    assert lease.held()
    with session_scope(factory) as s:
        holder = read_lock(s)
        assert holder.acquired_at == T0 and holder.info == {} and not holder.released


def test_a_lease_left_under_our_own_pid_by_a_process_before_a_restart_is_taken_over_at_once(factory):
    """After a container restart the new service often has the dead one's pid: the pid
    alone would look alive, the process start time tells them apart."""
    clock = FixedClock(T0)
    ghost = Lease(factory, clock)
    host, pid, started, token = ghost.holder.rsplit(":", 3)
    boot, ticks = started.split(".")
    ghost.holder = f"{host}:{pid}:{boot}.{int(ticks) - 1}:{token}"  # same pid, started earlier
    ghost.acquire()
    fresh = Lease(factory, clock)
    assert fresh.pid == ghost.pid
    fresh.acquire()  # at once: the clock has not moved
    with session_scope(factory) as s:
        holder = read_lock(s)
        assert holder.holder == fresh.holder and holder.info["took_over_from"] == ghost.holder


def test_status_is_published_without_touching_the_heartbeat_and_only_by_the_holder(factory):
    clock = FixedClock(T0)
    first = Lease(factory, clock)
    first.acquire()
    clock.advance(timedelta(seconds=10))
    assert first.publish({"last_cycle_at": "x"})
    with session_scope(factory) as s:
        holder = read_lock(s)
        assert holder.info == {"last_cycle_at": "x"} and holder.heartbeat_at == T0
    clock.advance(timedelta(minutes=5))
    Lease(factory, clock).acquire()  # taken over
    assert not first.publish({"last_cycle_at": "y"})
    with session_scope(factory) as s:
        assert read_lock(s).info.get("last_cycle_at") != "y"  # the new holder's status is left alone
