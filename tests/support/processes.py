"""The installed ``repmon`` command, run as a user would, and ending what a test started."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

# The console script of the package installed in the interpreter that runs the tests.
REPMON = Path(sys.executable).with_name("repmon")


def spawn(args: list[str], log: Path | None = None) -> subprocess.Popen:
    """Start ``repmon *args`` in a session of its own (so it and its children can be killed
    together), its output to ``log`` or discarded."""
    out = log.open("w") if log else subprocess.DEVNULL
    return subprocess.Popen([str(REPMON), *args], stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def kill_group(proc: subprocess.Popen) -> None:
    """kill -9 a process started by :func:`spawn` and every process it started, and reap it."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


def stop(procs: Iterable[subprocess.Popen], grace: float = 20) -> None:
    """SIGTERM each process, wait up to ``grace`` seconds for each, then kill what is left of its group."""
    procs = list(procs)
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(grace)
        except subprocess.TimeoutExpired:
            pass
        kill_group(p)


def free_port() -> int:
    """A loopback TCP port nothing listens on (at the time of asking)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
