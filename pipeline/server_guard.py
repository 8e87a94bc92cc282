"""Stop Prefect's temporary server when the run that started it is killed outright.

A run with no Prefect server configured starts a temporary one on loopback (Prefect's ``SubprocessASGIServer``, a
uvicorn child process of the run, about 200 MB) and stops it as Python exits: after a normal end, Ctrl+C or a
plain ``kill``. A run killed outright (``kill -9``, the system's out-of-memory killer) never gets that far, and
the server used to be left running until someone stopped it by hand. ``guard_temporary_server`` starts a small
watcher beside the server: once the run is gone, the watcher stops the server and exits; when the server ends
first (the usual case), the watcher exits with it. The watcher is a child of the run, in its process group, so
signals sent to the whole run reach it too; it ignores Ctrl+C, which the run handles.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys

log = logging.getLogger(__name__)

# The watcher's program: arguments are the run's process id and the server's. It checks once a second; a
# watcher whose parent changed was handed on by the system because the run died. /proc (Linux) confirms the
# process is still Prefect's server before it is stopped, so a process id the system has since reused for
# something else is never touched.
WATCHER = r"""
import os, signal, sys, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
run, server = int(sys.argv[1]), int(sys.argv[2])
have_proc = os.path.isdir("/proc/self")

def is_server(pid):
    if not have_proc:
        return True
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"prefect.server" + b".api.server:create_app" in f.read()  # split: not in this program's own
    except OSError:
        return False

def alive(pid):  # a server that has exited but not yet been reaped has no command line: gone
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    return is_server(pid)

def send(pid, sig):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass

while alive(server):
    if os.getppid() != run:
        send(server, signal.SIGTERM)
        for _ in range(50):
            time.sleep(0.1)
            if not alive(server):
                break
        else:
            send(server, signal.SIGKILL)
        break
    time.sleep(1)
"""

_watchers: dict[int, subprocess.Popen] = {}  # server process id -> its watcher (kept so it is not collected)


def guard_temporary_server() -> list[int]:
    """Start a watcher for each temporary Prefect server this process started that has none yet; return the
    servers' process ids now watched. Does nothing when the flows talk to a server of their own (none started
    here), or off POSIX systems, and never stops a run: a watcher that cannot start is only logged."""
    if os.name != "posix":  # the watcher checks processes by signal 0, which Windows's os.kill would end
        return []
    try:
        from prefect.server.api.server import SubprocessASGIServer
    except ImportError:  # another Prefect: nothing known to guard
        return []
    watched = []
    for server in list(getattr(SubprocessASGIServer, "_instances", {}).values()):
        process = getattr(server, "server_process", None)
        if process is None or process.poll() is not None:
            continue
        if process.pid not in _watchers or _watchers[process.pid].poll() is not None:
            try:
                _watchers[process.pid] = subprocess.Popen(
                    [sys.executable, "-c", WATCHER, str(os.getpid()), str(process.pid)],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )
            except OSError as exc:
                log.warning("could not start the watcher that stops Prefect's temporary server if this run is "
                            "killed outright: %s", exc)
                continue
        watched.append(process.pid)
    return watched
