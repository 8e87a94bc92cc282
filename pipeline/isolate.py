"""Read one PDF in a child process with a time limit, so that one pathological file cannot stop a run.

A PDF can make the PDF library loop for hours on one page, or crash the process it runs in (a damaged
stream, a decompression bomb that exhausts memory and is killed by the system). Read in the run's own
process, such a file would stall or end the whole run. Here each document is read in a child process forked
from a server that has already imported the extractor (so a document costs a fork, not a fresh Python). The
run waits for it at most ``CASEREVIEW_DOCUMENT_SECONDS``, which ``casereview run --document-time-limit
MINUTES`` sets (default 1800: a 300-page scan read by OCR takes about seven minutes on two cores), and turns
a time-out or a crash into an ``ExtractError`` naming the file, which the run records as that review's
failure. ``CASEREVIEW_DOCUMENT_SECONDS=0``, or a system without the "forkserver" start method (Windows),
reads in the run's own process, without a limit. The reading process may use at most
``CASEREVIEW_DOCUMENT_MEMORY_MB`` of memory (default: half the machine's), and is the first the system
stops should memory run out all the same, so a PDF that needs too much fails alone.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.errors import CaseReviewError, ExtractError, RunStopped, duration_text
from pipeline.extract import extract_pdf
from pipeline.records import ExtractedDocument

log = logging.getLogger(__name__)

DEFAULT_SECONDS = 1800.0
MIN_DEFAULT_MEGABYTES = 2048  # the memory cap is half the machine's memory, and never less than this
_lock = threading.Lock()
_context: Any = None
# Set when the run is told to stop: documents being read are given up at once (their reading processes ignore
# Ctrl+C, which the whole terminal's process group receives, so that only the run decides what it means).
_stopping = threading.Event()
POLL_SECONDS = 0.2  # how often a wait for a document looks whether the run is stopping
# A reading process that ended without an answer may have been stopped with the run (by a signal sent to the
# whole group; once, at a Ctrl+C under load, one ended with status 1 just after it started): wait this long
# for the run to say it is stopping before taking the end for the PDF's fault. A PDF that really crashes its
# reader is recorded this much later.
_STOP_GRACE_SECONDS = 2.0
# What a terminal sends its whole process group, reading processes included: Ctrl+C, and SIGHUP when it closes.
_TERMINAL_SIGNALS = frozenset(getattr(signal, name) for name in ("SIGINT", "SIGHUP") if hasattr(signal, name))


def stop_reading() -> None:
    """Give up the documents being read in a reading process (``read_document`` raises ``RunStopped``) and read no
    more. A document read in the run's own process (no time limit, or no reading process could start) is read to
    its end."""
    _stopping.set()


def allow_reading() -> None:
    """Read documents again (a new run in the same process)."""
    _stopping.clear()


def document_seconds() -> float:
    """The time limit for reading one document, from ``CASEREVIEW_DOCUMENT_SECONDS`` (0: no limit)."""
    value = os.environ.get("CASEREVIEW_DOCUMENT_SECONDS", "").strip()
    try:
        return max(0.0, float(value)) if value else DEFAULT_SECONDS
    except ValueError:
        raise CaseReviewError(f"CASEREVIEW_DOCUMENT_SECONDS={value!r} is not a number of seconds: give e.g. 1800, "
                              "or 0 for no limit") from None


def document_megabytes() -> int:
    """The most memory (address space, in MB) the process reading one document may use, from
    ``CASEREVIEW_DOCUMENT_MEMORY_MB`` (0: no cap); by default half the machine's memory, and at least 2048 MB.

    Reading a demo PDF takes about 230 MB of address space, and reading a 21-page scan by OCR about 590 MB; a PDF
    that wants many gigabytes (a decompression bomb, a page of enormous images) is stopped at the cap, before
    the whole machine runs short and starts to swap.
    """
    value = os.environ.get("CASEREVIEW_DOCUMENT_MEMORY_MB", "").strip()
    if value:
        try:
            return max(0, int(value))
        except ValueError:
            raise CaseReviewError(f"CASEREVIEW_DOCUMENT_MEMORY_MB={value!r} is not a whole number of megabytes: "
                                  "give e.g. 4096, or 0 for no cap") from None
    try:
        machine = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 2**20
    except (AttributeError, OSError, ValueError):
        return 0
    return max(MIN_DEFAULT_MEGABYTES, machine // 2)


def read_document(path: Path, seconds: float | None = None) -> ExtractedDocument:
    """``extract_pdf(path)``, in a child process stopped after ``seconds`` (default: ``document_seconds()``).

    Raises
    ------
    ExtractError
        What ``extract_pdf`` raises, and also when reading took too long or the child process died.
    RunStopped
        When the run is stopping (``stop_reading``), before or while the document is read.
    RuntimeError
        For any other error in the extractor (a bug), with its type and message.
    """
    if _stopping.is_set():
        raise RunStopped(str(path))
    seconds = document_seconds() if seconds is None else seconds
    context = _forkserver()
    if not seconds or context is None:
        return extract_pdf(path)
    megabytes = document_megabytes()
    receive, send = context.Pipe(duplex=False)
    # The environment goes along: the fork server keeps the one it started with (CASEREVIEW_OCR may differ now).
    child = context.Process(target=_read_in_child, args=(send, str(path), dict(os.environ), megabytes),
                            daemon=True)
    try:
        with _terminal_signals_held():
            child.start()
    except Exception as exc:  # noqa: BLE001 - no child process here (a sandbox, no temp folder): read in-process
        receive.close()
        send.close()
        _give_up_on_children(exc)
        return extract_pdf(path)
    send.close()
    try:
        if not _wait_for(receive, seconds):
            child.kill()
            if _stopping.is_set():
                raise RunStopped(str(path))
            raise ExtractError(
                f"{Path(path).name}: reading the PDF took longer than {duration_text(seconds)} and was stopped (a page "
                "may be damaged or unusually complex). Open it to check it; if it is a long scan that needs more "
                "time, run again with a longer --document-time-limit (in minutes)")
        try:
            outcome, value = receive.recv()
        except EOFError:
            child.join(5)
            # ended by a signal sent to the whole run (SIGTERM to its group, as systemd sends it; Ctrl+C): the run
            # is stopping too, though it may not have said so yet. Whatever the status: at a Ctrl+C under load, one
            # ended with status 1 just after it started, and its PDF was blamed.
            if _stopping.is_set() or _stopping.wait(_STOP_GRACE_SECONDS):
                raise RunStopped(str(path)) from None
            raise ExtractError(
                f"{Path(path).name}: the PDF library stopped while reading it (exit code {child.exitcode}: the file "
                f"is probably damaged, or needed more memory than {_memory(megabytes)}); replace it with a good "
                "copy") from None
    finally:
        receive.close()
        child.join(5)
        if child.is_alive():
            child.kill()
    return _result(path, outcome, value, megabytes)


def _wait_for(receive, seconds: float) -> bool:
    """Wait up to ``seconds`` for the reading process's answer; False when none came, or the run is stopping."""
    deadline = time.monotonic() + seconds
    while not _stopping.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        if receive.poll(min(POLL_SECONDS, left)):
            return True
    return False


def _result(path: Path, outcome: str, value: Any, megabytes: int) -> ExtractedDocument:
    """The document the reading process sent, or the error it stands for."""
    if outcome == "ok":
        return value
    if outcome == "error":
        raise value
    if outcome == "memory":
        raise ExtractError(
            f"{Path(path).name}: reading the PDF needed more memory than {_memory(megabytes)} and was stopped (it "
            "may be damaged, or hold very large images). Open it to check it; to let it use more, set "
            "CASEREVIEW_DOCUMENT_MEMORY_MB (in megabytes, 0 for no cap) and run again")
    raise RuntimeError(value)


def _read_in_child(send, path: str, environment: dict[str, str], megabytes: int = 0) -> None:
    # Ctrl+C, and a closed terminal's SIGHUP, reach every process of the terminal's group: the run decides
    # whether to give this document up (and then stops this process), so that a stop is never taken for a PDF
    # that crashed its reader.
    for number in _TERMINAL_SIGNALS:
        signal.signal(number, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # held back until now (_terminal_signals_held): one that came is dropped
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _TERMINAL_SIGNALS)
    os.environ.clear()
    os.environ.update(environment)
    _limit_this_process(megabytes)
    try:
        result: tuple[str, Any] = ("ok", extract_pdf(Path(path)))
    except CaseReviewError as exc:
        result = ("error", exc)
    except MemoryError:
        result = ("memory", "")
    except Exception as exc:  # noqa: BLE001 - reported to the run, which records it as this review's failure
        result = ("bug", f"{type(exc).__name__}: {exc}")
    try:
        send.send(result)
        send.close()
    except (BrokenPipeError, ConnectionResetError, EOFError):
        pass  # the run is gone (killed outright): nobody is left to read the answer, and nothing to say


@contextmanager
def _terminal_signals_held() -> Iterator[None]:
    """Around starting a reading process: Ctrl+C and SIGHUP are held back (blocked) in this thread, so the fork
    server it starts, and every reading process forked from it, starts with them blocked; ``_read_in_child``
    sets them to be ignored, then lets them through. Without it, a Ctrl+C that came while a reading process
    was still starting up interrupted multiprocessing's own start-up code, which printed a traceback."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    before = signal.pthread_sigmask(signal.SIG_BLOCK, _TERMINAL_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)


def _limit_this_process(megabytes: int) -> None:
    """Cap this (reading) process's memory at ``megabytes`` (0: no cap), and ask the system to stop this
    process, not the run, first should the machine run out of memory all the same (Linux's OOM killer).
    Where the system offers neither, the process reads without them."""
    try:
        with open("/proc/self/oom_score_adj", "w", encoding="ascii") as score:
            score.write("1000")
    except OSError:
        pass
    if megabytes:
        try:
            import resource

            _, hard = resource.getrlimit(resource.RLIMIT_AS)
            cap = megabytes * 2**20
            if hard != resource.RLIM_INFINITY:
                cap = min(cap, hard)
            resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
        except (ImportError, OSError, ValueError):
            pass


def _memory(megabytes: int) -> str:
    """'the 4096 MB allowed (CASEREVIEW_DOCUMENT_MEMORY_MB)', or 'the machine has' when there is no cap."""
    if megabytes:
        return f"the {megabytes} MB allowed (CASEREVIEW_DOCUMENT_MEMORY_MB)"
    return "the machine has"


def _give_up_on_children(exc: Exception) -> None:
    """Read every later document in-process: this system cannot start the reading process."""
    global _context
    with _lock:
        _context = False
    log.warning("Could not start a process to read documents in (%s: %s): reading them in this process, "
                "without a time limit.", type(exc).__name__, exc)


def _forkserver():
    """The "forkserver" context with the extractor preloaded, made once; None where there is none."""
    global _context
    with _lock:
        if _context is None:
            if "forkserver" not in multiprocessing.get_all_start_methods() or not _main_can_be_prepared():
                _context = False
            else:
                context = multiprocessing.get_context("forkserver")
                # The extractor, what it would load for each document (isolate_warm), and the command line:
                # multiprocessing imports the parent's main module again in each child, which costs nothing
                # when the server has it already.
                context.set_forkserver_preload(["pipeline.isolate", "pipeline.isolate_warm", "pipeline.cli"])
                _context = context
        return _context or None


def _main_can_be_prepared() -> bool:
    """Whether the program's main module is one a child process may run again, as multiprocessing does to
    prepare it: ours (``casereview``, ``python -m pipeline.cli``), a ``__main__`` module (which multiprocessing
    skips: ``python -m pytest``), or none (``python -c``, a notebook).

    Any other script is not run again: without an ``if __name__ == "__main__":`` guard it would start a whole
    run inside each child, and a script read from standard input cannot be run again at all. Such programs
    read documents in their own process, without the time limit.
    """
    main = sys.modules.get("__main__")
    name = getattr(getattr(main, "__spec__", None), "name", None)
    if name:
        return name.startswith("pipeline.") or name.endswith("__main__")
    path = getattr(main, "__file__", None)
    if path is None:
        return True
    return Path(path).stem in ("casereview", "casereview-script") and os.path.isfile(path)
