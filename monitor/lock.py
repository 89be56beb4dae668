"""A named lease in the database: one running scheduler per database.

Works the same on SQLite and PostgreSQL (a row and compare-and-swap updates, no
server-specific locks), so a second ``repmon run`` against the same database refuses
to start, and a lease left behind by a killed process is taken over safely: at once if
its process is gone from this host, otherwise once its heartbeat is older than the lease.

A process is named by its pid *and* its start (boot id and start time, from /proc): after
a container restart the new service often gets the very pid of the dead one, and a pid
alone would make the dead holder look alive until its lease ran out.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from monitor.clock import Clock
from monitor.db import session_scope
from monitor.models import ServiceLock

SERVICE = "service"
DEFAULT_LEASE = timedelta(seconds=90)


@dataclass(frozen=True)
class LockHolder:
    """Who holds a lease, for messages and ``repmon status``."""

    holder: str
    host: str
    pid: int
    acquired_at: datetime
    heartbeat_at: datetime
    released: bool
    info: dict[str, Any]

    @property
    def started(self) -> str | None:
        """The holder process's start identity, when it recorded one (see :func:`process_start`)."""
        parts = self.holder.rsplit(":", 3)
        return parts[2] if len(parts) == 4 and parts[2] else None

    def alive(self, now: datetime, lease: timedelta = DEFAULT_LEASE) -> bool:
        """Whether the holder should be taken to be running."""
        if self.released or now - self.heartbeat_at > lease:
            return False
        if self.host == socket.gethostname():
            if not _pid_alive(self.pid):
                return False
            # The pid is in use, but by the holder only if it started when the holder did.
            current = process_start(self.pid)
            if self.started is not None and current is not None and current != self.started:
                return False
        return True


class LockHeld(Exception):
    """Another live process holds the lease."""

    def __init__(self, holder: LockHolder):
        self.holder = holder
        super().__init__(
            f"another repmon scheduler is running against this database "
            f"(pid {holder.pid} on {holder.host}, since {holder.acquired_at:%Y-%m-%d %H:%M:%S} UTC, "
            f"last heartbeat {holder.heartbeat_at:%H:%M:%S} UTC)"
        )


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def process_start(pid: int) -> str | None:
    """``<boot id>.<start time in clock ticks>`` of a process on this host; None if unknown.

    Unique per process across restarts and reboots, unlike the pid.
    """
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip().replace("-", "")[:8]
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    fields = stat.rsplit(")", 1)[-1].split()
    return f"{boot}.{fields[19]}" if len(fields) > 19 else None


def read_lock(session: Session, name: str = SERVICE) -> LockHolder | None:
    row = session.get(ServiceLock, name)
    if row is None:
        return None
    return LockHolder(row.holder, row.host, row.pid, row.acquired_at, row.heartbeat_at, row.released, dict(row.info or {}))


class Lease:
    """A lease held by this process. ``acquire`` once, ``renew`` periodically, ``release`` at exit."""

    def __init__(self, factory: sessionmaker[Session], clock: Clock, name: str = SERVICE, lease: timedelta = DEFAULT_LEASE):
        self.factory = factory
        self.clock = clock
        self.name = name
        self.lease = lease
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.holder = f"{self.host}:{self.pid}:{process_start(self.pid) or ''}:{uuid.uuid4().hex[:8]}"

    def acquire(self) -> None:
        """Take the lease or raise :class:`LockHeld` naming the live holder."""
        now = self.clock.now()
        with session_scope(self.factory) as s:
            current = read_lock(s, self.name)
            if current is None:
                try:
                    with s.begin_nested():
                        s.add(ServiceLock(name=self.name, holder=self.holder, host=self.host, pid=self.pid,
                                          acquired_at=now, heartbeat_at=now, released=False, info={}))
                    return
                except IntegrityError:
                    current = read_lock(s, self.name)
                    assert current is not None
            if current.holder == self.holder:
                return
            if current.alive(now, self.lease):
                raise LockHeld(current)
            # Compare-and-swap on the old holder and heartbeat: of two processes taking
            # over the same stale lease, exactly one update matches.
            taken = s.execute(
                update(ServiceLock)
                .where(ServiceLock.name == self.name, ServiceLock.holder == current.holder,
                       ServiceLock.heartbeat_at == current.heartbeat_at)
                .values(holder=self.holder, host=self.host, pid=self.pid, acquired_at=now, heartbeat_at=now,
                        released=False, info={"took_over_from": current.holder})
            ).rowcount
            if taken != 1:
                again = read_lock(s, self.name)
                raise LockHeld(again or current)

    def renew(self, info: dict[str, Any] | None = None) -> bool:
        """Refresh the heartbeat (and status info); False if the lease was lost."""
        values: dict[str, Any] = {"heartbeat_at": self.clock.now()}
        if info is not None:
            values["info"] = info
        with session_scope(self.factory) as s:
            n = s.execute(
                update(ServiceLock).where(ServiceLock.name == self.name, ServiceLock.holder == self.holder).values(**values)
            ).rowcount
        return n == 1

    def publish(self, info: dict[str, Any]) -> bool:
        """Store the status ``repmon status`` shows, leaving the heartbeat alone; False if the lease was lost."""
        with session_scope(self.factory) as s:
            n = s.execute(
                update(ServiceLock).where(ServiceLock.name == self.name, ServiceLock.holder == self.holder).values(info=info)
            ).rowcount
        return n == 1

    def release(self) -> None:
        with session_scope(self.factory) as s:
            s.execute(
                update(ServiceLock)
                .where(ServiceLock.name == self.name, ServiceLock.holder == self.holder)
                .values(released=True, heartbeat_at=self.clock.now())
            )

    def held(self) -> bool:
        with session_scope(self.factory) as s:
            return s.scalar(select(ServiceLock.holder).where(ServiceLock.name == self.name)) == self.holder
