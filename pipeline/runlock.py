"""One run at a time per database.

Two runs of the same database at once would each read every review (neither sees what the other has saved
yet), mark the other's run as interrupted when it starts, and print counts that add up to neither. A run holds
an exclusive lock on a small file beside the database (``NAME.duckdb.run-lock``) for as long as it works; a
second run finds it held and stops at once, saying which run holds it. The operating system lets go of the
lock when the run's process ends, however it ends (Ctrl+C, a crash, ``kill -9``), so a lock is never left
behind; the file itself stays, empty of meaning, between runs.
"""

from __future__ import annotations

import datetime
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import IO, Any

from pipeline.errors import CaseReviewError
from pipeline.settings import db_argument, the_file_itself

try:  # POSIX (Linux, macOS); elsewhere runs are not kept apart
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class RunInProgress(CaseReviewError):
    """Another run is using the database."""


def lock_path(db_path: Path | str) -> Path:
    """The lock file of a database: ``casereview.duckdb.run-lock`` beside ``casereview.duckdb`` (beside the file
    itself where the database is named through a symbolic link, so that both names share one lock)."""
    db_path = the_file_itself(db_path)
    return db_path.with_name(db_path.name + ".run-lock")


def _holder(handle: IO[str]) -> dict[str, Any]:
    """What the run holding the lock wrote in it (its process, start and manifest; {} if unreadable)."""
    try:
        handle.seek(0)
        return json.loads(handle.read() or "{}")
    except (OSError, ValueError):
        return {}


def _try_lock(handle: IO[str]) -> bool:
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def holder_text(holder: dict[str, Any]) -> str:
    """The run (or other command) holding a lock, for people: 'a run of corpus_manifest/demo.csv started
    2026-12-07 15:20 UTC (process 4242)'.

    >>> holder_text({"pid": 42, "started": "2026-12-07T15:20:05+00:00", "manifest": "demo.csv"})
    'a run of demo.csv started 2026-12-07 15:20 UTC (process 42)'
    >>> holder_text({"pid": 43, "started": "2026-12-07T15:21:00+00:00", "command": "casereview remove"})
    '`casereview remove` started 2026-12-07 15:21 UTC (process 43)'
    >>> holder_text({})
    'another run'
    """
    if not holder:
        return "another run"
    started = holder.get("started")
    try:
        when = f" started {datetime.datetime.fromisoformat(started):%Y-%m-%d %H:%M} UTC" if started else ""
    except ValueError:
        when = ""
    manifest = f" of {holder['manifest']}" if holder.get("manifest") else ""
    process = f" (process {holder['pid']})" if holder.get("pid") else ""
    what = f"`{holder['command']}`" if holder.get("command") else f"a run{manifest}"
    return f"{what}{when}{process}"


def _take(db_path: Path | str, holder: dict[str, Any]) -> tuple[IO[str] | None, dict[str, Any]]:
    """Take the database's lock and write ``holder`` in it: (the open lock file, {}); or, when another process
    holds it, (None, what that one wrote)."""
    handle = open(lock_path(db_path), "a+", encoding="utf-8")  # noqa: SIM115 - held open while the lock is held
    try:
        # (a moment's grace: `casereview status` takes the lock for an instant to see whether a run holds it)
        if not any(_try_lock(handle) or time.sleep(0.2) for _ in range(5)):
            other = _holder(handle)
            handle.close()
            return None, other
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({
            "pid": os.getpid(),
            "started": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            **holder,
        }))
        handle.flush()
    except BaseException:
        handle.close()
        raise
    return handle, {}


@contextmanager
def _holding(db_path: Path | str, holder: dict[str, Any], refused: Callable[[dict[str, Any]], str]) -> Iterator[None]:
    """Hold the database's lock, with ``holder`` written in it, while the block runs; ``RunInProgress`` saying
    ``refused(what the holder wrote)`` when another process holds it."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    handle, other = _take(db_path, holder)
    if handle is None:
        raise RunInProgress(refused(other))
    try:
        yield
    finally:
        handle.close()  # lets go of the lock


def one_run_at_a_time(db_path: Path | str, manifest: Path | str | None = None) -> AbstractContextManager[None]:
    """Hold the database's run lock while the block runs.

    Raises
    ------
    RunInProgress
        If another run (or a command that changes the database, such as `casereview remove`) holds it: the
        message names it, and says to wait for it (or to use another database).
    """
    def refused(other: dict[str, Any]) -> str:
        if other.get("command"):
            return (f"{holder_text(other)} is changing {db_path}, so this run did not start. Wait for it to finish, "
                    "then run again.")
        return (f"{holder_text(other)} is already working on {db_path}, so this run did not start (two "
                "runs at once would each read every review). Wait for it to finish, then run again: it skips "
                f"what the other run saved. `casereview status{db_argument(db_path)}` shows the run under way; to "
                "work on another database at the same time, give --db another file.")

    return _holding(db_path, {"manifest": str(manifest) if manifest is not None else None}, refused)


def changing_the_database(db_path: Path | str, command: str, then: str) -> AbstractContextManager[None]:
    """Hold the run lock while a command other than a run changes the database (``command``: "casereview
    remove"), so that no run starts meanwhile: a review removed under a run could be written back by it, and
    topics fitted on half its work. Checking for a run first and then working, without the lock, left that
    moment open (a run started while `remove` waited for its yes wrote the removed review back, empty).

    Raises
    ------
    RunInProgress
        When a run (or another such command) holds the lock: naming it, and saying to wait for it, then
        ``then`` ("remove them").
    """
    return _holding(db_path, {"command": command}, lambda other: (
        f"{holder_text(other)} is working on {db_path}, so nothing was done: wait for it to finish, then {then} "
        f"(`casereview status{db_argument(db_path)}` shows the run)."))


def run_in_progress(db_path: Path | str) -> dict[str, Any] | None:
    """The run working on the database now (what it wrote in its lock: process, start, manifest), or None
    when no run holds the lock (no run is going, or the last one was killed before it could finish)."""
    path = lock_path(db_path)
    if fcntl is None or not path.exists():
        return None
    with open(path, encoding="utf-8") as handle:
        if _try_lock(handle):
            return None  # (closing the file lets go of it again)
        return _holder(handle)


def can_tell(db_path: Path | str) -> bool:
    """Whether ``run_in_progress`` can tell a run under way from none: not where the system has no file locks,
    nor for a database whose runs made no lock file (casereview before runs took one)."""
    return fcntl is not None and lock_path(db_path).exists()
