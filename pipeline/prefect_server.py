"""Start Prefect's temporary local server in the background, so that its start-up overlaps loading the pipeline.

With no Prefect server configured (no ``PREFECT_API_URL``), Prefect starts a temporary one on loopback the
first time a flow runs, and waits for it: about 12 s on a 2-core machine, during which nothing else happens.
``casereview run`` calls :func:`start_in_background` first and :func:`wait_until_started` just before its flow,
so the server starts while the models, spaCy and the manifest load. If the early start fails, Prefect tries
again when the flow starts and reports any problem itself.
"""

from __future__ import annotations

import os
import threading

_thread: threading.Thread | None = None


def start_in_background() -> None:
    """Begin starting the temporary server (nothing to do when a Prefect server is configured)."""
    global _thread
    if _thread is not None or os.environ.get("PREFECT_API_URL"):
        return
    _thread = threading.Thread(target=_start, name="prefect-server-start", daemon=True)
    _thread.start()


def wait_until_started() -> None:
    """Wait for a start begun by :func:`start_in_background` (returns at once if none was begun)."""
    if _thread is not None:
        _thread.join()


def _start() -> None:
    try:
        from prefect.settings import PREFECT_API_URL, PREFECT_SERVER_ALLOW_EPHEMERAL_MODE

        if PREFECT_API_URL.value() or not PREFECT_SERVER_ALLOW_EPHEMERAL_MODE.value():
            return
        from prefect.server.api.server import SubprocessASGIServer

        SubprocessASGIServer().start()  # the instance Prefect's client uses when no server is configured
    except Exception:  # noqa: BLE001 - the flow starts the server itself and reports what went wrong
        return
