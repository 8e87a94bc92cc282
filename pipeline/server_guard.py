"""Stop Prefect's temporary server when the run that started it is killed outright.

A run with no Prefect server configured starts a temporary one on loopback (Prefect's ``SubprocessASGIServer``, a
uvicorn child process of the run, about 200 MB) and stops it as Python exits: after a normal end, Ctrl+C or a
plain ``kill``. A run killed outright (``kill -9``, the system's out-of-memory killer) never gets that far, and
the server used to be left running until someone stopped it by hand. ``guard_temporary_server`` starts a small
watcher beside the server: once the run is gone, the watcher stops the server and exits; when the server ends
first (the usual case), the watcher exits with it.

``detach_temporary_server`` starts the server in a session of its own. Ctrl+C in a terminal is sent to every
process of the run's process group: the server used to stop at once, before the run had recorded itself as
stopped, and the run then printed pages of connection errors (blaming the network) instead of its own message,
and exited with 1 instead of 130. Out of the group, the server hears only the run, which stops it as it exits.
The watcher has a session of its own too, so that whatever ends the run's group (a closed terminal, a kill of
the whole group) leaves it to stop the server.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import types

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
    module = sys.modules.get("prefect.server.api.server")
    if module is None:  # never imported, so no temporary server was started here (and it takes 3 s to import)
        return []
    SubprocessASGIServer = getattr(module, "SubprocessASGIServer", None)  # noqa: N806 (Prefect's class)
    if SubprocessASGIServer is None:  # another Prefect: nothing known to guard
        return []
    watched = []
    for server in list(getattr(SubprocessASGIServer, "_instances", {}).values()):
        process = getattr(server, "server_process", None)
        if process is None or process.poll() is not None:
            continue
        if _watch(process.pid):
            watched.append(process.pid)
    return watched


def _watch(server: int) -> bool:
    """Start the watcher of the server with process id ``server`` unless one is watching it; whether one is."""
    if server in _watchers and _watchers[server].poll() is None:
        return True
    try:
        _watchers[server] = subprocess.Popen(
            [sys.executable, "-c", WATCHER, str(os.getpid()), str(server)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as exc:
        log.warning("could not start the watcher that stops Prefect's temporary server if this run is "
                    "killed outright: %s", exc)
        return False
    return True


def server_configured() -> bool:
    """Whether Prefect is told to use a server of its own (``PREFECT_API_URL``, or a profile that sets it), so
    that a run starts no temporary one."""
    try:
        from prefect.settings import get_current_settings

        return bool(get_current_settings().api.url)
    except Exception:  # noqa: BLE001 - a Prefect whose settings are read otherwise: assume none, as before
        return False


def detach_temporary_server() -> bool:
    """Have Prefect start its temporary server (``SubprocessASGIServer``) in a session of its own, away from the
    terminal's Ctrl+C; True when that is arranged. Off POSIX systems, or with a Prefect whose server is started
    otherwise, nothing changes."""
    if os.name != "posix" or server_configured():
        return False  # with a server configured, none is started (and its module, 3 s to import, is not needed)
    try:
        from prefect.server.api import server as module
    except ImportError:
        return False
    starter = getattr(module, "SubprocessASGIServer", None)
    start = getattr(starter, "_run_uvicorn_command", None)
    if start is None or getattr(start, "own_session", False):
        return start is not None
    if getattr(module, "subprocess", None) is not subprocess:
        return False

    def run_in_own_session(self):
        # Prefect's own command line, started by a Popen that opens a new session: Prefect's module is lent a
        # copy of ``subprocess`` whose Popen does that, for this call only.
        module.subprocess = _own_session_subprocess()
        try:
            return start(self)
        finally:
            module.subprocess = subprocess

    run_in_own_session.own_session = True
    starter._run_uvicorn_command = run_in_own_session
    return True


def _own_session_subprocess() -> types.ModuleType:
    """``subprocess`` with every process started in a new session (see ``_popen_own_session``)."""
    shim = types.ModuleType("subprocess")
    shim.__dict__.update(subprocess.__dict__)
    shim.Popen = _popen_own_session
    return shim


def _popen_own_session(*args, env=None, **kwargs) -> subprocess.Popen:
    """``subprocess.Popen`` in a new session, with the temporary server's libraries kept quiet: stopped while it
    answers a request, the server's database pool logs the cancelled rollback with a whole traceback
    (sqlalchemy, at ERROR), which the person who pressed Ctrl+C then read under the run's own tidy message.
    Loggers with a level of their own (Prefect's server, uvicorn) are not affected: only those that take the root
    logger's level, in the server's process only (Prefect's PREFECT_LOGGING_[KEY] override of its logging.yml).
    A watcher (``WATCHER``) is started for it at once."""
    env = dict(os.environ if env is None else env)
    env.setdefault("PREFECT_LOGGING_ROOT_LEVEL", "CRITICAL")
    process = subprocess.Popen(*args, env=env, start_new_session=True, **kwargs)
    # watched from the moment it exists: Prefect waits for the server to answer before the flow (and
    # ``guard_temporary_server`` in it) starts, and a run killed outright meanwhile left the server running
    _watch(process.pid)
    return process
